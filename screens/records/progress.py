"""A modal that prints a batch record — or, with ``record_type``, one record's true copy —
in a worker and shows its progress, then where the PDF is. Returns the RecordPrinted (None
when it failed or was closed). Any screen that names a work order or lot pushes it:

    self.app.push_screen(RecordProgressModal(backend, actor, "WO-000012"), self._printed)
    self.app.push_screen(RecordProgressModal(backend, actor, "NCR-000003", record_type="ncr"))
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, ProgressBar, Static
from textual.worker import get_current_worker

from domain.errors import WorkCellError
from screens.records.backend import RecordPrinted, RecordsBackend


class RecordProgressModal(ModalScreen[RecordPrinted | None]):
    DEFAULT_CSS = """
    RecordProgressModal { align: center middle; background: $background 80%; }
    RecordProgressModal > Vertical {
        width: 76; max-width: 100%; height: auto; border: thick $primary;
        background: $surface; padding: 1 2;
    }
    RecordProgressModal #record-title { text-style: bold; }
    RecordProgressModal #record-step, RecordProgressModal #record-result { margin: 1 0 0 0; }
    RecordProgressModal ProgressBar { margin: 1 0 0 0; }
    RecordProgressModal.refused #record-step { text-style: bold; color: $error; }
    RecordProgressModal.refused > Vertical { border: thick $error; }
    RecordProgressModal Button { width: 100%; height: 3; margin: 1 0 0 0; }
    """

    def __init__(
        self, backend: RecordsBackend, actor: str, ident: str, *, record_type: str | None = None
    ) -> None:
        super().__init__()
        self.backend = backend
        self.actor = actor
        self.ident = ident
        self.record_type = record_type  # None: the batch record of a work order or lot
        self.result: RecordPrinted | None = None
        self.failure: str | None = None
        self.seen: list[str] = []  # the steps shown, in order

    def compose(self) -> ComposeResult:
        with Vertical():
            what = (
                "the batch record" if self.record_type is None
                else f"the true copy of {self.record_type.replace('_', ' ')}"
            )  # fmt: skip
            yield Static(f"Printing {what} {self.ident}", id="record-title", markup=False)
            yield ProgressBar(total=100, show_eta=False, id="record-progress")
            yield Static("starting", id="record-step", markup=False)
            yield Static("", id="record-result", markup=False)
            yield Button("Close", id="record-close", disabled=True)

    def on_mount(self) -> None:
        self._print()

    @work(thread=True, exclusive=True, group="record")
    def _print(self) -> None:
        worker = get_current_worker()

        def progress(fraction: float, step: str) -> None:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._progressed, fraction, step)

        try:
            if self.record_type is None:
                printed = self.backend.print_record(self.actor, self.ident, progress)
            else:
                printed = self.backend.print_copy(
                    self.actor, self.record_type, self.ident, progress
                )
        except WorkCellError as exc:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._failed, f"{exc.title}: {exc.message}")
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._done, printed)

    def _progressed(self, fraction: float, step: str) -> None:
        self.seen.append(step)
        if self.is_mounted:
            self.query_one(ProgressBar).update(progress=round(fraction * 100))
            self.query_one("#record-step", Static).update(step)

    def _done(self, printed: RecordPrinted) -> None:
        self.result = printed
        if not self.is_mounted:
            return
        self.query_one(ProgressBar).update(progress=100)
        self.query_one("#record-step", Static).update(
            f"Printed: {printed.pages} pages, registered in the audit trail"
        )
        self.query_one("#record-result", Static).update(
            f"File {printed.path.name}, in the export directory\n{printed.path.parent}\n"
            f"PDF SHA-256 (in the audit trail)\n{printed.pdf_sha256}\n"
            f"JSON twin SHA-256 (on every page)\n{printed.json_sha256}"
        )
        self.query_one(Button).disabled = False

    def _failed(self, message: str) -> None:
        self.failure = message
        if self.is_mounted:
            self.query_one(ProgressBar).display = False  # a stopped bar would say "5 % done"
            self.query_one("#record-step", Static).update("NOT PRINTED")
            self.query_one("#record-result", Static).update(message)
            self.add_class("refused")
            self.query_one(Button).disabled = False

    @on(Button.Pressed, "#record-close")
    def _close(self) -> None:
        self.dismiss(self.result)
