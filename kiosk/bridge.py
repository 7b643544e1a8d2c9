"""Hardware → Textual. Reader callbacks arrive on the reader's own thread; the keyboard
wedge is fed on the event loop. Both end as `screens.messages` posted to the app.

`App.post_message` is thread-safe, so the reader's sink only wraps and posts; no widget is
touched off the event loop.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

from textual import events
from textual.app import App
from textual.message import Message

from hardware import events as hw
from hardware.protocols import CardReader
from hardware.wedge import Wedge, WedgeConfig, char_to_key, key_to_char
from kiosk.settings import ScannerSettings
from screens import messages

log = logging.getLogger(__name__)


def to_message(event: hw.HardwareEvent | hw.ScanAborted) -> Message | None:
    """The screens' message for one hardware event."""
    match event:
        case hw.BadgePresented(uid=uid, source=source):
            return messages.BadgePresented(uid, source)
        case hw.BarcodeScanned(data=data, source=source):
            return messages.BarcodeScanned(data, source)
        case hw.CardRemoved(reader=reader):
            return messages.CardRemoved(reader)
        case hw.CardRefused(reader=reader, message=text):
            return messages.CardRefused(reader, text)
        case hw.ReaderStatus(reader=reader, available=available, message=text):
            return messages.ReaderStatusChanged(reader or "", available, text)
        case hw.ScanAborted(reason=reason):
            return messages.ScanAborted(reason)
    return None


def wedge_config(scanner: ScannerSettings) -> WedgeConfig:
    """The decoder's configuration from the station file's [scanner] table."""
    names = {f.name for f in dataclasses.fields(WedgeConfig) if f.init}
    values = {k: v for k, v in dataclasses.asdict(scanner).items() if k in names}
    return WedgeConfig(**values)


class HardwareBridge:
    def __init__(self, app: App[Any], reader: CardReader | None, wedge: Wedge | None) -> None:
        self.app = app
        self.reader = reader
        self.wedge = wedge

    def start(self) -> None:
        if self.reader is not None:
            self.reader.start(self._sink)

    def stop(self) -> None:
        if self.reader is not None:
            self.reader.stop()

    def _sink(self, event: hw.HardwareEvent) -> None:
        # Called on the reader's thread: wrap and post, nothing else.
        message = to_message(event)
        if message is not None:
            self.app.post_message(message)

    def feed(self, event: events.Key) -> list[events.Key | Message] | None:
        """Feed one key to the wedge. None: ordinary typing, let it through unchanged.
        Otherwise the key was taken; the list says what to deliver instead, in order."""
        if self.wedge is None:
            return None
        key = event.character or event.key
        outputs = self.wedge.feed(key, time.monotonic())
        if outputs == [hw.Passthrough(key)]:
            return None
        return self._deliver(outputs)

    def poll(self) -> list[events.Key | Message]:
        if self.wedge is None:
            return []
        return self._deliver(self.wedge.poll(time.monotonic()))

    def next_deadline(self) -> float | None:
        return None if self.wedge is None else self.wedge.next_deadline

    def _deliver(self, outputs: list[hw.WedgeOutput]) -> list[events.Key | Message]:
        result: list[events.Key | Message] = []
        for output in outputs:
            if isinstance(output, hw.Passthrough):
                char = key_to_char(output.key)
                name = output.key if len(output.key) > 1 else char_to_key(output.key)
                result.append(events.Key(name, char if char and char.isprintable() else None))
            else:
                message = to_message(output)
                if message is not None:
                    result.append(message)
        return result
