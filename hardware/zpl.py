"""ZPL II for industrial label printers (Zebra and compatibles): a GS1-128 label as a ZPL
format, sent to a file or raw over TCP (port 9100), and the reverse — the ^BC field of a
received format decoded back to the element string (for tests and a printer emulator).

The barcode field is ``^BCN,h,N,N,N`` (Code 128, no interpretation line: our own
human-readable line is printed below) with invocation codes: ``>;`` Start Code C, ``>8``
FNC1 — the leading one makes it GS1-128 (``]C1``), each later one is a GS separator —
``>6`` switch to Code B, ``>5`` back to Code C, ``><`` a literal ">" in Code B. Digits go
in pairs in Code C; anything else in Code B (GS1's character set 82 is all in Code B).
Text fields use ``^FH`` hex escapes, so "^", "~" or "_" in a description print as text.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Sequence
from pathlib import Path

from hardware.labels import GS, LabelJob, gs1_128_symbol

START_C = ">;"
FNC1 = ">8"
TO_B = ">6"
TO_C = ">5"
PORT = 9100


class PrinterError(OSError):
    """The printer could not be reached or did not take the whole label."""


def barcode_field(element_string: str) -> str:
    """The ^FD data of a GS1-128 ^BC field for ``element_string``."""
    gs1_128_symbol(element_string)  # the same character and GS checks as the PNG/SVG labels
    out = [START_C, FNC1]
    subset = "C"
    for element in element_string.split(GS):
        if out[-1] != FNC1:
            out.append(FNC1)  # FNC1 is valid in either subset: no switch needed
        i = 0
        while i < len(element):
            run = len(element[i:]) - len(element[i:].lstrip("0123456789"))
            if run >= 2 and (subset == "C" or run >= 4):
                pairs = run - run % 2
                if subset != "C":
                    out.append(TO_C)
                    subset = "C"
                out.append(element[i : i + pairs])
                i += pairs
                continue
            if subset != "B":
                out.append(TO_B)
                subset = "B"
            out.append("><" if element[i] == ">" else element[i])
            i += 1
    return "".join(out)


def _text(x: int, y: int, size: int, value: str) -> str:
    escaped = "".join(
        f"_{ord(c):02X}" if c in "^~_" or not 32 <= ord(c) < 127 else c for c in value
    )
    return f"^FO{x},{y}^A0N,{size},{size}^FH_^FD{escaped}^FS"


def label_zpl(job: LabelJob, *, height: int = 120, module: int = 2) -> str:
    """A complete ZPL format (^XA ... ^XZ) for a 4 x 2 inch label at 203 dpi."""
    parts = ["^XA", "^CI0", "^LH0,0"]
    y = 20
    for line in job.lines:
        parts.append(_text(30, y, 28, line))
        y += 36
    parts.append(
        f"^FO30,{y + 6}^BY{module}^BCN,{height},N,N,N^FD{barcode_field(job.element_string)}^FS"
    )
    parts.append(_text(30, y + height + 16, 24, job.hri))
    parts.append(f"^PQ{max(1, job.copies)},0,1,Y")
    parts.append("^XZ")
    return "\n".join(parts) + "\n"


_BC = re.compile(r"\^BC[^\^]*\^FD(.*?)\^FS", re.DOTALL)


def parse_barcode_fields(zpl: str) -> list[str]:
    """Every GS1-128 ^BC field of a ZPL format, decoded to its element string (GS for each
    FNC1 after the first). ValueError for a field that is not GS1-128 or not well formed."""
    return [decode_field(m.group(1)) for m in _BC.finditer(zpl)]


def decode_field(data: str) -> str:
    """A ^BC field's data (with invocation codes) → the element string it encodes."""
    if not data.startswith(START_C + FNC1) and not data.startswith(">:" + FNC1):
        raise ValueError("not a GS1-128 field: it must start with a start code and FNC1")
    subset = "C" if data.startswith(START_C) else "B"
    i, out = 4, []
    while i < len(data):
        if data[i] == ">":
            code = data[i : i + 2]
            i += 2
            if code == FNC1:
                out.append(GS)
            elif code == TO_B:
                subset = "B"
            elif code == TO_C:
                subset = "C"
            elif code == "><" and subset == "B":
                out.append(">")
            else:
                raise ValueError(f"unexpected invocation code {code!r}")
        elif subset == "C":
            pair = data[i : i + 2]
            if len(pair) != 2 or not pair.isdigit():
                raise ValueError(f"Code C takes digit pairs, not {pair!r}")
            out.append(pair)
            i += 2
        else:
            out.append(data[i])
            i += 1
    text = "".join(out)
    if text.startswith(GS) or text.endswith(GS) or GS + GS in text:
        raise ValueError("misplaced FNC1")
    return text


class ZplFilePrinter:
    """A LabelPrinter writing ZPL to a file (or a device node such as /dev/usb/lp0)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def destination(self) -> str:
        return str(self.path)

    def print_labels(self, jobs: Sequence[LabelJob]) -> None:
        try:
            with self.path.open("w", encoding="ascii") as out:
                out.write("".join(label_zpl(job) for job in jobs))
        except OSError as exc:
            raise PrinterError(f"cannot write {self.path}: {exc.strerror or exc}") from exc


class ZplTcpPrinter:
    """A LabelPrinter sending ZPL raw over TCP (JetDirect / port 9100): connect, send
    everything, close. A printer that does not answer within ``timeout`` is an error (the
    caller records nothing)."""

    def __init__(self, host: str, port: int = PORT, *, timeout: float = 5.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout

    @classmethod
    def parse(cls, spec: str, *, timeout: float = 5.0) -> ZplTcpPrinter:
        """``HOST`` or ``HOST:PORT`` (IPv6 as ``[::1]:9100``)."""
        m = re.fullmatch(
            r"\[(?P<h6>[^\]]+)\](?::(?P<p6>\d+))?|(?P<h>[^:]+)(?::(?P<p>\d+))?", spec.strip()
        )
        if not m:
            raise ValueError(f"{spec!r} is not HOST or HOST:PORT")
        host = m.group("h6") or m.group("h")
        port = int(m.group("p6") or m.group("p") or PORT)
        if not 0 < port < 65536:
            raise ValueError(f"port {port} is not a TCP port")
        return cls(host, port, timeout=timeout)

    @property
    def destination(self) -> str:
        return f"{self.host}:{self.port}"

    def print_labels(self, jobs: Sequence[LabelJob]) -> None:
        payload = "".join(label_zpl(job) for job in jobs).encode("ascii")
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as sock:
                sock.sendall(payload)
                sock.shutdown(socket.SHUT_WR)
        except OSError as exc:
            raise PrinterError(
                f"label printer {self.destination} did not take the label: {exc.strerror or exc}"
            ) from exc
