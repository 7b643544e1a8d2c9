"""The Textual messages screens react to: small dataclasses, past-tense facts.

Hardware events arrive from `kiosk/bridge.py` (reader threads and the keyboard-wedge
decoder) as these messages, posted to the app, which hands them to the active screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class BadgePresented(Message):
    """A badge or contactless card was read (PC/SC UID or keyboard-wedge badge reader)."""

    uid: str
    source: str = ""
    routed: bool = False  # True once the app has handed it to a screen


@dataclass
class CardRemoved(Message):
    """The card left the reader."""

    source: str = ""


@dataclass
class BarcodeScanned(Message):
    """A keyboard-wedge scanner delivered one framed scan."""

    data: str
    source: str = "keyboard"
    routed: bool = False  # True once the app has handed it to a screen


@dataclass
class ReaderStatusChanged(Message):
    """A reader appeared, disappeared, or its service (pcscd) failed or came back."""

    reader: str
    available: bool
    message: str = ""


@dataclass
class CardRefused(Message):
    """A card was presented that identifies no one (no readable UID)."""

    reader: str
    message: str


@dataclass
class ScanAborted(Message):
    """A framed scan never completed; ask for a rescan."""

    reason: str
