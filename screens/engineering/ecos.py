"""ECOs: open ones first (or all), tap to open; engineers start a new one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Input, Static

from domain.views.engineering import EcoSummary, EcoView
from screens.base import StationScreen, call_backend
from screens.engineering.backend import EngineeringBackend
from screens.engineering.common import STATUS
from screens.modals.confirm import discard_or_stay
from screens.station import fmt_time, station_of
from screens.widgets.keyboard import TouchInput
from screens.widgets.tap_table import TapTable

EDIT = "engineering.edit"


class NewEcoModal(ModalScreen[EcoView | None]):
    """Title, reason and requested start of a new ECO (items are added on the ECO screen).
    It creates the ECO itself and closes only once it exists: a refusal (a bad date, a
    rule) is shown on the form with everything typed kept."""

    DEFAULT_CSS = """
    NewEcoModal { align: center middle; background: $background 80%; }
    NewEcoModal > Vertical { width: 76; max-width: 100%; height: auto; border: thick $accent;
                             background: $surface; padding: 0 1; }
    NewEcoModal Input { margin-bottom: 1; }
    NewEcoModal Horizontal { height: 3; }
    NewEcoModal Button { width: 1fr; margin: 0 1; }
    NewEcoModal #new-eco-error { color: $error; text-style: bold; height: auto; }
    """

    def __init__(self, backend: EngineeringBackend) -> None:
        super().__init__()
        self.backend = backend

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("New engineering change order", classes="eng-title")
            yield TouchInput(placeholder="Title (what changes)", id="new-eco-title")
            yield TouchInput(placeholder="Reason (why)", id="new-eco-reason")
            yield TouchInput(
                placeholder="Effective from YYYY-MM-DD (blank: when approved)", id="new-eco-date"
            )
            yield Static("", id="new-eco-error", markup=False)
            with Horizontal():
                yield Button("Cancel", id="new-eco-cancel")
                yield Button("Create", id="new-eco-create", variant="success")

    def on_mount(self) -> None:
        self.query_one("#new-eco-title", Input).focus()

    @on(Input.Submitted, "#new-eco-title")
    @on(Input.Submitted, "#new-eco-reason")
    def next_field(self, event: Input.Submitted) -> None:
        following = "#new-eco-reason" if event.input.id == "new-eco-title" else "#new-eco-date"
        self.query_one(following, Input).focus()

    @on(Input.Submitted, "#new-eco-date")
    @on(Button.Pressed, "#new-eco-create")
    def create(self) -> None:
        title = self.query_one("#new-eco-title", Input).value.strip()
        reason = self.query_one("#new-eco-reason", Input).value.strip()
        date = self.query_one("#new-eco-date", Input).value.strip()
        user = station_of(self).current_user
        if not (title and reason):
            self._error("Give a title and a reason.")
            return
        if user is None:
            return
        self._error("")
        backend = self.backend
        call_backend(
            self, lambda: backend.create_eco(user.username, title, reason, date), self.dismiss,
            failed=lambda error: self._error(f"{error.title}: {error.message}"), group="create",
        )  # fmt: skip

    def _error(self, text: str) -> None:
        self.query_one("#new-eco-error", Static).update(text)

    def has_unsaved_input(self) -> bool:
        return any(i.value.strip() for i in self.query(Input))

    @on(Button.Pressed, "#new-eco-cancel")
    def cancel(self) -> None:
        discard_or_stay(self, self.has_unsaved_input())

    def key_escape(self) -> None:
        self.cancel()


class EcoListScreen(StationScreen):
    CSS_PATH = "engineering.tcss"
    TITLE_TEXT = "ECOs"

    def __init__(self, backend: EngineeringBackend, open_eco: Callable[[str], Screen[Any]]) -> None:
        super().__init__()
        self.backend = backend
        self.open_eco = open_eco
        self.open_only = True

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="eng-row"):
            yield Static("Engineering change orders", id="ecos-heading", markup=False)
            yield Button("Show all", id="ecos-toggle")
            user = station_of(self).current_user
            if user is not None and user.may(EDIT):
                yield Button("New ECO", id="ecos-new", variant="success")
        yield TapTable(id="ecos-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#ecos-table", DataTable).add_columns(
            "ECO", "Status", "Title", "Items", "Author"
        )
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def load(self) -> None:
        user = station_of(self).current_user
        if user is not None:
            call_backend(self, lambda: self.backend.ecos(user.username, self.open_only), self.show)

    def show(self, rows: list[EcoSummary]) -> None:
        table = self.query_one("#ecos-table", DataTable)
        table.clear()
        for r in rows:
            table.add_row(
                r.number,
                STATUS.get(r.status, r.status),
                r.title,
                str(r.items),
                r.created_by,
                key=r.number,
            )
        if not rows:
            table.add_row("", "", "No open ECOs" if self.open_only else "No ECOs yet", "", "")

    @on(Button.Pressed, "#ecos-toggle")
    def toggle(self, event: Button.Pressed) -> None:
        self.open_only = not self.open_only
        event.button.label = "Show all" if self.open_only else "Open only"
        self.load()

    @on(DataTable.RowSelected, "#ecos-table")
    def open_row(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.app.push_screen(self.open_eco(event.row_key.value))

    @on(Button.Pressed, "#ecos-new")
    def new(self) -> None:
        self.app.push_screen(NewEcoModal(self.backend), self.created)

    def created(self, view: EcoView | None) -> None:
        if view is None:
            return  # cancelled
        tz = station_of(self).tz
        self.notify(f"{view.number} created {fmt_time(view.created_at, tz)}", title="ECO created")
        self.app.push_screen(self.open_eco(view.number))
