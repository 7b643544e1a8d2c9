"""The signature dialog every screen uses: what is signed, by whom, meaning; badge + PIN.

Usage from any screen (see docs/kiosk.md)::

    signable = backend.approval(user.username, item_number, version)   # area backend
    self.app.push_screen(SignatureModal(signable), self.signed)         # -> SignatureLine|None

It re-authenticates every time (badge or card, then PIN), whoever is signed in at the
station: a supervisor signs at an operator's station without signing the operator out.
Nobody is named before the PIN: the database tells who holds a badge only to the PIN that
proves it, and the signature then carries that person's printed name (shown once signed).
A refusal shows the service's reason and leaves the dialog open for another try.
"""

from __future__ import annotations

from typing import TypeVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from domain.errors import WorkCellError
from screens.backend import BadgeHolder, Proof, RecordToSign, Signable, SignatureLine
from screens.base import call_backend
from screens.messages import BadgePresented
from screens.stages import show_stage
from screens.station import station_of
from screens.widgets import Keypad, StationHeader
from screens.widgets.keyboard import TouchInput
from screens.widgets.printable import printable

_VISIBLE = {
    "sig-pin": frozenset({"-pin"}),
    "sig-username": frozenset({"-username"}),
    "sig-use-username": frozenset({"-waiting"}),
}
ResultT = TypeVar("ResultT")


class ProofModal(ModalScreen[ResultT | None]):
    """Badge or card (or username) + PIN, asked every time: what the signature dialog and the
    administrator's confirmation (screens/admin/reauth.py) share. A subclass loads what it
    shows (`load`) and acts on the proof (`act`); a refusal waits for another badge."""

    CSS_PATH = "signature.tcss"
    ACCEPTS_BADGES = True
    HEADING = "Sign"
    TAP = "Tap your badge or card to sign"
    COMMENT = True  # an optional comment goes with the proof
    WORKING = "Signing…"

    def __init__(self, meaning: str) -> None:
        super().__init__()
        self.stage_name = "-waiting"
        self.meaning = meaning
        self.badge_uid: str | None = None
        self.username: str | None = None

    def compose(self) -> ComposeResult:
        yield StationHeader()
        with Horizontal(id="sig-body"):
            with Vertical(id="sig-info"):
                yield Static(
                    f"{self.HEADING}: {self.meaning.upper()}", id="sig-heading", markup=False
                )
                with VerticalScroll(id="sig-record-box"):
                    # what is signed, exactly as stored: never parsed as markup, controls shown
                    yield Static("Loading…", id="sig-record", markup=False)
                if self.COMMENT:
                    yield TouchInput(placeholder="Comment (optional)", id="sig-comment")
                yield Static(self.TAP, id="sig-prompt", markup=False)  # a typed username
                yield Static("", id="sig-error", markup=False)
                yield TouchInput(placeholder="username, then Enter", id="sig-username")
                with Horizontal(id="sig-buttons"):
                    yield Button("Cancel", id="sig-cancel", variant="error")
                    if station_of(self).allow_username_pin:
                        yield Button("Use username", id="sig-use-username")
            yield Keypad(masked=True, placeholder="PIN", id="sig-pin")

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        """Fetch and show what the proof will be for (a worker: call_backend)."""
        raise NotImplementedError

    def loaded(self) -> bool:
        """Whether what is shown has arrived: nothing is signed or done unseen."""
        raise NotImplementedError

    def act(self, proof: Proof, comment: str | None) -> None:
        """Sign or perform with the proof (a worker), then dismiss with the result."""
        raise NotImplementedError

    def show_record(self, lines: list[str]) -> None:
        self.query_one("#sig-record", Static).update(printable("\n".join(lines)))

    def _state(self, state: str) -> None:
        self.stage_name = state
        show_stage(self, _VISIBLE, state)

    def _error(self, text: str) -> None:
        self.query_one("#sig-error", Static).update(text)

    @on(BadgePresented)
    def badge(self, message: BadgePresented) -> None:
        self._error("")
        self.badge_uid, self.username = message.uid, None
        self._ask_pin(None)
        backend = station_of(self).session_backend
        call_backend(
            self, lambda: backend.identify_badge(message.uid), self._owner, failed=self._failed
        )

    def _owner(self, owner: BadgeHolder) -> None:
        self._ask_pin(owner.username or None, owner.printed_name)

    def _ask_pin(self, signer: str | None, badge: str = "Badge read") -> None:
        """``signer``: the username typed; None for a badge (its holder is not named)."""
        meaning = self.meaning
        self.query_one("#sig-prompt", Static).update(
            f"Signer: {signer}\nEnter your PIN and press OK to sign as {signer} ({meaning})."
            if signer
            else f"{badge}.\nEnter your PIN and press OK to sign ({meaning}) in the name of "
            "the badge's holder."
        )
        self._state("-pin")
        self.query_one("#sig-pin", Keypad).focus()

    @on(Button.Pressed, "#sig-use-username")
    def use_username(self) -> None:
        self._state("-username")
        self.query_one("#sig-prompt", Static).update("Type your username, then Enter")
        self.query_one("#sig-username", Input).focus()

    @on(Input.Submitted, "#sig-username")
    def username_given(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.badge_uid, self.username = None, event.value.strip().lower()
            event.input.value = ""
            self._ask_pin(self.username)

    @on(Keypad.Submitted, "#sig-pin")
    def pin_entered(self, event: Keypad.Submitted) -> None:
        if not event.value or not (self.badge_uid or self.username):
            return
        if not self.loaded():
            self._error("The record is not loaded yet: nothing can be signed unseen.")
            self.load()
            return
        proof = Proof(pin=event.value, badge_uid=self.badge_uid, username=self.username)
        comment = None
        if self.COMMENT:
            comment = self.query_one("#sig-comment", Input).value.strip() or None
        event.keypad.clear()
        self._error(self.WORKING)
        self.act(proof, comment)

    def _failed(self, error: WorkCellError) -> None:
        self._error(f"{error.title}: {error.message}")
        self.query_one("#sig-pin", Keypad).clear()
        self.badge_uid = self.username = None
        self.query_one("#sig-prompt", Static).update(self.TAP)
        self._state("-waiting")

    @on(Button.Pressed, "#sig-cancel")
    def cancel(self) -> None:
        self.dismiss(None)

    def key_escape(self) -> None:
        self.dismiss(None)


class SignatureModal(ProofModal[SignatureLine]):
    """The signature dialog: a `Signable`'s record (version and content hash kept as shown),
    the meaning, badge + PIN; returns the signature's manifestation or None."""

    def __init__(self, signable: Signable) -> None:
        super().__init__(signable.meaning)
        self.signable = signable
        self.record: RecordToSign | None = None

    def load(self) -> None:
        call_backend(self, self.signable.describe, self._described, failed=self._failed)

    def loaded(self) -> bool:
        return self.record is not None

    def _described(self, record: RecordToSign) -> None:
        self.record = record
        self.show_record(
            [
                # version 0: several records, each listed with its own version
                f"{record.title} · version {record.version}" if record.version else record.title,
                *record.lines,
                f"Meaning: {record.meaning}",
            ]
        )

    def act(self, proof: Proof, comment: str | None) -> None:
        call_backend(
            self, lambda: self.signable.sign(proof, comment), self.dismiss, failed=self._failed
        )
