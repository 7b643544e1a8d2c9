"""Small dialogs of the admin screens: a reason, a choice, a new user, a new card, a PIN.

Each is typed by what it returns (``None`` = cancelled) and is usable with a finger (3-line
buttons) and with a keyboard alone (Tab, Enter, Escape). A dialog given a ``check`` runs it
(a backend call, in a worker) on what was entered before closing: a refusal is shown on the
dialog with everything still in place, so nothing is judged only after the badge and PIN.
Cancel/Escape with something entered asks first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Static

from domain.errors import WorkCellError
from screens.admin.backend import AdminRequest
from screens.base import call_backend
from screens.messages import BadgePresented
from screens.modals.confirm import discard_or_stay
from screens.widgets import Keypad
from screens.widgets.keyboard import TouchInput
from screens.widgets.printable import literal_label, printable

FORM_CSS = """
FormModal { align: center middle; background: $background 85%; }
FormModal > Vertical {
    width: 76; max-width: 100%; height: auto; max-height: 100%;
    border: thick $accent; background: $surface; padding: 0 1;
}
FormModal .form-title { text-style: bold; color: $accent; }
FormModal .form-text { margin: 0 0 1 0; height: auto; }
FormModal .form-error { color: $error; text-style: bold; height: auto; }
FormModal .form-buttons { height: 3; margin-top: 1; }
FormModal .form-buttons > Button { width: 1fr; margin: 0 1 0 0; }
FormModal .presets { height: auto; }
FormModal .presets > Button { width: 1fr; margin: 0 1 0 0; }
FormModal Checkbox { height: 3; width: 1fr; }
FormModal .roles { grid-size: 3; grid-rows: 3; grid-gutter: 0 1; height: auto; }
FormModal .choice { width: 1fr; height: 3; margin-bottom: 0; }
FormModal VerticalScroll { height: auto; max-height: 14; }
"""


Check = Callable[[Any], None]  # blocking; raises a WorkCellError to refuse the value


class FormModal(ModalScreen[object]):
    DEFAULT_CSS = FORM_CSS

    def __init__(self, *, check: Check | None = None, error: str = "") -> None:
        super().__init__()
        self.check = check
        self.initial_error = error  # why the form is shown again (a refusal): on the form

    def finish(self, value: object) -> None:
        """Close with ``value`` once ``check`` accepts it; a refusal stays on the form."""
        check = self.check
        if check is None:
            self.dismiss(value)
            return
        self.error("Checking…")
        call_backend(
            self,
            lambda: check(value),
            lambda _: self.dismiss(value),
            failed=self.refused,
            group="form-check",
        )

    def refused(self, error: WorkCellError) -> None:
        self.error(f"{error.title}: {error.message}")

    def _buttons(self, ok: str, variant: str = "primary") -> ComposeResult:
        with Horizontal(classes="form-buttons"):
            yield Button("Cancel", id="form-cancel")
            yield Button(literal_label(ok), id="form-ok", variant=variant)  # type: ignore[arg-type]

    def error(self, text: str) -> None:
        self.query_one(".form-error", Static).update(text)

    @on(Button.Pressed, "#form-cancel")
    def cancel(self) -> None:
        discard_or_stay(self, self.has_unsaved_input())

    def key_escape(self) -> None:
        self.cancel()

    def has_unsaved_input(self) -> bool:
        """Whether Cancel/Escape would lose something typed (then it asks first)."""
        return False


class ReasonModal(FormModal):
    """A reason for the audit trail: a preset (one tap) or typed. Never empty."""

    def __init__(
        self,
        title: str,
        text: str,
        presets: Sequence[str] = (),
        ok: str = "Next",
        *,
        value: str = "",
        check: Check | None = None,
        error: str = "",
    ) -> None:
        super().__init__(check=check, error=error)
        self.title_text, self.text, self.presets, self.ok = title, text, presets, ok
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="form-title", markup=False)
            yield Static(self.text, classes="form-text", markup=False)
            with Horizontal(classes="presets"):
                for n, preset in enumerate(self.presets):
                    yield Button(literal_label(preset), id=f"preset-{n}")
            yield TouchInput(
                self.value, placeholder="Reason (recorded in the audit trail)", id="reason"
            )
            yield Static(self.initial_error, classes="form-error", markup=False)
            yield from self._buttons(self.ok)

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def has_unsaved_input(self) -> bool:
        return bool(self.query_one("#reason", Input).value.strip())

    @on(Button.Pressed, ".presets > Button")
    def preset(self, event: Button.Pressed) -> None:
        self.query_one("#reason", Input).value = str(event.button.label)
        self.submit()

    @on(Input.Submitted, "#reason")
    @on(Button.Pressed, "#form-ok")
    def submit(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if len(reason) < 3:
            self.error("Give a reason: it is recorded in the audit trail.")
            return
        self.finish(reason)


class ChoiceModal(FormModal):
    """Pick one of a few values with big buttons. Returns the value."""

    def __init__(
        self,
        title: str,
        choices: Sequence[tuple[str, str]],
        text: str = "",
        *,
        check: Check | None = None,
        error: str = "",
    ) -> None:
        super().__init__(check=check, error=error)
        self.title_text, self.choices, self.text = title, choices, text

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, classes="form-title", markup=False)
            if self.text:
                yield Static(self.text, classes="form-text", markup=False)
            with VerticalScroll():
                for n, (_, label) in enumerate(self.choices):
                    yield Button(Text(printable(label)), id=f"choice-{n}", classes="choice")
            if not self.choices:
                yield Static("Nothing to choose from.", classes="form-text")
            yield Static(self.initial_error, classes="form-error", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("Cancel", id="form-cancel")

    @on(Button.Pressed, ".choice")
    def chosen(self, event: Button.Pressed) -> None:
        index = int((event.button.id or "choice-0").removeprefix("choice-"))
        self.finish(self.choices[index][0])


class AddUserModal(FormModal):
    """Username, printed name (it appears on every signature) and roles."""

    def __init__(
        self, roles: Sequence[str], values: AdminRequest | None = None, error: str = ""
    ) -> None:
        super().__init__(error=error)
        self.roles = roles
        self.values = values  # what was typed before a refusal: shown again, never lost

    def compose(self) -> ComposeResult:
        values = self.values
        with Vertical():
            yield Static("Add a user", classes="form-title")
            yield TouchInput(
                values.username if values else "",
                placeholder="Username (e.g. jsmith)",
                id="new-username",
            )
            yield TouchInput(
                values.printed_name if values else "",
                placeholder="Printed name (as on signatures)",
                id="new-printed",
            )
            with Grid(classes="roles"):  # 3 a row: "supervisor" readable at 80 columns
                for role in self.roles:
                    held = values is not None and role in values.roles
                    yield Checkbox(literal_label(role), held, id=f"role-{role}")
            yield Static(self.initial_error, classes="form-error", markup=False)
            yield from self._buttons("Next")

    def on_mount(self) -> None:
        self.query_one("#new-username", Input).focus()

    def has_unsaved_input(self) -> bool:
        fields = ("#new-username", "#new-printed")
        typed = any(self.query_one(f, Input).value.strip() for f in fields)
        return typed or any(box.value for box in self.query(Checkbox))

    @on(Button.Pressed, "#form-ok")
    def submit(self) -> None:
        username = self.query_one("#new-username", Input).value.strip().lower()
        printed = self.query_one("#new-printed", Input).value.strip()
        if not username or not printed:
            self.error("Both the username and the printed name are needed.")
            return
        roles = tuple(r for r in self.roles if self.query_one(f"#role-{r}", Checkbox).value)
        self.dismiss(AdminRequest("add-user", username, printed_name=printed, roles=roles))


class CardCaptureModal(FormModal):
    """Waits for the new card: tapped on the reader, or its number typed (over SSH). With a
    ``check``, a card already issued is refused here, before the administrator's badge and
    PIN, and the dialog waits for another card. ``kept``: the card read before a refusal of
    something else (or a cancelled confirmation), offered again with one tap."""

    ACCEPTS_BADGES = True

    def __init__(
        self,
        username: str,
        *,
        kept: str | None = None,
        check: Check | None = None,
        error: str = "",
    ) -> None:
        super().__init__(check=check, error=error)
        self.username = username
        self.kept = kept

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"New badge for {self.username}", classes="form-title", markup=False)
            yield Static(
                "Tap the NEW card on the reader now.\n(Or type the card number and press Enter.)",
                classes="form-text",
            )
            yield TouchInput(placeholder="card number", password=True, id="card-typed")
            yield Static(self.initial_error, classes="form-error", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("Cancel", id="form-cancel")
                if self.kept:
                    yield Button("Use the card read", id="card-keep", variant="primary")

    def has_unsaved_input(self) -> bool:
        return bool(self.kept or self.query_one("#card-typed", Input).value.strip())

    @on(BadgePresented)
    def tapped(self, message: BadgePresented) -> None:
        message.stop()
        self.finish(message.uid)

    @on(Button.Pressed, "#card-keep")
    def keep(self) -> None:
        if self.kept:
            self.finish(self.kept)

    @on(Input.Submitted, "#card-typed")
    def typed(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.finish(event.value.strip())
        else:
            self.error("No card number: tap the card or type its number.")


class TemporaryPinModal(FormModal):
    """A temporary PIN, entered twice on the keypad. The user must replace it."""

    def __init__(self, username: str, *, check: Check | None = None) -> None:
        super().__init__(check=check)
        self.username = username
        self.first: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Temporary PIN for {self.username}", classes="form-title", markup=False)
            yield Static(
                "Enter a temporary PIN and press OK. Tell it to the user in person: it only\n"
                "lets them choose their own PIN; they cannot sign with it.",
                classes="form-text",
                id="pin-text",
            )
            yield Keypad(masked=True, placeholder="temporary PIN", id="temp-pin")
            yield Static("", classes="form-error", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("Cancel", id="form-cancel")

    def on_mount(self) -> None:
        self.query_one("#temp-pin", Keypad).focus()

    def has_unsaved_input(self) -> bool:
        return self.first is not None or bool(self.query_one("#temp-pin", Keypad).value)

    def refused(self, error: WorkCellError) -> None:
        """A PIN the policy refuses: start again, saying why."""
        self.first = None
        self.query_one("#pin-text", Static).update("Enter a temporary PIN and press OK.")
        super().refused(error)

    @on(Keypad.Submitted, "#temp-pin")
    def entered(self, event: Keypad.Submitted) -> None:
        event.keypad.clear()
        if not event.value:
            return
        if self.first is None:
            self.first = event.value
            self.error("")
            self.query_one("#pin-text", Static).update("Enter the same PIN again and press OK.")
        elif event.value != self.first:
            self.first = None
            self.error("The two entries differ. Start again.")
            self.query_one("#pin-text", Static).update("Enter a temporary PIN and press OK.")
        else:
            self.finish(event.value)
