"""QA review of a completed work order: review by exception first (deviations, out-of-limit
values, corrections, late or out-of-order entries, unexpected signers, typed instead of
weighed), then the full record; sign "reviewed" (the record and its audit trail), then
release or reject the output lot with a signature. An action the signed-in person may not
take is shown disabled with the database's reason, before any badge. "Print record" prints
the batch record (PDF/A-3b) in a worker with its progress (screens/records/progress.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Static

from domain.errors import WorkCellError
from screens.backend import SignatureLine
from screens.base import StationScreen, call_backend
from screens.modals.confirm import ConfirmModal
from screens.modals.signature import SignatureModal
from screens.station import fmt_time, station_of
from screens.work_orders.backend import ReviewView, WorkOrderBackend

ACTIONS = ("reviewed", "release", "reject")
LABEL = {"reviewed": "Sign: reviewed", "release": "Release lot", "reject": "Reject lot"}
KIND = {"deviation": "DEVIATION", "out_of_limit": "OUT OF LIMIT", "correction": "CORRECTED",
        "late": "LATE", "out_of_order": "OUT OF ORDER", "unexpected_signer": "UNEXPECTED SIGNER",
        "typed_value": "TYPED, NOT WEIGHED"}  # fmt: skip


class ReviewScreen(StationScreen):
    CSS_PATH = "work_orders.tcss"
    TITLE_TEXT = "QA review"

    def __init__(
        self,
        backend: WorkOrderBackend,
        number: str,
        *,
        open_record: Callable[[str, str], Screen[Any]] | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.number = number
        self.open_record = open_record  # (actor, work order) → the printing modal
        self.view: ReviewView | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(f"{self.number}: loading…", id="rv-heading", markup=False)
        with VerticalScroll(id="rv-scroll"):
            yield Static("", id="rv-exceptions")
            yield Static("", id="rv-record")
        yield Static("", id="rv-why", markup=False)
        with Horizontal(id="rv-actions"):
            for action in ACTIONS:
                yield Button(
                    LABEL[action], id=f"rv-{action}", disabled=True,
                    variant="error" if action == "reject" else "success",
                )  # fmt: skip
            if self.open_record is not None:
                yield Button("Print record", id="rv-print", variant="primary", disabled=True)

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        user = station_of(self).current_user
        if user is not None:
            call_backend(self, lambda: self.backend.review(user.username, self.number),
                         self.show, failed=self.refused)  # fmt: skip

    def refused(self, error: WorkCellError) -> None:
        why = self.query_one("#rv-why", Static)
        why.update(f"{error.title}: {error.message}")
        why.add_class("-alarm")

    def show(self, view: ReviewView) -> None:
        self.view = view
        tz = station_of(self).tz
        lot = f" · output lot {view.output_lot} ({view.output_status})" if view.output_lot else ""
        self.query_one("#rv-heading", Static).update(
            f"{view.number} · {view.item_number} {view.description} · {view.quantity} · "
            f"{view.status.replace('_', ' ')}{lot}"
        )
        exceptions = Text.assemble(
            (f"Review by exception: {len(view.exceptions)} to look at\n", "bold underline")
        )
        for e in view.exceptions:
            when = fmt_time(e.at, tz) if e.at else ""
            step = f"step {e.step_seq}" if e.step_seq is not None else "work order"
            exceptions.append(f"{KIND.get(e.kind, e.kind.upper())}", style="bold reverse yellow")
            exceptions.append(f" {step}: {e.title}: {e.detail}")
            exceptions.append(f"  {e.who} {when}\n", style="italic")
        if not view.exceptions:
            exceptions.append("No exceptions.\n")
        self.query_one("#rv-exceptions", Static).update(exceptions)
        record = Text.assemble(("\nFull record\n", "bold underline"))
        for line in view.record:
            when = fmt_time(line.when, tz) if line.when else ""
            record.append(f"{line.step}  ", style="bold")
            record.append(f"{line.text}  {line.who} {when}\n")
        for sig in view.signatures:
            when = fmt_time(sig.signed_at, tz)
            record.append(f"Signed {sig.meaning} by {sig.printed_name}, {when}\n", style="bold")
        self.query_one("#rv-record", Static).update(record)
        reasons = []
        for action in ACTIONS:
            why = view.refusals.get(action)
            self.query_one(f"#rv-{action}", Button).disabled = why is not None
            if why:
                reasons.append(f"{LABEL[action]}: {why}")
        box = self.query_one("#rv-why", Static)
        box.update("\n".join(reasons))
        box.remove_class("-alarm")
        for button in self.query("#rv-print").results(Button):
            button.disabled = False

    @on(Button.Pressed, "#rv-print")
    def print_record(self) -> None:
        user = station_of(self).current_user
        if user is not None and self.open_record is not None:
            self.app.push_screen(self.open_record(user.username, self.number))

    @on(Button.Pressed, "#rv-reviewed")
    def sign_review(self) -> None:
        user, view = station_of(self).current_user, self.view
        if user is not None and view is not None:
            signable = self.backend.sign_review(user.username, view.number, view.version)
            self.app.push_screen(SignatureModal(signable), self._signed)

    @on(Button.Pressed, "#rv-release, #rv-reject")
    def decide(self, event: Button.Pressed) -> None:
        decision = (event.button.id or "").removeprefix("rv-")
        view = self.view
        if view is None:
            return
        text = (
            f"{'Release' if decision == 'release' else 'Reject'} lot {view.output_lot} of "
            f"{view.number}? This is signed and cannot be undone on the station."
        )
        self.app.push_screen(
            ConfirmModal(f"{LABEL[decision]}?", text, confirm=LABEL[decision], cancel="Back"),
            lambda yes: self._decided(decision) if yes else None,
        )

    def _decided(self, decision: str) -> None:
        user, view = station_of(self).current_user, self.view
        if user is not None and view is not None:
            signable = self.backend.lot_decision(user.username, view.number, decision, view.version)
            self.app.push_screen(SignatureModal(signable), self._signed)

    def _signed(self, line: SignatureLine | None) -> None:
        if line is not None:
            self.notify(f"Signed {line.meaning} by {line.printed_name}.", title="Signed")
            self.load()
