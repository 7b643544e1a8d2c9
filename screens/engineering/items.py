"""Engineering: find an item and see which BOM and routing revisions are in effect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, Static

from screens.base import StationScreen, call_backend
from screens.engineering.backend import EngineeringBackend, EngineeringItem
from screens.messages import BarcodeScanned
from screens.station import station_of
from screens.widgets.keyboard import TouchInput
from screens.widgets.tap_table import TapTable


class EngineeringItemsScreen(StationScreen):
    CSS_PATH = "engineering.tcss"
    ACCEPTS_SCANS = True
    TITLE_TEXT = "Engineering"

    def __init__(
        self,
        backend: EngineeringBackend,
        open_item: Callable[[str], Screen[Any]],
        open_ecos: Callable[[], Screen[Any]],
    ) -> None:
        super().__init__()
        self.backend = backend
        self.open_item = open_item
        self.open_ecos = open_ecos

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="eng-row"):
            yield TouchInput(placeholder="Scan or type an item", id="eng-search")
            yield Button("Search", id="eng-search-go", variant="primary")
            yield Button("ECOs", id="eng-ecos", variant="warning")
        yield Static("", id="eng-count", markup=False, classes="eng-muted")
        table = TapTable(id="eng-items", cursor_type="row", zebra_stripes=True)
        yield table

    def on_mount(self) -> None:
        self.query_one("#eng-items", DataTable).add_columns("Item", "BOM", "Routing", "Open ECO")
        self.query_one("#eng-search", Input).focus()
        self.load()

    def reopened(self) -> None:
        self.load()

    def load(self) -> None:
        user = station_of(self).current_user
        search = self.query_one("#eng-search", Input).value
        if user is not None:
            call_backend(
                self, lambda: self.backend.engineering_items(user.username, search), self.show
            )

    def show(self, rows: list[EngineeringItem]) -> None:
        table = self.query_one("#eng-items", DataTable)
        table.clear()
        for r in rows:
            name = Text.assemble((r.item_number, "bold"), "\n", r.description)
            table.add_row(
                name, r.bom_revision or "—", r.routing_revision or "—", r.open_eco or "",
                key=r.item_number, height=2,
            )  # fmt: skip
        self.query_one("#eng-count", Static).update(f"{len(rows)} item(s) — tap one to open")

    @on(Input.Submitted, "#eng-search")
    @on(Button.Pressed, "#eng-search-go")
    def search(self) -> None:
        self.load()

    @on(BarcodeScanned)
    def scanned(self, message: BarcodeScanned) -> None:
        self.query_one("#eng-search", Input).value = message.data.strip()
        self.load()

    @on(DataTable.RowSelected, "#eng-items")
    def open_row(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.app.push_screen(self.open_item(event.row_key.value))

    @on(Button.Pressed, "#eng-ecos")
    def ecos(self) -> None:
        self.app.push_screen(self.open_ecos())
