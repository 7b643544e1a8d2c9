"""Re-authentication for administrator actions: badge/card + PIN of the signed-in
administrator, then the action.

The pending action (an `AdminBackend.admin_action` `Confirmation`) is described line by
line; the administrator taps their badge (or types their username where the station allows
it) and enters their PIN. Only then does the backend perform the action, in the same
transaction as the check. A refusal (wrong PIN, someone else's badge) keeps the dialog open.
Nothing is signed here: it returns an `ActionDone`, not a signature.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from screens.backend import ActionDone, ActionToConfirm, Confirmation, Proof
from screens.base import call_backend
from screens.modals import signature
from screens.modals.signature import ProofModal


class ReauthModal(ProofModal[ActionDone]):
    CSS_PATH = str(Path(signature.__file__).with_name("signature.tcss"))
    DEFAULT_CSS = """
    ReauthModal #sig-heading { color: $warning; }
    ReauthModal #sig-record { height: auto; max-height: 12; }
    """
    HEADING = "Confirm"
    TAP = "Tap your badge or card to confirm"
    COMMENT = False
    WORKING = "Checking and doing it…"

    def __init__(self, confirmation: Confirmation) -> None:
        super().__init__(confirmation.meaning)
        self.confirmation = confirmation
        self.action: ActionToConfirm | None = None

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#sig-heading", Static).update(
            f"Confirm: {self.meaning.upper()} — badge/card + PIN of the administrator"
        )

    def load(self) -> None:
        call_backend(self, self.confirmation.describe, self._described, failed=self._failed)

    def loaded(self) -> bool:
        return self.action is not None

    def _described(self, action: ActionToConfirm) -> None:
        self.action = action
        self.show_record([action.title, *action.lines])

    def act(self, proof: Proof, comment: str | None) -> None:
        call_backend(
            self, lambda: self.confirmation.confirm(proof), self.dismiss, failed=self._failed
        )

    def _ask_pin(self, signer: str | None, badge: str = "Badge read") -> None:
        super()._ask_pin(signer, badge)
        self.query_one("#sig-prompt", Static).update(
            f"Administrator: {signer}\nEnter your PIN and press OK to confirm."
            if signer
            else f"{badge}.\nEnter your PIN and press OK to confirm (the signed-in "
            "administrator's own badge and PIN only)."
        )
