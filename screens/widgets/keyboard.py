"""On-screen keyboard for text fields: letters, digits and the symbols lot numbers use.

`TouchInput` is an `Input` that opens `KeyboardModal` when it is tapped (a mouse/touch
click; Tab and typing keep working as in any Input). The modal shows the field's text in
an Input of its own (a physical keyboard types there too) above big keys that never take
focus, like the keypad's. OK writes the text back into the field and submits it, as Enter
would (a search runs, a form moves to its next field); Cancel leaves the field as it was.
A field with ``type="number"`` or ``"integer"`` gets the numeric layout (digits, decimal
point) instead of letters. ``check`` shows a line under the text, recomputed as it is
typed (a data entry's limits: out-of-limit is seen before anything is saved).
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from screens.widgets.keypad import KeyButton
from screens.widgets.printable import literal_label

LETTER_ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL-", "ZXCVBNM._/")
SYMBOLS = ("#", "+", ":", "~")
NUMBER_ROWS = ("789", "456", "123", ".0-")
_NAMES = {" ": "space", ".": "dot", "-": "dash", "_": "underscore", "/": "slash", "#": "hash",
          "+": "plus", ":": "colon", "~": "tilde"}  # fmt: skip


def key_id(char: str) -> str:
    """The id of a character's key: ``kb-a``, ``kb-7``, ``kb-dash``..."""
    return f"kb-{_NAMES.get(char, char.lower())}"


class KeyboardModal(ModalScreen[str | None]):
    """Big keys for one text field; returns the text (OK) or None (Cancel, Escape)."""

    DEFAULT_CSS = """
    KeyboardModal { align: center bottom; background: $background 70%; }
    KeyboardModal > Vertical {
        width: 100%; max-width: 120; height: auto; background: $surface;
        border: thick $accent; padding: 0 1;
    }
    KeyboardModal #kb-label { height: 1; color: $accent; text-style: bold; }
    KeyboardModal #kb-text { height: 3; margin: 0 0 0 0; }
    KeyboardModal .kb-row { height: 3; }
    KeyboardModal .kb-row > Button { width: 1fr; min-width: 4; height: 3; margin: 0; }
    KeyboardModal .kb-wide { width: 3fr; }
    KeyboardModal.-numeric > Vertical { max-width: 48; }
    KeyboardModal #kb-check { height: auto; text-style: bold; }
    KeyboardModal #kb-check.-alarm { background: $error; color: $foreground; }
    """

    def __init__(
        self,
        label: str,
        value: str,
        *,
        numeric: bool = False,
        password: bool = False,
        check: Callable[[str], tuple[str, bool]] | None = None,
    ):
        super().__init__(classes="-numeric" if numeric else "")
        self.check = check  # text → (what to say, alarm)
        self.label = label
        self.value = value
        self.numeric = numeric
        self.password = password
        self.upper = True

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.label, id="kb-label", markup=False)
            yield Input(self.value, password=self.password, id="kb-text")
            if self.check is not None:
                yield Static("", id="kb-check", markup=False)
            rows = NUMBER_ROWS if self.numeric else LETTER_ROWS
            for row in rows:
                with Horizontal(classes="kb-row"):
                    for char in row:
                        yield self._key(char, char)
            with Horizontal(classes="kb-row"):
                if not self.numeric:
                    yield self._key("abc", "shift")
                    for char in SYMBOLS:
                        yield self._key(char, char)
                    yield self._key("space", " ", classes="kb-wide")
                yield self._key("⌫", "back")
                yield self._key("Cancel", "cancel", variant="error")
                yield self._key("OK", "ok", variant="primary")

    def _key(self, label: str, key: str, *, variant: str = "default", classes: str = "") -> Button:
        button = KeyButton(
            literal_label(label),
            id="kb-" + key if key in ("shift", "back", "cancel", "ok") else key_id(key),
            variant=variant,  # type: ignore[arg-type]
            classes=classes,
            name=key,
        )
        button.can_focus = False
        button.styles.min_width = 4  # 11 keys in 80 columns (the station's Button rule says 10)
        return button

    def on_mount(self) -> None:
        text = self.query_one("#kb-text", Input)
        text.focus()
        text.cursor_position = len(text.value)
        self._show_check(text.value)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.press(event.button.name or "")

    def press(self, key: str) -> None:
        """Act as if a key was tapped: a character, "shift", "back", "cancel" or "ok"."""
        text = self.query_one("#kb-text", Input)
        if key == "ok":
            self.dismiss(text.value)
        elif key == "cancel":
            self.dismiss(None)
        elif key == "back":
            text.action_delete_left()
        elif key == "shift":
            self._shift()
        elif key:
            text.insert_text_at_cursor(key if self.upper else key.lower())

    def _shift(self) -> None:
        self.upper = not self.upper
        for row in LETTER_ROWS[1:]:
            for char in row:
                if char.isalpha():
                    button = self.query_one(f"#{key_id(char)}", Button)
                    button.label = char if self.upper else char.lower()
        self.query_one("#kb-shift", Button).label = "abc" if self.upper else "ABC"

    @on(Input.Changed, "#kb-text")
    def changed(self, event: Input.Changed) -> None:
        self._show_check(event.value)

    def _show_check(self, value: str) -> None:
        if self.check is not None:
            said, alarm = self.check(value)
            line = self.query_one("#kb-check", Static)
            line.update(said)
            line.set_class(alarm, "-alarm")

    @on(Input.Submitted, "#kb-text")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def key_escape(self) -> None:
        self.dismiss(None)


class TouchInput(Input):
    """An Input that a tap opens in the on-screen keyboard (see the module docstring)."""

    def on_click(self, event: events.Click) -> None:
        if isinstance(self.screen, KeyboardModal):
            return
        event.stop()
        self.open_keyboard()

    def open_keyboard(self) -> None:
        label = self.placeholder or self.border_title or "Type"
        numeric = self.type in ("number", "integer")
        modal = KeyboardModal(str(label), self.value, numeric=numeric, password=self.password)
        self.app.push_screen(modal, self._typed)

    def _typed(self, text: str | None) -> None:
        if text is None:
            return
        self.value = text
        self.cursor_position = len(text)
        self.focus()
        self.post_message(Input.Submitted(self, text))
