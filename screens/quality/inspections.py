"""Open inspections at this station: receiving lots waiting to be inspected, and those
completed and waiting for QA's disposition. Tap one to open it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Static

from domain.errors import WorkCellError
from screens.base import StationScreen, call_backend
from screens.quality.backend import InspectionRow, QualityBackend
from screens.quality.common import actor, refusal, row_height, word
from screens.station import fmt_time, station_of
from screens.widgets.columns import fit_columns
from screens.widgets.tap_table import TapTable


class InspectionsScreen(StationScreen):
    CSS_PATH = "quality.tcss"
    TITLE_TEXT = "Inspections"

    def __init__(self, backend: QualityBackend, open_one: Callable[[str], Screen[Any]]) -> None:
        super().__init__()
        self.backend = backend
        self.open_one = open_one
        self.rows: list[InspectionRow] | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("Loading…", id="insp-count", classes="q-muted", markup=False)
        yield Static("", id="insp-message", classes="q-message", markup=False)
        yield TapTable(id="insp-table", cursor_type="row", classes="q-fill")

    def on_mount(self) -> None:
        self.load()

    def reopened(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        if self.rows is not None:
            self.load()  # back from an inspection: its progress changed

    def load(self) -> None:
        who = actor(self)
        if who is not None:
            call_backend(self, lambda: self.backend.open_inspections(who), self.show,
                         failed=self._refused)  # fmt: skip

    def show(self, rows: list[InspectionRow]) -> None:
        self.rows = rows
        tz = station_of(self).tz
        table = self.query_one("#insp-table", DataTable)
        table.clear(columns=True)
        cells = [
            (
                Text(r.number, style="bold"),
                f"{r.lot_number} {r.item_number}",
                r.inspection_type.replace("_", " "),
                word(r.status) + (f" · {word(r.decision)}" if r.decision else ""),
                f"{r.entered}/{r.needed}",
                fmt_time(r.created_at, tz),
            )
            for r in rows
        ]
        fitted = fit_columns(
            table, ("Inspection", "Lot / item", "Type", "Status", "Results", "Opened"), cells,
            flex=1,
        )  # fmt: skip
        height = row_height(self)
        for r, line in zip(rows, fitted, strict=True):
            table.add_row(*line, key=r.number, height=height)
        self.query_one("#insp-count", Static).update(
            f"{len(rows)} inspection(s) open or awaiting QA — tap one" if rows
            else "No open inspections."
        )  # fmt: skip

    @on(DataTable.RowSelected, "#insp-table")
    def chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.app.push_screen(self.open_one(event.row_key.value))

    def _refused(self, error: WorkCellError) -> None:
        refusal(self.query_one("#insp-message", Static), error)
