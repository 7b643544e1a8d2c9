"""The station's queue: released and running work orders at a work centre; one tap opens
the work order at its next step (resumed where it was)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, DataTable, Static

from screens.base import StationScreen, call_backend
from screens.station import station_of
from screens.widgets.choice import ChoiceButton
from screens.widgets.columns import fit_columns
from screens.widgets.tap_table import TapTable
from screens.work_orders.backend import QueueRow, WorkOrderBackend

ALL = "All work centres"
HEADERS = ("Work order", "Item", "Qty", "Due", "Next step")


class QueueScreen(StationScreen):
    """``open_order(number)`` builds the screen that runs it (the step screen)."""

    CSS_PATH = "work_orders.tcss"
    TITLE_TEXT = "Work queue"

    def __init__(
        self,
        backend: WorkOrderBackend,
        open_order: Callable[[str], Screen[Any]],
        *,
        title: str = "Work queue",
        review: bool = False,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.open_order = open_order
        self.review = review  # QA's list of completed work orders instead of the floor's
        self.TITLE_TEXT = title
        self.work_centre = ""

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="wo-row"):
            if not self.review:
                yield ChoiceButton("Work centre", [ALL], ALL, id="wo-centre")
            yield Button("Refresh", id="wo-refresh")
        yield Static("Loading…", id="wo-count")
        yield TapTable(id="wo-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#wo-table").focus()
        self.load()
        if not self.review:
            self._centres()

    def _centres(self) -> None:
        user = station_of(self).current_user
        if user is not None:
            call_backend(self, lambda: self.backend.work_centres(user.username),
                         self._show_centres, group="wo-centres")  # fmt: skip

    def _show_centres(self, centres: list[str]) -> None:
        button = self.query_one("#wo-centre", ChoiceButton)
        button.options = [ALL, *centres]

    @on(ChoiceButton.Changed)
    def centre(self, event: ChoiceButton.Changed) -> None:
        if event.choice.id != "wo-centre":
            return
        self.work_centre = "" if event.value == ALL else event.value
        self.load()

    @on(Button.Pressed, "#wo-refresh")
    def load(self) -> None:
        user = station_of(self).current_user
        if user is None:
            return
        if self.review:
            call_backend(self, lambda: self.backend.review_queue(user.username), self.show)
        else:
            centre = self.work_centre
            call_backend(self, lambda: self.backend.queue(user.username, centre), self.show)

    def show(self, rows: list[QueueRow]) -> None:
        table: DataTable[Any] = self.query_one("#wo-table", DataTable)
        cells = [
            (
                Text.assemble((r.number, "bold"), "\n", r.status.replace("_", " ")),
                Text.assemble((r.item_number, "bold"), "\n", r.description),
                r.quantity,
                r.due.isoformat(),
                Text.assemble(r.next_step, "\n", (r.attention, "bold red")),
            )
            for r in rows
        ]
        fitted = fit_columns(table, HEADERS, cells, flex=1)
        for row, line in zip(rows, fitted, strict=True):
            table.add_row(*line, key=row.number, height=2)
        what = "to review" if self.review else "waiting"
        self.query_one("#wo-count", Static).update(
            f"{len(rows)} work order(s) {what} — tap one to open" if rows else f"Nothing {what}."
        )

    @on(DataTable.RowSelected, "#wo-table")
    def open_row(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.app.push_screen(self.open_order(event.row_key.value))

    def on_screen_resume(self) -> None:
        """Back from a work order (or shown again from home): its rows may have moved."""
        if self.is_mounted:
            self.load()
