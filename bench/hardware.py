"""Hardware benchmarks: GS1 parsing, wedge decoding, PC/SC tap → BadgePresented latency.

Run: ``.venv/bin/python -m bench.hardware [--taps 20]``. Each figure comes with a baseline
measured in the same run (machines are noisy): biip's own parser for GS1, a bare loop over
the same keys for the wedge, and a raw pyscard SCardGetStatusChange wait (no monitor, no
UID read) for the tap latency. The PC/SC part starts its own pcscd with the vpcd readers
(tests/pcsc_fixtures.py) unless one is running, and is skipped without pcscd/pyscard.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from biip.gs1_messages import GS1Message

from domain.gs1 import parse_gs1
from hardware.events import BadgePresented, CardRemoved, HardwareEvent
from hardware.fakes import FakeScanner
from hardware.wedge import Wedge

EXAMPLES = [
    "]C101095011015300031727123110ABC123",
    "]d2010061414100001210LOT-7\x1d21SN0001",
    "]d2011061414100001917260700" + "10B42",
    "]C1010400638133393111250115" + "3048\x1d10L9",
    "]Q3019061414100001531030012502112345",
]


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def per_call_us(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


def bench_gs1(repeat: int = 2000) -> None:
    ours = per_call_us(lambda: [parse_gs1(e) for e in EXAMPLES], repeat)
    biip = per_call_us(lambda: [GS1Message.parse(e[3:]) for e in EXAMPLES], repeat)
    (o50, o95), (b50, b95) = percentiles(ours), percentiles(biip)
    print(f"gs1: parse 5 examples p50 {o50:.0f} us p95 {o95:.0f} us "
          f"(biip alone p50 {b50:.0f} us p95 {b95:.0f} us; ratio {o50 / b50:.2f})")  # fmt: skip


def bench_wedge(repeat: int = 2000) -> None:
    keys = FakeScanner().keys(EXAMPLES[1])
    wedge = Wedge()

    def decode() -> None:
        at = 0.0
        for key in keys:
            wedge.feed(key, at)
            at += 0.004

    ours = per_call_us(decode, repeat)
    bare = per_call_us(lambda: "".join(k for k in keys), repeat)
    (o50, o95), (b50, _) = percentiles(ours), percentiles(bare)
    print(f"wedge: decode one {len(keys)}-key scan p50 {o50:.0f} us p95 {o95:.0f} us "
          f"(bare loop p50 {b50:.1f} us; ratio {o50 / b50:.0f})")  # fmt: skip


def bench_pcsc(taps: int) -> None:
    from hardware.pcsc import PcscReader, pcsc_available

    if not (pcsc_available() and shutil.which("pcscd")):
        print("pcsc: skipped (no pyscard or pcscd)")
        return
    from tests.pcsc_fixtures import PcscDaemon, running_pcscd_pid, vpcd_driver, wait_for_service

    daemon = None
    if running_pcscd_pid() is None:
        driver = vpcd_driver()
        if driver is None:
            print("pcsc: skipped (no vpcd driver)")
            return
        daemon = PcscDaemon(Path(tempfile.mkdtemp(prefix="bench-pcscd-")), driver)
        daemon.start()
    wait_for_service(10)
    try:
        raw = [raw_presence_latency(i) for i in range(taps)]
        ours = monitor_latency(PcscReader("Virtual PCD 00 00"), taps)
    finally:
        if daemon is not None:
            daemon.stop()
    (o50, o95), (r50, r95) = percentiles(ours), percentiles(raw)
    print(f"pcsc: card connects -> BadgePresented p50 {o50:.0f} ms p95 {o95:.0f} ms "
          f"(raw SCardGetStatusChange presence p50 {r50:.0f} ms p95 {r95:.0f} ms; "
          f"ratio {o50 / r50:.2f}; n={taps})")  # fmt: skip


def raw_presence_latency(i: int) -> float:
    from smartcard import scard

    from tests.hardware.vpcd_card import VirtualCard

    _, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    reader = "Virtual PCD 00 00"
    _, states = scard.SCardGetStatusChange(context, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
    state = states[0][1] & ~scard.SCARD_STATE_CHANGED
    card = VirtualCard(bytes([i, 1, 2, 3]))
    start = time.perf_counter()
    card.insert()
    while not state & scard.SCARD_STATE_PRESENT:
        _, states = scard.SCardGetStatusChange(context, 2000, [(reader, state)])
        state = states[0][1] & ~scard.SCARD_STATE_CHANGED
    elapsed = (time.perf_counter() - start) * 1000
    card.remove()
    while not state & scard.SCARD_STATE_EMPTY:
        _, states = scard.SCardGetStatusChange(context, 2000, [(reader, state)])
        state = states[0][1] & ~scard.SCARD_STATE_CHANGED
    scard.SCardReleaseContext(context)
    return elapsed


def monitor_latency(reader: object, taps: int) -> list[float]:
    from hardware.pcsc import PcscReader
    from tests.hardware.vpcd_card import VirtualCard

    assert isinstance(reader, PcscReader)
    got = threading.Event()
    gone = threading.Event()

    def sink(event: HardwareEvent) -> None:
        if isinstance(event, BadgePresented):
            got.set()
        elif isinstance(event, CardRemoved):
            gone.set()

    reader.start(sink)
    time.sleep(0.5)
    samples = []
    try:
        for i in range(taps):
            got.clear()
            gone.clear()
            card = VirtualCard(bytes([i, 9, 9, 9]))
            start = time.perf_counter()
            card.insert()
            got.wait(5)
            samples.append((time.perf_counter() - start) * 1000)
            card.remove()
            gone.wait(5)
    finally:
        reader.stop()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--taps", type=int, default=20)
    args = parser.parse_args()
    bench_gs1()
    bench_wedge()
    bench_pcsc(args.taps)


if __name__ == "__main__":
    main()
