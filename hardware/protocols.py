"""The small interfaces the kiosk programs against; real adapters and fakes implement them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from hardware.balance import Weight
from hardware.events import EventSink
from hardware.labels import LabelJob


@runtime_checkable
class CardReader(Protocol):
    """A source of badge taps that posts events by itself (PC/SC monitor, fake reader).

    ``start`` returns at once; events then arrive through ``sink``, called from the
    reader's own thread (so the sink must be thread-safe, e.g. ``App.post_message``).
    The first events after ``start`` describe the current state (a ReaderStatus, and a
    BadgePresented if a card already lies on a reader). ``stop`` is idempotent and joins
    the thread; no event is posted after it returns.
    """

    def start(self, sink: EventSink) -> None: ...

    def stop(self) -> None: ...

    @property
    def running(self) -> bool: ...


@runtime_checkable
class LabelPrinter(Protocol):
    """A label printer (hardware.zpl: ZplTcpPrinter on port 9100, ZplFilePrinter; the
    fake in hardware.fakes). ``print_labels`` blocks until the printer took every job
    (call it from a worker thread) and raises OSError (hardware.zpl.PrinterError) when it
    did not: the caller then records nothing as issued. ``destination`` names the printer
    for the label-issue record ("10.1.2.3:9100", a file name)."""

    @property
    def destination(self) -> str: ...

    def print_labels(self, jobs: Sequence[LabelJob]) -> None: ...


@runtime_checkable
class Balance(Protocol):
    """A balance or scale the station reads (hardware.balance.MtSicsBalance; in tests, the
    same client against hardware.balance_sim.BalanceSimulator on a real socket).

    Blocking calls (run them in a worker thread). ``stable_weight`` returns only a stable
    reading: a dynamic or busy answer is asked again and finally refused
    (BalanceUnstable). ``serial_number`` is what the device reports (MT-SICS I4), never a
    configured name. ``tare`` remembers the tare taken as ``tare_weight``. Failures are
    hardware.balance.BalanceError with an operator-readable ``message``.
    """

    tare_weight: Weight | None

    def serial_number(self) -> str: ...

    def stable_weight(self) -> Weight: ...

    def tare(self) -> Weight: ...

    def zero(self) -> None: ...

    def close(self) -> None: ...
