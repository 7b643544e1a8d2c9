"""Edit a draft BOM revision line by line (add, change quantity or scrap, remove).

Every change is saved at once through the BOM service, which refuses anything but a draft
and reports each problem (unknown item, unit, cycle) in words; the table then shows what
the database holds.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Input, Static

from domain.errors import WorkCellError
from domain.views.engineering import BomView, text_of
from screens.base import StationScreen, call_backend
from screens.engineering.backend import EngineeringBackend, RevisionDetail
from screens.engineering.common import STATUS
from screens.station import station_of
from screens.widgets.keyboard import TouchInput
from screens.widgets.tap_table import TapTable


class DraftBomScreen(StationScreen):
    CSS_PATH = "engineering.tcss"
    TITLE_TEXT = "Edit draft BOM"

    def __init__(self, backend: EngineeringBackend, item_number: str, label: str) -> None:
        super().__init__()
        self.backend = backend
        self.item_number = item_number
        self.label = label
        self.position: int | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="eng-row"):
            yield Static(
                f"{self.item_number} BOM rev {self.label}", id="draft-heading", markup=False
            )
            yield Button("Remove line", id="draft-remove", variant="error", disabled=True)
        with Horizontal(classes="eng-row"):
            yield TouchInput(placeholder="Component", id="draft-component")
            yield TouchInput(placeholder="Qty per", id="draft-qty", type="number")
            yield TouchInput(placeholder="Scrap %", id="draft-scrap", type="number")
            yield Button("Save line", id="draft-save", variant="success")
        yield Static(
            "Tap a line to change it; a new component adds a line.",
            id="draft-hint",
            classes="eng-muted",
            markup=False,
        )
        yield TapTable(id="draft-lines", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#draft-lines", DataTable).add_columns(
            "Pos", "Component", "Qty per", "Unit", "Scrap %"
        )
        self.load()

    def _actor(self) -> str | None:
        user = station_of(self).current_user
        return user.username if user is not None else None

    def load(self) -> None:
        actor = self._actor()
        if actor is not None:
            call_backend(
                self, lambda: self.backend.revision(actor, "bom", self.item_number, self.label),
                lambda d: self.show(d.bom) if isinstance(d, RevisionDetail) and d.bom else None,
            )  # fmt: skip

    def show(self, view: BomView) -> None:
        status = STATUS.get(view.summary.status, view.summary.status)
        self.query_one("#draft-heading", Static).update(f"{view.summary.title}  [{status}]")
        table = self.query_one("#draft-lines", DataTable)
        table.clear()
        for x in view.lines:
            table.add_row(
                str(x.position), x.component, text_of(x.quantity_per), x.unit,
                text_of(x.scrap_factor * 100), key=str(x.position),
            )  # fmt: skip
        self._select(None)

    def _select(self, position: int | None) -> None:
        self.position = position
        self.query_one("#draft-remove", Button).disabled = position is None

    @on(DataTable.RowSelected, "#draft-lines")
    def row(self, event: DataTable.RowSelected) -> None:
        table = self.query_one("#draft-lines", DataTable)
        values = table.get_row(event.row_key)
        self.query_one("#draft-component", Input).value = str(values[1])
        self.query_one("#draft-qty", Input).value = str(values[2])
        self.query_one("#draft-scrap", Input).value = str(values[4])
        self._select(int(str(values[0])))

    @on(Input.Submitted)
    @on(Button.Pressed, "#draft-save")
    def save(self) -> None:
        actor = self._actor()
        component = self.query_one("#draft-component", Input).value.strip().upper()
        qty = self.query_one("#draft-qty", Input).value.strip()
        scrap = self.query_one("#draft-scrap", Input).value.strip() or "0"
        if actor is None or not component or not qty:
            self.notify("Give the component and its quantity per.", severity="warning")
            return
        item, label = self.item_number, self.label
        call_backend(
            self,
            lambda: self.backend.save_bom_line(actor, item, label, component, qty, scrap),
            self._saved, failed=self.refused,
        )  # fmt: skip

    @on(Button.Pressed, "#draft-remove")
    def remove_line(self) -> None:
        actor, position = self._actor(), self.position
        if actor is None or position is None:
            return
        call_backend(
            self,
            lambda: self.backend.remove_bom_line(actor, self.item_number, self.label, position),
            self._saved, failed=self.refused,
        )  # fmt: skip

    def _saved(self, view: BomView) -> None:
        for wid in ("#draft-component", "#draft-qty", "#draft-scrap"):
            self.query_one(wid, Input).value = ""
        self.show(view)

    def refused(self, error: WorkCellError) -> None:
        self.notify(error.message, title=error.title, severity="error", timeout=10)
