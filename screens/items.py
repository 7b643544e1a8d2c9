"""Items on the floor: search (typed or scanned), then open one to see its signatures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, Static

from domain.errors import WorkCellError
from screens.backend import ItemRow, ItemsBackend
from screens.base import StationScreen, call_backend
from screens.messages import BarcodeScanned
from screens.scans import scanned_gtin
from screens.station import station_of
from screens.widgets.columns import fit_columns
from screens.widgets.keyboard import TouchInput
from screens.widgets.tap_table import TapTable


class ItemsScreen(StationScreen):
    CSS_PATH = "items.tcss"
    ACCEPTS_SCANS = True
    TITLE_TEXT = "Items"
    DRAFT_SCREEN = "items"
    ASK_BEFORE_DISCARD = False  # a search text is parked as a draft, but not worth a question

    def __init__(
        self,
        backend: ItemsBackend,
        open_item: Callable[[str], Screen[Any]],
        *,
        search: str = "",
        new_item: Callable[[], Screen[Any]] | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.open_item = open_item
        self.new_item = new_item
        self.initial_search = search

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="items-search-row"):
            yield TouchInput(
                self.initial_search, placeholder="Scan or type an item", id="items-search"
            )
            yield Button("Search", id="items-search-go", variant="primary")
            if self.new_item is not None:
                yield Button("New item", id="items-new", variant="success")
        yield Static("", id="items-count")
        table: DataTable[Text] = TapTable(id="items-table", cursor_type="row", zebra_stripes=True)
        yield table

    def on_mount(self) -> None:
        self.query_one("#items-search", Input).focus()
        self.load()

    def reopened(self) -> None:
        self.load()

    def load(self) -> None:
        actor = station_of(self).current_user
        search = self.query_one("#items-search", Input).value
        if actor is not None:
            call_backend(self, lambda: self.backend.list_items(actor.username, search), self.show)

    def show(self, rows: list[ItemRow]) -> None:
        table = self.query_one("#items-table", DataTable)
        cells = [
            (
                Text.assemble((row.item_number, "bold"), "\n", row.description),
                row.item_type,
                Text(row.status.upper(), style="bold"),
                str(row.version),
            )
            for row in rows
        ]
        fitted = fit_columns(table, ("Item", "Type", "Status", "Ver."), cells, flex=0)
        for row, line in zip(rows, fitted, strict=True):
            table.add_row(*line, key=row.item_number, height=2)
        self.query_one("#items-count", Static).update(f"{len(rows)} item(s) — tap one to open")

    @on(Input.Submitted, "#items-search")
    @on(Button.Pressed, "#items-search-go")
    def search(self) -> None:
        self.load()

    @on(BarcodeScanned)
    def scanned(self, message: BarcodeScanned) -> None:
        """The search box is this screen's scan target: a scan replaces it and searches
        (a GS1 barcode by its GTIN)."""
        try:
            gtin = scanned_gtin(message.data)
        except WorkCellError as error:
            station_of(self).report_problem(error)
            return
        self.query_one("#items-search", Input).value = gtin or message.data.strip()
        self.load()

    @on(DataTable.RowSelected, "#items-table")
    def open_row(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.app.push_screen(self.open_item(event.row_key.value))

    @on(Button.Pressed, "#items-new")
    def open_new(self) -> None:
        if self.new_item is not None:
            self.app.push_screen(self.new_item())

    def unsaved_input(self) -> tuple[str, dict[str, Any]] | None:
        text = self.query_one("#items-search", Input).value.strip()
        return (f"Item search “{text}”", {"search": text}) if text else None
