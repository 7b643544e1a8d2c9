"""Registered stations (§11.10(h)): where each is, how people may sign in there, how many
are signed in, failed PIN attempts in the station window — and, for an administrator, one
tap to disable a station (its sessions end at once), enable it again, or clear its failure
count after a supervisor reviewed a burst. Every change asks for a reason first.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Static

from domain.errors import WorkCellError
from screens.admin.common import permitted
from screens.admin.forms import ReasonModal
from screens.admin.station_backend import StationRow, StationsBackend
from screens.base import StationScreen, call_backend
from screens.station import station_of
from screens.widgets.tap_table import TapTable

REVIEWED = ("Reviewed with the supervisor", "Client replaced", "Maintenance")
ACTIONS = {
    "st-disable": ("Disable", "Its sessions end at once; nobody can sign in there until enabled."),
    "st-enable": ("Enable", "People can sign in there again."),
    "st-clear": ("Clear failures", "Its failed-attempt count starts again; challenges resume."),
}


def state_text(row: StationRow) -> Text:
    if not row.enabled:
        return Text("DISABLED", style="dim")
    if row.blocked:
        return Text("BLOCKED", style="bold red")
    return Text("enabled", style="green")


class StationsScreen(StationScreen):
    CSS_PATH = "stations.tcss"
    TITLE_TEXT = "Stations"
    BINDINGS = [Binding("r", "refresh", "Refresh")]

    def __init__(self, backend: StationsBackend) -> None:
        super().__init__()
        self.backend = backend
        self.rows: list[StationRow] = []

    def compose_body(self) -> ComposeResult:
        yield Static("", classes="refusal")
        with Horizontal(id="st-tools"):
            yield Button("Disable", id="st-disable", variant="error")
            yield Button("Enable", id="st-enable", variant="success")
            yield Button("Clear failures", id="st-clear", variant="warning")
            yield Button("Refresh (r)", id="st-refresh")
        yield Static("", id="st-status", markup=False)
        yield TapTable(id="st-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#st-table", DataTable)
        table.add_columns("Station", "State", "Signed in", "Failures", "Sign-in", "Where")
        if permitted(self, "security.view") is None:
            for widget in self.query("#st-tools, #st-table"):
                widget.display = False
            return
        user = station_of(self).current_user
        if user is None or not user.may("user.administer"):
            for button in self.query("#st-disable, #st-enable, #st-clear").results(Button):
                button.display = False  # only what the person may do is offered
        table.focus()
        self.action_refresh()

    def reopened(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        user = station_of(self).current_user
        if user is not None:
            call_backend(
                self, lambda: self.backend.stations(user.username), self._show,
                failed=self._failed, group="stations",
            )  # fmt: skip

    def _show(self, rows: list[StationRow]) -> None:
        self.rows = rows
        table = self.query_one("#st-table", DataTable)
        chosen = self.selected()
        table.clear()
        for r in rows:
            sign_in = " or ".join("badge" if m == "badge+pin" else "username" for m in r.methods)
            table.add_row(
                r.name, state_text(r), str(r.open_sessions), str(r.failures),
                sign_in + (" (many)" if r.concurrent_sessions else ""), r.place, key=r.name,
            )  # fmt: skip
        if chosen is not None and chosen.name in {r.name for r in rows}:
            table.move_cursor(row=[r.name for r in rows].index(chosen.name))
        blocked = [r.name for r in rows if r.blocked and r.enabled]
        note = f"Blocked after failed PINs: {', '.join(blocked)}. " if blocked else ""
        self.query_one("#st-status", Static).update(f"{len(rows)} stations. {note}")

    def _failed(self, error: WorkCellError) -> None:
        self.query_one("#st-status", Static).update(Text(f"{error.title}: {error.message}",
                                                         style="bold red"))  # fmt: skip

    def selected(self) -> StationRow | None:
        table = self.query_one("#st-table", DataTable)
        if not self.rows or table.cursor_row is None or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(Button.Pressed, "#st-refresh")
    def refresh_pressed(self) -> None:
        self.action_refresh()

    @on(Button.Pressed, "#st-disable, #st-enable, #st-clear")
    def act_pressed(self, event: Button.Pressed) -> None:
        self.change(str(event.button.id))

    @work(exclusive=True, group="station-change")
    async def change(self, action: str) -> None:
        row, user = self.selected(), station_of(self).current_user
        if row is None or user is None:
            self.query_one("#st-status", Static).update("Choose a station first.")
            return
        verb, effect = ACTIONS[action]
        reason = await self.app.push_screen_wait(
            ReasonModal(f"{verb} station {row.name}", effect, REVIEWED, ok=verb)
        )
        if reason is None:
            return
        name, who, why = row.name, user.username, str(reason)

        def call() -> None:
            if action == "st-clear":
                self.backend.clear_station(who, name, why)
            else:
                self.backend.set_station_enabled(who, name, action == "st-enable", why)

        call_backend(
            self, call, lambda _: self.action_refresh(), failed=self._failed,
            group="station-change-call",
        )  # fmt: skip
