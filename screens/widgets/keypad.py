"""On-screen numeric keypad for PINs and quantities: big keys, no hover, keyboard too.

The keys never take focus (a glove presses them; a keyboard types digits into the keypad
itself), so Tab moves between real controls, not twelve digits.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Grid
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Button, Static

_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "back", "0", "ok")
_LABELS = {"back": "⌫", "ok": "OK"}


class KeyButton(Button):
    """A keypad key takes every tap. Textual's Button ignores a click while its 0.2 s press
    effect runs, so a quick second tap on the same digit ("1 1") was lost: a wrong PIN
    that counts towards the lockout."""

    async def _on_click(self, event: events.Click) -> None:
        event.stop()
        self.press()


class Keypad(Widget, can_focus=True):
    """Digits 0-9, backspace and OK. Posts `Keypad.Submitted` on OK or Enter."""

    DEFAULT_CSS = """
    Keypad { width: 40; height: auto; }
    Keypad > #keypad-display {
        height: 3; border: tall $foreground; content-align: center middle;
        text-style: bold; background: $surface;
    }
    Keypad:focus > #keypad-display { border: tall $accent; }
    Keypad > Grid { grid-size: 3 4; grid-gutter: 0 1; height: 12; }
    Keypad Button { width: 1fr; min-width: 6; height: 3; }
    """

    value: reactive[str] = reactive("")

    @dataclass
    class Submitted(Message):
        keypad: Keypad
        value: str

        @property
        def control(self) -> Keypad:
            return self.keypad

    @dataclass
    class Changed(Message):
        keypad: Keypad
        value: str

        @property
        def control(self) -> Keypad:
            return self.keypad

    def __init__(
        self,
        *,
        masked: bool = False,
        max_length: int = 12,
        placeholder: str = "",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.masked = masked
        self.max_length = max_length
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        yield Static(self._shown(), id="keypad-display", markup=False)
        with Grid():
            for key in _KEYS:
                button = KeyButton(
                    _LABELS.get(key, key),
                    id=f"key-{key}",
                    variant="primary" if key == "ok" else "default",
                )
                button.can_focus = False
                yield button

    def _shown(self) -> str:
        if not self.value:
            return self.placeholder
        return "●" * len(self.value) if self.masked else self.value

    def watch_value(self, value: str) -> None:
        if self.is_mounted:
            self.query_one("#keypad-display", Static).update(self._shown())
            self.post_message(self.Changed(self, value))

    def clear(self) -> None:
        self.value = ""

    def press(self, key: str) -> None:
        """Act as if a key was pressed: a digit, "back" or "ok"."""
        if key == "back":
            self.value = self.value[:-1]
        elif key == "ok":
            self.post_message(self.Submitted(self, self.value))
        elif key.isdigit() and len(self.value) < self.max_length:
            self.value += key

    @on(Button.Pressed)
    def _key_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.press((event.button.id or "").removeprefix("key-"))

    def on_key(self, event: events.Key) -> None:
        key = {"backspace": "back", "enter": "ok"}.get(event.key, event.character or "")
        if key in ("back", "ok") or (len(key) == 1 and key.isdigit()):
            event.stop()
            event.prevent_default()
            self.press(key)
