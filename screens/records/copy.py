"""Print record (true copy) on a record's own screen — the item, ECO, NCR and CAPA screens
share this: a "Print record" button, offered to whoever holds record.copy (the others see
why, before anything is read), which pushes the progress modal for that record's true copy
(domain/records/single.py through the station's records backend)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen
from textual.widgets import Button, Static

from screens.station import station_of

# (actor, record type, key) → the progress modal printing that record's true copy
OpenCopy = Callable[[str, str, str], Screen[Any]]
PERMISSION = "record.copy"


def show_print(button: Button, why: Static, open_copy: OpenCopy | None) -> None:
    """Offer the button where the station can print (``open_copy``); disabled, with the
    reason, for a person whose roles do not give record.copy."""
    user = station_of(button).current_user
    button.display = open_copy is not None
    allowed = user is not None and user.may(PERMISSION)
    button.disabled = not allowed
    why.display = open_copy is not None and not allowed
    why.update(
        "" if allowed else
        f"Print record: not for you — a true copy needs the {PERMISSION} permission."
    )  # fmt: skip


def print_copy(screen: Screen[Any], open_copy: OpenCopy | None, record_type: str, key: str) -> None:
    user = station_of(screen).current_user
    if open_copy is not None and user is not None:
        screen.app.push_screen(open_copy(user.username, record_type, key))
