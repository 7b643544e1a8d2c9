"""Every step of a work order is done, or an NCR stopped it at a step (scrap, return to
supplier): count the labels (issued, used, destroyed), then complete it. The database
reconciles yield and labels (21 CFR 211.188(b)(7)-(8)) and opens a deviation when either is
outside its limit, and one naming the NCR for a work order completed short; QA sees them in
the review."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from domain.errors import WorkCellError
from screens.base import call_backend
from screens.station import station_of
from screens.widgets.keyboard import TouchInput
from screens.work_orders.backend import WorkOrderBackend

COUNTS = (("issued", "Labels issued"), ("used", "Labels used"), ("destroyed", "Labels destroyed"))


class CompleteModal(ModalScreen[str | None]):
    """Returns the work order's new status, or None (Later: it stays in progress)."""

    DEFAULT_CSS = """
    CompleteModal { align: center middle; background: $background 80%; }
    CompleteModal > Vertical { width: 76; max-width: 100%; height: auto; border: thick $accent;
                               background: $surface; padding: 0 1; }
    CompleteModal .cm-row { height: 3; }
    CompleteModal .cm-row > Label { width: 20; height: 3; content-align: left middle; }
    CompleteModal .cm-row > Input { width: 1fr; }
    CompleteModal #cm-error { color: $error; text-style: bold; height: auto; }
    CompleteModal #cm-buttons { height: 3; margin-top: 1; }
    CompleteModal #cm-buttons > Button { width: 1fr; margin-right: 1; }
    """

    def __init__(self, backend: WorkOrderBackend, number: str, stopped: str = "") -> None:
        super().__init__()
        self.backend = backend
        self.number = number
        self.stopped = stopped  # "stopped at step 2 by NCR …": completed short

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.stopped:
                title = (
                    f"{self.number} {self.stopped}: the steps from there are not done."
                    " Count the labels, then complete it short (QA approves the deviation)."
                )
            else:
                title = f"{self.number}: every step is done. Count the labels, then complete."
            yield Static(title, id="cm-title", markup=False)
            for key, label in COUNTS:
                with Horizontal(classes="cm-row"):
                    yield Label(label)
                    yield TouchInput("", placeholder=label, type="integer", id=f"cm-{key}")
            yield Static("", id="cm-error", markup=False)
            with Horizontal(id="cm-buttons"):
                yield Button("Later", id="cm-later")
                if self.stopped:
                    yield Button("Complete short", id="cm-complete", variant="warning")
                else:
                    yield Button("Complete work order", id="cm-complete", variant="success")

    def _counts(self) -> tuple[str, str, str]:
        issued, used, destroyed = (self.query_one(f"#cm-{k}", Input).value for k, _ in COUNTS)
        return issued, used, destroyed

    @on(Button.Pressed, "#cm-complete")
    def complete(self) -> None:
        issued, used, destroyed = self._counts()
        if not all(x.strip().isdigit() for x in (issued, used, destroyed)):
            self.query_one("#cm-error", Static).update("Enter the three counts (0 or more).")
            return
        user = station_of(self).current_user
        if user is None:
            return
        self.query_one("#cm-error", Static).update("Completing…")
        backend, number = self.backend, self.number
        call_backend(
            self, lambda: backend.complete(user.username, number, issued, used, destroyed),
            self.dismiss, failed=self._refused,
        )  # fmt: skip

    def _refused(self, error: WorkCellError) -> None:
        self.query_one("#cm-error", Static).update(f"{error.title}: {error.message}")

    @on(Button.Pressed, "#cm-later")
    def later(self) -> None:
        self.dismiss(None)

    def key_escape(self) -> None:
        self.dismiss(None)
