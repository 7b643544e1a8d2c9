"""Fakes for screen tests: a card reader you tap by hand, a scanner that types, a label printer.

They take the same paths as the real devices: FakeCardReader posts from its own thread
through the sink given to ``start`` (like the PC/SC monitor), and FakeScanner produces the
key names a wedge device would type, for ``pilot.press(*keys)`` or for ``Wedge.feed``.
End-to-end tests against the real PC/SC stack use tests/hardware/vpcd_card.py instead.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Sequence

from hardware.events import (
    BadgePresented,
    CardRefused,
    CardRemoved,
    EventSink,
    HardwareEvent,
    ReaderStatus,
    WedgeOutput,
)
from hardware.labels import LabelJob
from hardware.wedge import GS, Wedge, WedgeConfig, char_to_key
from hardware.zpl import PrinterError

FAKE_READER = "Fake reader 00"


class FakeCardReader:
    """A CardReader whose cards are presented by the test: ``tap(uid)``, ``remove()``."""

    def __init__(self, name: str = FAKE_READER, *, threaded: bool = True) -> None:
        self.name = name
        self.threaded = threaded
        self.posted: list[HardwareEvent] = []  # everything sent to the sink, for assertions
        self._sink: EventSink | None = None
        self._queue: queue.Queue[HardwareEvent | _Marker | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._card: str | None = None

    @property
    def running(self) -> bool:
        return self._sink is not None

    def start(self, sink: EventSink) -> None:
        self._sink = sink
        if self.threaded:
            self._thread = threading.Thread(target=self._run, name="fake-reader", daemon=True)
            self._thread.start()
        self._post(ReaderStatus(self.name, True, "Card reader ready"))

    def stop(self) -> None:
        if self._thread:
            self._queue.put(None)
            self._thread.join(timeout=5)
            self._thread = None
        self._sink = None

    def tap(self, uid: str) -> None:
        """Lay a card with this UID (hex) on the reader; a card already there leaves first."""
        if self._card is not None:
            self.remove()
        self._card = uid.upper()
        self._post(BadgePresented(uid=self._card, source=self.name))

    def tap_unreadable(self) -> None:
        """Lay a card without a readable UID on the reader: it is refused."""
        if self._card is not None:
            self.remove()
        self._card = ""
        self._post(CardRefused(self.name, "This card has no readable serial number."))

    def remove(self) -> None:
        if self._card is None:
            return
        self._card = None
        self._post(CardRemoved(self.name))

    def unplug(self) -> None:
        self._card = None
        self._post(ReaderStatus(self.name, False, "Card reader disconnected"))

    def plug(self) -> None:
        self._post(ReaderStatus(self.name, True, "Card reader connected"))

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Block until every queued event reached the sink. Do not call it from the thread
        the sink delivers to if the sink waits on that thread (use ``pilot.pause()``)."""
        if not self.threaded:
            return
        done = threading.Event()
        self._queue.put(_Marker(done))
        done.wait(timeout)

    def _post(self, event: HardwareEvent) -> None:
        if self._sink is None:
            raise RuntimeError("FakeCardReader.start(sink) was not called")
        if self.threaded:
            self._queue.put(event)
        else:
            self.posted.append(event)
            self._sink(event)

    def _run(self) -> None:
        while (event := self._queue.get()) is not None:
            if isinstance(event, _Marker):
                event.done.set()
                continue
            sink = self._sink
            if sink is not None:
                self.posted.append(event)
                sink(event)


class _Marker:
    def __init__(self, done: threading.Event) -> None:
        self.done = done


class FakeScanner:
    """Types like a wedge device programmed with ``config``'s prefix/suffix/GS substitute."""

    def __init__(self, config: WedgeConfig | None = None) -> None:
        self.config = config or WedgeConfig()

    def chars(self, data: str, *, badge: bool = False, framed: bool = True) -> list[str]:
        """The characters sent for one scan (GS replaced by the substitute if configured)."""
        c = self.config
        body = data.replace(GS, c.gs_substitute) if c.gs_substitute and not badge else data
        opener = (c.badge_prefix or c.prefix) if badge else c.prefix
        return list((opener if framed else "") + body + c.suffix)

    def keys(self, data: str, *, badge: bool = False, framed: bool = True) -> list[str]:
        """Textual key names for ``pilot.press(*keys)``."""
        return [char_to_key(ch) for ch in self.chars(data, badge=badge, framed=framed)]

    def feed(
        self,
        wedge: Wedge,
        data: str,
        *,
        start: float = 0.0,
        interval: float = 0.005,
        badge: bool = False,
        framed: bool = True,
    ) -> list[WedgeOutput]:
        """Type one scan into ``wedge`` at ``interval`` seconds per key; return its outputs."""
        return feed_keys(wedge, self.keys(data, badge=badge, framed=framed), start, interval)


def feed_keys(
    wedge: Wedge, keys: Iterable[str], start: float, interval: float
) -> list[WedgeOutput]:
    out: list[WedgeOutput] = []
    at = start
    for key in keys:
        out += wedge.feed(key, at)
        at += interval
    return out


class FakeLabelPrinter:
    """A LabelPrinter that keeps what it was given (``jobs``); ``offline = True`` makes it
    refuse like an unreachable printer."""

    def __init__(self, destination: str = "fake-printer:9100") -> None:
        self._destination = destination
        self.jobs: list[LabelJob] = []
        self.offline = False

    @property
    def destination(self) -> str:
        return self._destination

    def print_labels(self, jobs: Sequence[LabelJob]) -> None:
        if self.offline:
            raise PrinterError(f"label printer {self._destination} is offline")
        self.jobs.extend(jobs)
