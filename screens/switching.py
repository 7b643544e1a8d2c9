"""Shown while one person's sign-in takes over the station from another: the previous
person's screens (and whatever they typed) stay mounted underneath until their input is
parked, but the newcomer never sees them, however slow the database is."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Static

from screens.widgets import StationHeader


class SwitchingScreen(Screen[None]):
    DEFAULT_CSS = """
    SwitchingScreen #switching-text { text-style: bold; width: auto; padding: 1 2; }
    """

    def __init__(self, printed_name: str) -> None:
        super().__init__()
        self.printed_name = printed_name

    def compose(self) -> ComposeResult:
        yield StationHeader()
        with Middle(), Center():
            yield Static(
                f"Switching to {self.printed_name}…\n"
                "The previous person's unsaved input is kept for them.",
                id="switching-text",
                markup=False,
            )
