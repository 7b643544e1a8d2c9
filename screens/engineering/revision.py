"""One item's revisions: history (status, effectivity), then the chosen revision's content
and its signatures; compare it with the revision before it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Static

from domain.views.engineering import RevisionSummary
from screens.base import StationScreen, call_backend
from screens.engineering.backend import EngineeringBackend, RevisionDetail
from screens.engineering.common import (
    STATUS,
    bom_body,
    effective,
    header,
    manifestations,
    routing_body,
)
from screens.station import station_of
from screens.widgets.tap_table import TapTable

OpenCompare = Callable[[str, str, str, str], Screen[Any]]
OpenDraft = Callable[[str, str], Screen[Any]]


class ItemRevisionsScreen(StationScreen):
    CSS_PATH = "engineering.tcss"
    TITLE_TEXT = "Revisions"

    def __init__(
        self,
        backend: EngineeringBackend,
        item_number: str,
        open_compare: OpenCompare,
        open_draft: OpenDraft | None = None,
    ) -> None:
        super().__init__()
        self.open_draft = open_draft
        self.backend = backend
        self.item_number = item_number
        self.open_compare = open_compare
        self.kind = "bom"
        self.all: list[RevisionSummary] = []
        self.selected: str | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="eng-row"):
            yield Static(self.item_number, id="rev-heading", markup=False)
            yield Button("BOM", id="rev-bom", variant="primary")
            yield Button("Routing", id="rev-routing")
            yield Button("Compare", id="rev-compare", disabled=True)
            yield Button("Edit draft", id="rev-edit", variant="warning")
        yield TapTable(id="rev-history", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="rev-scroll"):
            yield Static("Loading…", id="rev-header", markup=False, classes="eng-box")
            yield Static("", id="rev-body", markup=False)
            yield Static("Signatures", classes="eng-title")
            yield Static("", id="rev-signatures", markup=False)

    def on_mount(self) -> None:
        self.query_one("#rev-history", DataTable).add_columns("Rev", "Status", "Effective")
        self.query_one("#rev-edit", Button).display = False
        self.load()

    def on_screen_resume(self) -> None:
        if self.all:
            self.load()

    def load(self) -> None:
        user = station_of(self).current_user
        if user is not None:
            call_backend(
                self, lambda: self.backend.revisions(user.username, self.item_number), self.listed
            )

    def listed(self, revisions: list[RevisionSummary]) -> None:
        self.all = revisions
        self.show_kind()

    def _of_kind(self) -> list[RevisionSummary]:
        return [r for r in self.all if r.kind == self.kind]

    def show_kind(self) -> None:
        tz = station_of(self).tz
        table = self.query_one("#rev-history", DataTable)
        table.clear()
        mine = self._of_kind()
        for r in mine:
            table.add_row(
                r.revision, STATUS.get(r.status, r.status), effective(r, tz), key=r.revision
            )
        self.query_one("#rev-bom", Button).variant = "primary" if self.kind == "bom" else "default"
        self.query_one("#rev-routing", Button).variant = (
            "primary" if self.kind == "routing" else "default"
        )
        kept = next((r for r in mine if r.revision == self.selected), None)
        released = next((r for r in mine if r.status == "released"), None)
        current = kept or released or (mine[-1] if mine else None)
        if current is None:
            self._empty()
            return
        table.move_cursor(row=mine.index(current))
        self.select(current.revision)

    def _empty(self) -> None:
        kind = "BOM" if self.kind == "bom" else "routing"
        self.selected = None
        self.query_one("#rev-header", Static).update(f"{self.item_number} has no {kind} revisions.")
        for wid in ("#rev-body", "#rev-signatures"):
            self.query_one(wid, Static).update("")
        self.query_one("#rev-compare", Button).disabled = True

    def select(self, label: str) -> None:
        self.selected = label
        user = station_of(self).current_user
        if user is not None:
            kind, item = self.kind, self.item_number
            call_backend(
                self, lambda: self.backend.revision(user.username, kind, item, label), self.show
            )

    def show(self, detail: RevisionDetail) -> None:
        tz = station_of(self).tz
        self.query_one("#rev-header", Static).update(header(detail.summary, tz))
        body = (
            bom_body(detail.bom)
            if detail.bom
            else routing_body(detail.routing)
            if detail.routing
            else ""
        )
        self.query_one("#rev-body", Static).update(body)
        self.query_one("#rev-signatures", Static).update(manifestations(detail.signatures, tz))
        labels = [r.revision for r in self._of_kind()]
        self.query_one("#rev-compare", Button).disabled = labels.index(detail.summary.revision) == 0
        editable = detail.bom is not None and detail.summary.status == "draft"
        self.query_one("#rev-edit", Button).display = editable and self.open_draft is not None

    @on(DataTable.RowSelected, "#rev-history")
    def row(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value and event.row_key.value != self.selected:
            self.select(event.row_key.value)

    @on(Button.Pressed, "#rev-bom")
    @on(Button.Pressed, "#rev-routing")
    def switch(self, event: Button.Pressed) -> None:
        self.kind = "bom" if event.button.id == "rev-bom" else "routing"
        self.selected = None
        self.show_kind()

    @on(Button.Pressed, "#rev-edit")
    def edit(self) -> None:
        if self.open_draft is not None and self.selected is not None:
            self.app.push_screen(self.open_draft(self.item_number, self.selected))

    @on(Button.Pressed, "#rev-compare")
    def compare(self) -> None:
        labels = [r.revision for r in self._of_kind()]
        if self.selected in labels and labels.index(self.selected) > 0:
            previous = labels[labels.index(self.selected) - 1]
            self.app.push_screen(
                self.open_compare(self.kind, self.item_number, previous, self.selected)
            )
