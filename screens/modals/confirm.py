"""Confirmation for anything irreversible. Returns True only for the confirm button."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Static

from screens.widgets.printable import literal_label, printable


class ConfirmModal(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmModal { align: center middle; background: $background 80%; }
    ConfirmModal > Vertical {
        width: 70; max-width: 100%; height: auto; border: thick $warning;
        background: $surface; padding: 1 2;
    }
    ConfirmModal #confirm-title { text-style: bold; color: $warning; }
    ConfirmModal #confirm-text { margin: 1 0; }
    ConfirmModal Horizontal { height: 3; }
    ConfirmModal Button { width: 1fr; margin: 0 1; }
    """

    def __init__(self, title: str, text: str, *, confirm: str = "Yes", cancel: str = "No") -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.confirm_label = confirm
        self.cancel_label = cancel

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, id="confirm-title", markup=False)
            yield Static(printable(self.text), id="confirm-text", markup=False)  # it quotes input
            with Horizontal():
                yield Button(literal_label(self.cancel_label), id="cancel")
                yield Button(literal_label(self.confirm_label), id="confirm", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(False)

    def key_escape(self) -> None:
        self.dismiss(False)


def discard_or_stay(screen: Screen[Any], unsaved: bool) -> None:
    """Close ``screen`` (dismiss None); with unsaved input, ask first."""
    if not unsaved:
        screen.dismiss(None)
        return

    def answered(discard: bool | None) -> None:
        if discard:
            screen.dismiss(None)  # not awaited: this runs inside a message handler

    screen.app.push_screen(
        ConfirmModal(
            "Discard what you typed?",
            "The entries on this form are lost if you leave now.",
            confirm="Discard",
            cancel="Keep editing",
        ),
        answered,
    )
