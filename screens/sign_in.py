"""Sign-in (and unlock): tap a badge or card, then the PIN on the on-screen keypad.

Where the station allows it (admin terminals), a username can stand in for the badge.
The same screen is the idle lock: pushed over the signed-in screens, which keep their
unsaved input underneath; the app decides what a successful sign-in means (unlock, or a
different person taking over).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from domain.errors import AuthenticationFailed, PinChangeRequired, WorkCellError
from screens.backend import BadgeHolder, Proof, SignedInUser
from screens.base import call_backend
from screens.messages import BadgePresented
from screens.stages import show_stage
from screens.station import station_of
from screens.widgets import Keypad, StationHeader
from screens.widgets.keyboard import TouchInput
from screens.widgets.printable import printable

TAP_PROMPT = "Tap your badge or card on the reader"
_VISIBLE = {
    "tap-hint": frozenset({"-waiting"}),
    "pin": frozenset({"-pin"}),
    "cancel-pin": frozenset({"-pin", "-username"}),
    "sign-in-username": frozenset({"-username"}),
    "use-username": frozenset({"-waiting"}),
}
TAP_HINT = "▣\n\nTAP BADGE\nOR CARD\n\nthen enter\nyour PIN"


class SignInScreen(ModalScreen[SignedInUser]):
    """Dismisses with the person who proved who they are."""

    CSS_PATH = "sign_in.tcss"
    ACCEPTS_BADGES = True

    def __init__(self, *, locked_for: SignedInUser | None = None) -> None:
        super().__init__()
        self.stage_name = "-waiting"
        self.locked_for = locked_for
        self.badge_uid: str | None = None
        self.username: str | None = None
        self.stage = "pin"  # pin | new | repeat (a PIN change the service asked for)
        self.pin = self.new_pin = ""

    def compose(self) -> ComposeResult:
        yield StationHeader()
        with Horizontal(id="sign-in-body"):
            with Vertical(id="sign-in-info"):
                # printed names, typed usernames, refusals quoting them: stored, never markup
                yield Static(self._title(), id="sign-in-title", markup=False)
                yield Static(TAP_PROMPT, id="sign-in-prompt")
                yield Static("", id="sign-in-who", markup=False)
                yield Static("", id="sign-in-error", markup=False)
                yield TouchInput(placeholder="username, then Enter", id="sign-in-username")
                with Horizontal(id="sign-in-buttons"):
                    if station_of(self).allow_username_pin:
                        yield Button("Use username", id="use-username")
                    yield Button("Cancel", id="cancel-pin", variant="error")
            yield Static(TAP_HINT, id="tap-hint")
            yield Keypad(masked=True, max_length=12, placeholder="PIN", id="pin")

    def _title(self) -> str:
        if self.locked_for is None:
            return "Sign in"
        return (
            f"Locked — {printable(self.locked_for.printed_name)} is signed in.\n"
            "Their badge and PIN unlock with their input kept. Anyone else signing in "
            "parks that input as their draft."
        )

    def _state(self, state: str) -> None:
        self.stage_name = state
        show_stage(self, _VISIBLE, state)

    def _error(self, text: str) -> None:
        self.query_one("#sign-in-error", Static).update(text)

    def reset(self) -> None:
        """Back to waiting for a badge; nothing of the previous attempt is kept."""
        self.badge_uid = self.username = None
        self.stage, self.pin, self.new_pin = "pin", "", ""
        self.query_one("#pin", Keypad).clear()
        self.query_one("#sign-in-who", Static).update("")
        self.query_one("#sign-in-prompt", Static).update(TAP_PROMPT)
        self._state("-waiting")

    @on(BadgePresented)
    def badge(self, message: BadgePresented) -> None:
        self.reset()
        self._error("")
        self.badge_uid = message.uid
        self._ask_pin("Badge read")
        backend = station_of(self).session_backend
        call_backend(
            self, lambda: backend.identify_badge(message.uid), self._owner, failed=self._refused
        )

    def _owner(self, owner: BadgeHolder) -> None:
        self.query_one("#sign-in-who", Static).update(printable(owner.printed_name))

    def _ask_pin(self, who: str) -> None:
        self.query_one("#sign-in-who", Static).update(printable(who))
        self.query_one("#sign-in-prompt", Static).update("Enter your PIN, then OK")
        self._state("-pin")
        self.query_one("#pin", Keypad).focus()

    @on(Button.Pressed, "#use-username")
    def use_username(self) -> None:
        self.reset()
        self._state("-username")
        self.query_one("#sign-in-prompt", Static).update("Type your username, then Enter")
        self.query_one("#sign-in-username", Input).focus()

    @on(Input.Submitted, "#sign-in-username")
    def username_given(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.username = event.value.strip().lower()
            event.input.value = ""
            self._ask_pin(self.username)

    @on(Button.Pressed, "#cancel-pin")
    def cancel(self) -> None:
        self._error("")
        self.reset()

    @on(Keypad.Submitted, "#pin")
    def pin_entered(self, event: Keypad.Submitted) -> None:
        if not event.value or not (self.badge_uid or self.username):
            return
        event.keypad.clear()
        if self.stage == "new":
            self.new_pin, self.stage = event.value, "repeat"
            self.query_one("#sign-in-prompt", Static).update("Enter the new PIN again, then OK")
            return
        if self.stage == "repeat":
            self._change_pin(event.value)
            return
        self.pin = event.value
        self._check(Proof(pin=event.value, badge_uid=self.badge_uid, username=self.username))

    def _check(self, proof: Proof) -> None:
        self._error("Checking…")
        backend = station_of(self).session_backend
        call_backend(self, lambda: backend.sign_in(proof), self.dismiss, failed=self._refused)

    def _change_pin(self, repeated: str) -> None:
        if repeated != self.new_pin:
            self._ask_new_pin("The two entries differ. Choose a new PIN again.")
            return
        old = Proof(pin=self.pin, badge_uid=self.badge_uid, username=self.username)
        new = Proof(pin=repeated, badge_uid=self.badge_uid, username=self.username)
        backend = station_of(self).session_backend
        self._error("Saving the new PIN…")
        call_backend(
            self,
            lambda: backend.change_pin(old, repeated),
            lambda _: self._check(new),
            failed=self._pin_refused,
        )

    def _ask_new_pin(self, why: str) -> None:
        self.stage, self.new_pin = "new", ""
        self._error(why)
        self.query_one("#sign-in-prompt", Static).update("Choose a new PIN, then OK")
        self.query_one("#pin", Keypad).focus()

    def _pin_refused(self, error: WorkCellError) -> None:
        self._ask_new_pin(f"{error.title}: {error.message}")

    def _refused(self, error: WorkCellError) -> None:
        if isinstance(error, PinChangeRequired):
            self._ask_new_pin(f"{error.title}: {error.message}")
            return
        self._error(f"{error.title}: {error.message}")
        self.query_one("#pin", Keypad).clear()
        # A wrong PIN may be retried with the same badge; anything else starts over.
        if type(error) is not AuthenticationFailed:
            self.reset()
