"""The quality lists (inspections, NCRs, CAPAs): one table of records, one tap opens one,
read again whenever the list is shown again (the record opened may have moved on)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Static

from domain.errors import WorkCellError
from screens.base import StationScreen, call_backend
from screens.quality.backend import QualityBackend
from screens.quality.common import actor, refusal, row_height
from screens.widgets.columns import fit_columns
from screens.widgets.tap_table import TapTable


class Numbered(Protocol):
    @property
    def number(self) -> str: ...


R = TypeVar("R", bound=Numbered)


class RecordList(StationScreen, Generic[R]):
    """Subclasses name their widget ids' prefix, headers and flexible column, and say how
    to read the rows, draw one, and count them."""

    CSS_PATH = "quality.tcss"
    PREFIX: ClassVar[str]  # ids: #<prefix>-table, #<prefix>-count, #<prefix>-message
    HEADERS: ClassVar[tuple[str, ...]]
    FLEX: ClassVar[int]  # the column that takes the remaining width

    def __init__(self, backend: QualityBackend, open_one: Callable[[str], Screen[Any]]) -> None:
        super().__init__()
        self.backend = backend
        self.open_one = open_one
        self.rows: list[R] | None = None
        self.answers = 0  # backend answers shown (tests wait on it)

    def list_widgets(self) -> ComposeResult:
        yield Static("Loading…", id=f"{self.PREFIX}-count", classes="q-muted", markup=False)
        yield Static("", id=f"{self.PREFIX}-message", classes="q-message", markup=False)
        yield TapTable(id=f"{self.PREFIX}-table", cursor_type="row", classes="q-fill")

    def compose_body(self) -> ComposeResult:
        yield from self.list_widgets()

    def fetch(self, who: str) -> list[R]:
        raise NotImplementedError

    def cells(self, row: R) -> Sequence[object]:
        raise NotImplementedError

    def count_text(self, rows: list[R]) -> str:
        raise NotImplementedError

    def on_mount(self) -> None:
        self.load()

    def reopened(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        if self.rows is not None:
            self.load()  # back from a record: it may have moved on

    def load(self) -> None:
        who = actor(self)
        if who is not None:
            call_backend(self, lambda: self.fetch(who), self.show, failed=self.refused)

    def show(self, rows: list[R]) -> None:
        self.rows = rows
        table = self.query_one(f"#{self.PREFIX}-table", DataTable)
        fitted = fit_columns(table, self.HEADERS, [self.cells(r) for r in rows], flex=self.FLEX)
        height = row_height(self)
        for r, line in zip(rows, fitted, strict=True):
            table.add_row(*line, key=r.number, height=height)
        self.query_one(f"#{self.PREFIX}-count", Static).update(self.count_text(rows))
        self.answers += 1

    @on(DataTable.RowSelected)
    def chosen(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == f"{self.PREFIX}-table" and event.row_key.value:
            self.app.push_screen(self.open_one(event.row_key.value))

    def refused(self, error: WorkCellError) -> None:
        self.answers += 1
        refusal(self.query_one(f"#{self.PREFIX}-message", Static), error)
