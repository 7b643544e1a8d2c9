"""What the floor hardware tells the kiosk. Plain frozen dataclasses, no Textual.

Card readers post these through an `EventSink` from their own worker thread; the keyboard
wedge returns them (plus `Passthrough` for keys that were ordinary typing) from `feed()`.
The kiosk wraps each in a Textual message (``App.post_message`` is thread-safe).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: ``source`` of everything that arrived as keystrokes (wedge badge readers and scanners).
KEYBOARD = "keyboard"


@dataclass(frozen=True)
class BadgePresented:
    """A badge or card was presented. ``uid`` is upper-case hex for PC/SC cards (the card
    serial from GET DATA UID); for wedge readers it is what the reader types, normalised
    (upper case, no spaces or colons). ``source`` is the PC/SC reader name or KEYBOARD."""

    uid: str
    source: str


@dataclass(frozen=True)
class CardRemoved:
    """The card left the reader (only for PC/SC readers; wedge readers cannot tell)."""

    reader: str


@dataclass(frozen=True)
class CardRefused:
    """A card was presented but cannot identify anyone (no readable UID, or the reader
    could not talk to it). Never fall back to the ATR: it names a card model, not a card."""

    reader: str
    message: str


@dataclass(frozen=True)
class ReaderStatus:
    """Reader or smart-card service came or went. ``reader`` None = the service as a whole
    (pcscd missing/restarted, or no reader at all). ``message`` is operator-readable."""

    reader: str | None
    available: bool
    message: str


@dataclass(frozen=True)
class BarcodeScanned:
    """A framed (or fast-burst) scan. ``data`` is exactly what the scanner sent between
    prefix and suffix, with the configured GS substitute turned back into ASCII 29; it
    still carries any symbology identifier (``]C1``...). Parse with ``domain.gs1``."""

    data: str
    source: str


@dataclass(frozen=True)
class ScanAborted:
    """A scan frame started but never completed (timeout, too long, a non-character key
    in the middle, or empty). The partial data is dropped; tell the operator to rescan."""

    partial: str
    reason: str


@dataclass(frozen=True)
class Passthrough:
    """A key that was ordinary typing, handed back to the kiosk exactly as fed."""

    key: str


HardwareEvent = BadgePresented | CardRemoved | CardRefused | ReaderStatus | BarcodeScanned
WedgeOutput = BadgePresented | BarcodeScanned | ScanAborted | Passthrough
EventSink = Callable[[HardwareEvent], None]

__all__ = [
    "KEYBOARD",
    "BadgePresented",
    "BarcodeScanned",
    "CardRefused",
    "CardRemoved",
    "EventSink",
    "HardwareEvent",
    "Passthrough",
    "ReaderStatus",
    "ScanAborted",
    "WedgeOutput",
]
