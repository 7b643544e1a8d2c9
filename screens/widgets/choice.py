"""A touch-sized choice: a button showing the current value; tapping it opens big options.

Replaces a drop-down list (rows one line tall are too small for a gloved finger, and a
Select is a heavy widget to mount).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from screens.widgets.printable import literal_label, printable


class ChoiceModal(ModalScreen[str | None]):
    """Big buttons, one per option; returns the option or None (Cancel, Escape)."""

    DEFAULT_CSS = """
    ChoiceModal { align: center middle; background: $background 80%; }
    ChoiceModal > Vertical {
        width: 72; max-width: 100%; height: auto; border: thick $accent;
        background: $surface; padding: 0 1;
    }
    ChoiceModal #choice-title { text-style: bold; color: $accent; }
    ChoiceModal #choice-options { height: auto; max-height: 60vh; }
    ChoiceModal Grid { grid-size: 3; grid-gutter: 0 1; height: auto; grid-rows: 3; }
    ChoiceModal Grid > Button { width: 1fr; }
    ChoiceModal #choice-cancel { width: 1fr; margin-top: 1; }
    """

    def __init__(self, title: str, options: Sequence[str], current: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.options = list(options)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, id="choice-title", markup=False)
            # Scrolls when there are more options than fit (a plant's bins at 80x24); Cancel stays.
            with VerticalScroll(id="choice-options"), Grid():
                for index, option in enumerate(self.options):
                    chosen = option == self.current
                    # an option is often stored text (a bin, an instrument): never markup
                    yield Button(
                        Text(printable(option)),
                        id=f"choice-{index}",
                        variant="primary" if chosen else "default",
                    )
            yield Button("Cancel", id="choice-cancel", variant="error")

    @on(Button.Pressed)
    def chosen(self, event: Button.Pressed) -> None:
        event.stop()
        button_id = event.button.id or ""
        if button_id == "choice-cancel":
            self.dismiss(None)
        else:
            self.dismiss(self.options[int(button_id.removeprefix("choice-"))])

    def key_escape(self) -> None:
        self.dismiss(None)


class ChoiceButton(Button):
    """``value`` is "" until something is chosen; posts ``ChoiceButton.Changed``."""

    @dataclass
    class Changed(Message):
        choice: ChoiceButton
        value: str

    def __init__(
        self, title: str, options: Sequence[str], value: str = "", *, id: str | None = None
    ) -> None:
        super().__init__(self._text(title, value), id=id, classes="choice")
        self.title_text = title
        self.options = list(options)
        self._value = value

    @staticmethod
    def _text(title: str, value: str) -> Content:
        return literal_label(f"{title}: {value or '— choose —'}  ▸")

    @property
    def value(self) -> str:
        return self._value

    @value.setter
    def value(self, value: str) -> None:
        if value and value not in self.options:
            raise ValueError(f"{value!r} is not one of {self.options}")
        self._value = value
        self.label = self._text(self.title_text, value)
        self.post_message(self.Changed(self, value))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button is not self:
            return
        event.stop()
        modal = ChoiceModal(self.title_text, self.options, self._value)
        self.app.push_screen(modal, self._chosen)

    def _chosen(self, value: str | None) -> None:
        if value is not None:
            self.value = value
