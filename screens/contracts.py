"""What a screen declares to the station app, as small protocols instead of ``getattr``.

- `BadgeTarget`: the screen takes badge taps itself (sign-in/lock, the signature and
  confirmation dialogs, the new-card dialog); elsewhere a badge starts a switch of person.
- `ScanTarget`: the screen takes barcode scans (delivered to its focused widget).
- `HoldsInput`: the screen can say whether something typed would be lost (Back asks first).
- `DraftSource`: such a screen whose input is parked as its owner's draft when another
  person takes over, under a key `kiosk/tiles.py` rebuilds it from.

A screen takes part by declaring the members (``ACCEPTS_SCANS = True``, ``DRAFT_SCREEN =
"items"`` with ``unsaved_input()``); nothing needs to subclass these.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, runtime_checkable

UnsavedInput = tuple[str, dict[str, Any]]  # (summary shown to the owner, JSON payload)


@runtime_checkable
class BadgeTarget(Protocol):
    ACCEPTS_BADGES: ClassVar[bool]


@runtime_checkable
class ScanTarget(Protocol):
    ACCEPTS_SCANS: ClassVar[bool]


@runtime_checkable
class HoldsInput(Protocol):
    def unsaved_input(self) -> UnsavedInput | None: ...


@runtime_checkable
class DraftSource(HoldsInput, Protocol):
    DRAFT_SCREEN: ClassVar[str]


def takes_badges(screen: object) -> bool:
    return isinstance(screen, BadgeTarget) and screen.ACCEPTS_BADGES


def takes_scans(screen: object) -> bool:
    return isinstance(screen, ScanTarget) and screen.ACCEPTS_SCANS


def unsaved_input(screen: object) -> UnsavedInput | None:
    """What ``screen`` holds that would be lost (None: nothing, or it holds no input)."""
    return screen.unsaved_input() if isinstance(screen, HoldsInput) else None
