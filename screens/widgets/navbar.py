"""Bottom bar of every signed-in screen: Back always bottom-left, Lock and Sign out right."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Static


class NavBar(Horizontal):
    DEFAULT_CSS = """
    NavBar { dock: bottom; height: 3; width: 1fr; background: $panel; }
    NavBar > Button { height: 3; min-width: 12; }
    NavBar > #nav-title {
        width: 1fr; height: 3; content-align: center middle; text-style: bold;
    }
    """

    @dataclass
    class Chosen(Message):
        """One of the bar's buttons: "back", "lock" or "sign-out"."""

        action: str

    def __init__(self, title: str, *, back: bool = True) -> None:
        super().__init__()
        self.title = title
        self.back = back

    def compose(self) -> ComposeResult:
        yield Button("◀ Back", id="nav-back", disabled=not self.back)
        yield Static(self.title, id="nav-title", markup=False)  # may name a user or an item
        yield Button("Lock", id="nav-lock", variant="warning")
        yield Button("Sign out", id="nav-sign-out", variant="error")

    @on(Button.Pressed)
    def _chosen(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Chosen((event.button.id or "").removeprefix("nav-")))
