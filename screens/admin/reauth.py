"""Re-authentication for administrator actions: the signature dialog, worded as a confirmation.

The pending action (an `AdminBackend.admin_action` Signable) is described line by line;
the administrator taps their badge (or types their username where the station allows it)
and enters their PIN. Only then does the backend perform the action, in the same
transaction as the check. A refusal (wrong PIN, someone else's badge) keeps the dialog open.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from domain.errors import WorkCellError
from screens.backend import RecordToSign
from screens.modals import signature
from screens.modals.signature import SignatureModal


class ReauthModal(SignatureModal):
    CSS_PATH = str(Path(signature.__file__).with_name("signature.tcss"))
    DEFAULT_CSS = """
    ReauthModal #sig-comment { display: none; }
    ReauthModal #sig-heading { color: $warning; }
    ReauthModal #sig-record { height: auto; max-height: 12; }
    """

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#sig-heading", Static).update(
            f"Confirm: {self.signable.meaning.upper()} — badge/card + PIN of the administrator"
        )
        self.query_one("#sig-comment", Input).disabled = True
        self.query_one("#sig-prompt", Static).update("Tap your badge or card to confirm")

    def _ask_pin(self, signer: str | None, badge: str = "Badge read") -> None:
        super()._ask_pin(signer, badge)
        self.query_one("#sig-prompt", Static).update(
            f"Administrator: {signer}\nEnter your PIN and press OK to confirm."
            if signer
            else f"{badge}.\nEnter your PIN and press OK to confirm (the signed-in "
            "administrator's own badge and PIN only)."
        )

    def _described(self, record: RecordToSign) -> None:
        self.record = record
        text = "\n".join([record.title, *record.lines])
        self.query_one("#sig-record", Static).update(text)

    def _failed(self, error: WorkCellError) -> None:
        super()._failed(error)
        self.query_one("#sig-prompt", Static).update("Tap your badge or card to confirm")
