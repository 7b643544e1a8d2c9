"""Security events: failed sign-ins and signatures, lockouts, revoked-badge attempts,
admin actions on credentials and station clock skew, newest first, each acknowledged by a
signature (supervisor or QA; never the person the event is about).

The list refreshes itself: a worker fetches, and only when it has finished is the next
fetch scheduled, so a slow database never piles up overlapping polls.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Button, DataTable, Static

from domain.errors import WorkCellError
from screens.admin.backend import SecurityBackend, SecurityEventRow
from screens.admin.common import permitted
from screens.backend import SignatureLine
from screens.base import StationScreen, call_backend
from screens.modals.signature import SignatureModal
from screens.station import fmt_time, station_of
from screens.widgets.columns import fit_columns
from screens.widgets.tap_table import TapTable

SEC_HEADERS = ("When", "Event", "Person", "Detail", "Acknowledged", "Station")
WIDE = 120

REFRESH_S = 10.0
LIMIT = 500
PAGE = 25
KIND_LABELS = {
    "auth_failed": "Wrong PIN",
    "account_locked": "Locked: too many wrong PINs",
    "locked_account_attempt": "Locked account tried",
    "disabled_account_attempt": "Disabled account tried",
    "revoked_badge_attempt": "Revoked badge used",
    "unknown_badge": "Unknown badge",
    "unknown_username": "Unknown username",
    "account_unlocked": "Unlocked by admin",
    "account_locked_by_admin": "Locked by admin",
    "badge_revoked": "Badge revoked",
    "pin_reset": "PIN reset by admin",
    "clock_skew": "Station clock skew",
    "unrecorded_failures": "Wrong PINs rolled back",
    "station_blocked": "Station blocked: PIN burst",
    "station_cleared": "Station cleared by admin",
    "station_transaction_ended": "Station transaction ended: over time limit",
    "sealing_blocked": "Audit sealing blocked",
    "dormant_account_disabled": "Dormant account disabled",
    "badge_reported_lost": "Badge reported lost",
    "reader_test_failed": "Badge reader failed its test",
}
SERIOUS = {
    "account_locked",
    "revoked_badge_attempt",
    "disabled_account_attempt",
    "clock_skew",
    "unrecorded_failures",
    "station_blocked",
    "station_transaction_ended",
    "sealing_blocked",
    "badge_reported_lost",
    "reader_test_failed",
}


def kind_text(kind: str) -> Text:
    label = KIND_LABELS.get(kind, kind.replace("_", " "))
    return Text(label, style="bold red" if kind in SERIOUS else "bold")


class SecurityEventsScreen(StationScreen):
    CSS_PATH = "security_events.tcss"
    TITLE_TEXT = "Security events"
    BINDINGS = [
        Binding("a", "acknowledge", "Acknowledge"),
        Binding("s", "select_several", "Select several"),
        Binding("space", "mark", "Mark / unmark", show=False),
        Binding("r", "refresh", "Refresh"),
        Binding("u", "toggle_unacknowledged", "Unacknowledged only"),
        Binding("pagedown", "page(1)", "Next page", show=False),
        Binding("pageup", "page(-1)", "Previous page", show=False),
    ]

    def __init__(self, backend: SecurityBackend, *, refresh_s: float = REFRESH_S) -> None:
        super().__init__()
        self.backend = backend
        self.refresh_s = refresh_s
        self.unacknowledged_only = True
        self.rows: list[SecurityEventRow] = []
        self.page = 0
        self._in_flight = False
        self._timer: Timer | None = None
        self.selecting = False  # taps mark rows for one signature instead of opening one
        self.marked: set[int] = set()

    def compose_body(self) -> ComposeResult:
        yield Static("", classes="refusal")
        with Horizontal(id="sec-tools"):
            yield Button("Acknowledge (a)", id="sec-ack", variant="warning")
            yield Button("Select several (s)", id="sec-select")
            yield Button("Showing: unacknowledged (u)", id="sec-toggle")
            yield Button("Refresh (r)", id="sec-refresh")
        yield Static("", id="sec-count", markup=False)
        yield TapTable(id="sec-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="sec-pager", classes="pager"):
            yield Button("◀ Newer", id="sec-prev")
            yield Static("", id="sec-page", markup=False)
            yield Button("Older ▶", id="sec-next")

    def on_mount(self) -> None:
        table = self.query_one("#sec-table", DataTable)
        table.add_columns(*SEC_HEADERS)
        if permitted(self, "security.view") is None:
            for widget in self.query("#sec-tools, #sec-table, #sec-pager"):
                widget.display = False
            return
        table.focus()
        self.poll()

    def reopened(self) -> None:
        self.poll()

    # -- refresh: one fetch at a time; the next is scheduled when this one is done ---------

    def poll(self) -> None:
        user = station_of(self).current_user
        if self._in_flight or user is None:
            return
        self._in_flight = True
        only = self.unacknowledged_only
        call_backend(
            self,
            lambda: self.backend.security_events(
                user.username, unacknowledged_only=only, limit=LIMIT
            ),
            self._polled,
            failed=self._poll_failed,
            group="security-events",
        )

    def _rearm(self) -> None:
        self._in_flight = False
        if self._timer is not None:
            self._timer.stop()
        if self.is_attached:
            self._timer = self.set_timer(self.refresh_s, self.poll)

    def _polled(self, rows: list[SecurityEventRow]) -> None:
        self._rearm()
        self.rows = rows
        self.marked &= {e.id for e in rows if e.acknowledged_by is None}
        self.page = min(self.page, max(0, (len(rows) - 1) // PAGE))
        self.render_page()

    def _poll_failed(self, error: WorkCellError) -> None:
        self._rearm()
        self.query_one("#sec-count", Static).update(f"{error.title}: {error.message}")

    def render_page(self) -> None:
        tz = station_of(self).tz
        table = self.query_one("#sec-table", DataTable)
        # Keep the cursor on the same event (not the same line) when new events arrive on
        # top, so Acknowledge never lands on a different event than the one looked at.
        chosen = self.selected()
        shown = self.rows[self.page * PAGE : (self.page + 1) * PAGE]
        wide = self.app.size.width >= WIDE  # below: no year, no station (the detail needs room)
        cells = []
        for e in shown:
            who = e.printed_name or e.username or "—"
            ack = (
                Text(f"{e.acknowledged_by} {fmt_time(e.acknowledged_at, tz)}", style="green")
                if e.acknowledged_by and e.acknowledged_at
                else Text("NO", style="bold yellow")
            )
            when = e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S" if wide else "%m-%d %H:%M:%S")
            mark = ("☑ " if e.id in self.marked else "☐ ") if self.selecting else ""
            row = (mark + when, kind_text(e.kind), who, e.detail, ack, e.station)
            cells.append(row if wide else row[:-1])
        headers = SEC_HEADERS if wide else (*SEC_HEADERS[:4], "Ack")
        fitted = fit_columns(table, headers, cells, flex=3, most=28 if wide else 18, keep=(0,))
        for e, line in zip(shown, fitted, strict=True):
            table.add_row(*line, key=str(e.id))
        keys = [str(e.id) for e in self.rows[self.page * PAGE : (self.page + 1) * PAGE]]
        if chosen is not None and str(chosen.id) in keys:
            table.move_cursor(row=keys.index(str(chosen.id)))
        self._counts()

    def _counts(self) -> None:
        pages = max(1, (len(self.rows) + PAGE - 1) // PAGE)
        open_ = sum(1 for e in self.rows if e.acknowledged_by is None)
        tz = station_of(self).tz
        now = station_of(self).now().astimezone(tz).strftime("%H:%M:%S")
        what = "unacknowledged" if self.unacknowledged_only else "events"
        self.query_one("#sec-count", Static).update(
            f"{len(self.rows)} {what} · {open_} to acknowledge · updated {now} · times {tz.key}"
        )
        self.query_one("#sec-page", Static).update(f"Page {self.page + 1} of {pages}")
        self.query_one("#sec-prev", Button).disabled = self.page == 0
        self.query_one("#sec-next", Button).disabled = self.page + 1 >= pages

    # -- actions ---------------------------------------------------------------------------

    def action_page(self, step: int) -> None:
        pages = max(1, (len(self.rows) + PAGE - 1) // PAGE)
        self.page = max(0, min(pages - 1, self.page + step))
        self.render_page()

    @on(Button.Pressed, "#sec-prev")
    def newer(self) -> None:
        self.action_page(-1)

    @on(Button.Pressed, "#sec-next")
    def older(self) -> None:
        self.action_page(1)

    @on(Button.Pressed, "#sec-refresh")
    def action_refresh(self) -> None:
        self.poll()

    @on(Button.Pressed, "#sec-toggle")
    def action_toggle_unacknowledged(self) -> None:
        self.unacknowledged_only = not self.unacknowledged_only
        label = "unacknowledged" if self.unacknowledged_only else "all events"
        self.query_one("#sec-toggle", Button).label = f"Showing: {label} (u)"
        self.page = 0
        self.poll()

    def selected(self) -> SecurityEventRow | None:
        table = self.query_one("#sec-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((e for e in self.rows if str(e.id) == key), None)

    @on(DataTable.RowSelected, "#sec-table")
    def row_tapped(self) -> None:
        """One tap opens the event's acknowledgement; while selecting, it marks the row."""
        if self.selecting:
            self.action_mark()
        else:
            self.action_acknowledge()

    @on(Button.Pressed, "#sec-select")
    def action_select_several(self) -> None:
        self.selecting = not self.selecting
        self.marked.clear()
        self._selection_changed()

    def action_mark(self) -> None:
        event = self.selected()
        if event is None:
            return
        if event.acknowledged_by is not None:
            self.notify(f"Already acknowledged by {event.acknowledged_by}.", title="Not marked")
            return
        self.selecting = True
        self.marked ^= {event.id}
        self._selection_changed()

    def _selection_changed(self) -> None:
        n = len(self.marked)
        self.query_one("#sec-ack", Button).label = (
            f"Acknowledge {n} (a)" if n else "Acknowledge (a)"
        )
        self.query_one("#sec-select", Button).label = (
            "Stop selecting (s)" if self.selecting else "Select several (s)"
        )
        self.render_page()

    @on(Button.Pressed, "#sec-ack")
    def action_acknowledge(self) -> None:
        user = permitted(self, "security.view")
        if user is not None and self.marked:
            ids = [e.id for e in self.rows if e.id in self.marked]  # in list order
            signable = self.backend.acknowledgements(user.username, ids)
            self.app.push_screen(SignatureModal(signable), self._acknowledged)
            return
        event = self.selected()
        if user is None or event is None:
            return
        if event.acknowledged_by is not None:
            self.notify(f"Already acknowledged by {event.acknowledged_by}.", title="Nothing to do")
            return
        signable = self.backend.acknowledgement(user.username, event.id)
        self.app.push_screen(SignatureModal(signable), self._acknowledged)

    def _acknowledged(self, line: SignatureLine | None) -> None:
        if line is not None:
            self.notify(f"Acknowledged by {line.printed_name}.", title="Signed")
            if self.marked:
                self.selecting = False
                self.marked.clear()
                self._selection_changed()
            self.poll()


class SecurityEventsPanel(Button):
    """Home-screen line for supervisors: how many events await acknowledgement; tap to review.

    Refreshes itself like the list does: the next fetch is armed only when one has finished.
    """

    DEFAULT_CSS = """
    SecurityEventsPanel { width: 1fr; height: 3; margin: 0 2; }
    """

    def __init__(self, backend: SecurityBackend, *, refresh_s: float = 15.0) -> None:
        super().__init__("Security events: checking…", id="security-panel")
        self.backend = backend
        self.refresh_s = refresh_s
        self.open_events = -1
        self._in_flight = False

    def on_mount(self) -> None:
        self.poll()

    def poll(self) -> None:
        user = station_of(self).current_user
        if self._in_flight or user is None or not user.may("security.view"):
            return
        self._in_flight = True
        call_backend(
            self,
            lambda: self.backend.security_events(
                user.username, unacknowledged_only=True, limit=LIMIT
            ),
            self._counted,
            failed=lambda _: self._rearm(),
            group="security-panel",
        )

    def _rearm(self) -> None:
        self._in_flight = False
        if self.is_attached:
            self.set_timer(self.refresh_s, self.poll)

    def _counted(self, rows: list[SecurityEventRow]) -> None:
        self._rearm()
        self.open_events = len(rows)
        if rows:
            serious = sum(1 for e in rows if e.kind in SERIOUS)
            more = "+" if len(rows) >= LIMIT else ""
            self.label = (
                f"⚠ {len(rows)}{more} security event(s) to acknowledge"
                + (f", {serious} serious" if serious else "")
                + " — tap to review"
            )
            self.variant = "warning"
        else:
            self.label = "Security events: nothing awaits acknowledgement"
            self.variant = "default"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.app.push_screen(SecurityEventsScreen(self.backend), lambda _: self.poll())
