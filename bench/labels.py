"""Label benchmarks: a lot/serial label rendered (PNG, SVG) and a ZPL label built and sent
to a port-9100 listener, against a bare python-barcode render of the same data in the same
run (alternating per sample, machines are noisy).

Run: ``.venv/bin/python -m bench.labels [--repeat 300]``. The listener is a local TCP
server that reads each connection to the end (as a printer's raw port does); the "raw send"
floor is connect + sendall + close of the same bytes without building them.
"""

# ruff: noqa: E501  (measurement lines read better unwrapped)

from __future__ import annotations

import argparse
import io
import socket
import statistics
import threading
import time
from collections.abc import Callable

from barcode.codex import Gs1_128
from barcode.writer import ImageWriter, SVGWriter

from domain.gs1 import GS
from hardware.labels import FNC1, LabelJob, render
from hardware.zpl import ZplTcpPrinter, label_zpl

ELEMENTS = "0100614141000012" + "11261101" + "17281231" + "10L2612-00042" + GS + "21SN0001"
JOB = LabelJob(
    ELEMENTS,
    "(01)00614141000012(11)261101(17)281231(10)L2612-00042(21)SN0001",
    ("DEV-100 Infusion pump", "Lot L2612-00042  SN SN0001  EXP 2028-12-31  UDI"),
)


def _bare(writer: object) -> bytes:
    symbol = Gs1_128(ELEMENTS.replace(GS, FNC1))
    symbol.writer = writer
    out = io.BytesIO()
    symbol.write(out, {"module_width": 0.33, "module_height": 15.0}, JOB.hri)
    return out.getvalue()


class Sink:
    """A raw-port listener: accepts connections and reads each to its end."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                while conn.recv(65536):
                    pass


def _raw_send(port: int, payload: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)


def alternate(
    a: Callable[[], object], b: Callable[[], object], repeat: int
) -> tuple[list[float], list[float]]:
    xs: list[float] = []
    ys: list[float] = []
    for _ in range(repeat):
        for fn, out in ((a, xs), (b, ys)):
            start = time.perf_counter()
            fn()
            out.append((time.perf_counter() - start) * 1000)
    return xs, ys


def p(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def line(name: str, ours: list[float], base: list[float], base_name: str) -> None:
    (o50, o95), (b50, b95) = p(ours), p(base)
    print(f"{name}: p50 {o50:.3f} ms p95 {o95:.3f} ms | {base_name}: p50 {b50:.3f} ms p95 {b95:.3f} ms"
          f" | p95 ratio {o95 / b95:.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    sink = Sink()
    printer = ZplTcpPrinter("127.0.0.1", sink.port)
    payload = label_zpl(JOB).encode("ascii")
    line("PNG label", *alternate(lambda: render(JOB, "png"), lambda: _bare(ImageWriter()), args.repeat),
         "bare python-barcode PNG")  # fmt: skip
    line("SVG label", *alternate(lambda: render(JOB, "svg"), lambda: _bare(SVGWriter()), args.repeat),
         "bare python-barcode SVG")  # fmt: skip
    line("ZPL build + send to :9100 listener",
         *alternate(lambda: printer.print_labels([JOB]), lambda: _bare(ImageWriter()), args.repeat),
         "bare python-barcode PNG")  # fmt: skip
    line("ZPL build + send", *alternate(lambda: printer.print_labels([JOB]),
                                       lambda: _raw_send(sink.port, payload), args.repeat),
         "raw send of the same bytes")  # fmt: skip


if __name__ == "__main__":
    main()
