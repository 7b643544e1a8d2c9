"""The small interfaces the kiosk programs against; real adapters and fakes implement them."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from hardware.events import EventSink


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
