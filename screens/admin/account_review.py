"""The periodic account review (§11.300(b)) and the badge-reader tests (§11.300(e)).

People: every person with status, roles, last sign-in, last use (any sign-in, signature or
PIN change), active badges, and DORMANT where unused for the dormancy period; *Dormant
only* narrows the list. An administrator disables the dormant accounts as one decision: a
reason (one-tap presets), then their badge/card + PIN, which the database checks with the
decision itself (workcell.disable_dormant_accounts refuses any account not dormant now).
Readers: every badge station's last reader test, last pass, when the next is due, OVERDUE
in red. Tests are recorded at the station with `workcell station reader-test record`.
"""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Static

from domain.errors import WorkCellError
from screens.admin.common import permitted
from screens.admin.forms import ReasonModal
from screens.admin.reauth import ReauthModal
from screens.admin.review_backend import (
    AccountReviewBackend,
    ReaderCheck,
    Readers,
    Review,
    ReviewRow,
)
from screens.backend import ActionToConfirm, Proof
from screens.base import StationScreen, call_backend
from screens.messages import BadgePresented
from screens.station import station_of
from screens.widgets.tap_table import TapTable

PRESETS = ("Periodic account review", "Left the company", "Long absence")
VIEWS = ("people", "dormant", "readers")
# the name last: on 80 columns it is the one cut short
PEOPLE_COLUMNS = ("User", "State", "Roles", "Last sign-in", "Last use", "Badges", "Name")
READER_COLUMNS = ("Station", "State", "Last test", "Result", "Last pass", "Due", "Where")


def when(value: dt.datetime | None) -> str:
    """A day is the review's precision (the time is in the audit trail and the CLI)."""
    return "never" if value is None else value.astimezone().strftime("%Y-%m-%d")


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def person_state(row: ReviewRow) -> Text:
    if row.dormant:
        return Text("DORMANT", style="bold yellow")
    if row.status == "disabled":
        return Text("disabled", style="dim")
    if row.status == "locked":
        return Text("LOCKED", style="bold yellow")
    return Text("active", style="green")


class AccountReviewScreen(StationScreen):
    CSS_PATH = "account_review.tcss"
    TITLE_TEXT = "Account review"
    BINDINGS = [Binding("r", "refresh", "Refresh")]

    def __init__(self, backend: AccountReviewBackend) -> None:
        super().__init__()
        self.backend = backend
        self.view = "people"
        self.review: Review | None = None
        self.readers: Readers | None = None
        # the view the table shows now: a view pressed is shown only when its data arrives
        self.shown_view: str | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("", classes="refusal")
        with Horizontal(id="ar-tools"):
            yield Button("People", id="ar-people", variant="primary")
            yield Button("Dormant only", id="ar-dormant")
            yield Button("Readers", id="ar-readers")
            yield Button("Disable dormant", id="ar-disable", variant="error")
            yield Button("Test reader", id="ar-test", variant="success")
            yield Button("Refresh (r)", id="ar-refresh")
        yield Static("", id="ar-status", markup=False)
        yield TapTable(id="ar-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        if permitted(self, "security.view") is None:
            for widget in self.query("#ar-tools, #ar-table"):
                widget.display = False
            return
        user = station_of(self).current_user
        # only what the person may do is offered
        if user is None or not user.may("user.administer"):
            self.query_one("#ar-disable", Button).display = False
        self.query_one("#ar-test", Button).display = False  # on the readers view
        self.query_one("#ar-table", DataTable).focus()
        self.action_refresh()

    def reopened(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        user = station_of(self).current_user
        if user is None:
            return
        who = user.username
        if self.view == "readers":
            call_backend(self, lambda: self.backend.readers(who), self._readers,
                         failed=self._failed, group="account-review")  # fmt: skip
        else:
            call_backend(self, lambda: self.backend.review(who), self._review,
                         failed=self._failed, group="account-review")  # fmt: skip

    def _table(self, columns: tuple[str, ...]) -> DataTable[object]:
        self.shown_view = self.view
        table: DataTable[object] = self.query_one("#ar-table", DataTable)
        table.clear(columns=True)
        table.add_columns(*columns)
        return table

    def _review(self, review: Review) -> None:
        self.review = review
        table = self._table(PEOPLE_COLUMNS)
        shown = [p for p in review.people if p.dormant or self.view == "people"]
        for p in shown:
            table.add_row(
                p.username, person_state(p), ", ".join(p.roles) or "-", when(p.last_sign_in),
                when(p.last_activity), str(p.active_badges), p.printed_name, key=p.username,
            )  # fmt: skip
        dormant = sum(p.dormant for p in review.people)
        self.query_one("#ar-status", Static).update(
            f"{len(review.people)} {'person' if len(review.people) == 1 else 'people'}, "
            f"{dormant} dormant (unused for "
            f"{review.dormant_after_days} days or more)."
        )

    def _readers(self, readers: Readers) -> None:
        self.readers = readers
        table = self._table(READER_COLUMNS)
        for r in readers.stations:
            state = Text("OVERDUE", style="bold red") if r.overdue else Text("ok", style="green")
            table.add_row(
                r.station, state, when(r.last_tested_at), r.last_result or "-",
                when(r.last_passed_at), when(r.due_at) if r.due_at else "now", r.place or "-",
                key=r.station,
            )  # fmt: skip
        overdue = sum(r.overdue for r in readers.stations)
        self.query_one("#ar-status", Static).update(
            f"{plural(len(readers.stations), 'badge station')}, {overdue} overdue "
            f"(each reader tested every {readers.interval_days} days)."
        )

    def _failed(self, error: WorkCellError) -> None:
        self.query_one("#ar-status", Static).update(
            Text(f"{error.title}: {error.message}", style="bold red")
        )

    @on(Button.Pressed, "#ar-refresh")
    def refresh_pressed(self) -> None:
        self.action_refresh()

    @on(Button.Pressed, "#ar-people, #ar-dormant, #ar-readers")
    def view_pressed(self, event: Button.Pressed) -> None:
        self.view = str(event.button.id).removeprefix("ar-")
        user = station_of(self).current_user
        may_test = user is not None and user.may("reader.test")
        self.query_one("#ar-test", Button).display = self.view == "readers" and may_test
        if user is not None and user.may("user.administer"):
            self.query_one("#ar-disable", Button).display = self.view != "readers"
        for name in VIEWS:
            button = self.query_one(f"#ar-{name}", Button)
            button.variant = "primary" if name == self.view else "default"
        self.action_refresh()

    @on(Button.Pressed, "#ar-disable")
    def disable_pressed(self) -> None:
        self.disable_dormant()

    @work(exclusive=True, group="dormancy-decision")
    async def disable_dormant(self) -> None:
        user = station_of(self).current_user
        if user is None or self.review is None:
            return
        names = [p.username for p in self.review.people
                 if p.dormant and p.username != user.username]  # fmt: skip
        if not names:
            self.query_one("#ar-status", Static).update("No dormant account to disable.")
            return
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        reason = await self.app.push_screen_wait(
            ReasonModal(
                f"Disable {len(names)} dormant account(s)",
                f"{shown}: unused for {self.review.dormant_after_days} days or more. "
                "They will never be re-enabled.",
                PRESETS,
                ok="Disable",
            )
        )
        if reason is None:
            return
        pending = self.backend.dormancy_decision(user.username, names, str(reason))
        done = await self.app.push_screen_wait(ReauthModal(pending))
        if done is not None:
            self.notify(done.done, title="Done", timeout=6)
        self.action_refresh()

    @on(Button.Pressed, "#ar-test")
    def test_pressed(self) -> None:
        self.test_reader()

    @work(exclusive=True, group="reader-test")
    async def test_reader(self) -> None:
        user = station_of(self).current_user
        if user is None:
            return
        check = self.backend.reader_test(user.username)
        done = await self.app.push_screen_wait(ReaderTestModal(check))
        if done is not None:
            self.notify(done.done, title="Reader test", timeout=6)
        self.action_refresh()


class ReaderTestModal(ReauthModal):
    """The re-authentication dialog, remembering which reader read the badge: a pass names
    the reader the card was read by (PC/SC reader name, or the keyboard wedge)."""

    HEADING = "Reader test"
    TAP = "Tap your badge on this station's reader"
    WORKING = "Recording the test…"

    def __init__(self, check: ReaderCheck) -> None:
        super().__init__(check)
        self.check = check
        self.source = ""

    @on(BadgePresented)
    def remember_reader(self, message: BadgePresented) -> None:
        # beside the dialog's own badge handler, which asks for the PIN
        self.source = message.source

    def _described(self, action: ActionToConfirm) -> None:
        super()._described(action)
        self.query_one("#sig-heading", Static).update(
            "Confirm: READER TEST — your own badge, then your PIN"
        )

    def _ask_pin(self, signer: str | None, badge: str = "Badge read") -> None:
        super()._ask_pin(signer, badge)
        self.query_one("#sig-prompt", Static).update(
            f"{badge}{f' ({signer})' if signer else ''}.\nEnter your PIN and press OK: the "
            "pass is recorded for this reader in your name."
        )

    def act(self, proof: Proof, comment: str | None) -> None:
        source = self.source if proof.badge_uid else ""
        call_backend(
            self, lambda: self.check.confirm_read(proof, source), self.dismiss,
            failed=self._failed,
        )  # fmt: skip
