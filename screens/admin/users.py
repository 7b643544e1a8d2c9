"""Users: list and filter people with their roles and state; add one; open one to act."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, Static

from screens.admin.backend import AdminBackend, AdminRequest, UserRow
from screens.admin.common import permitted
from screens.admin.forms import AddUserModal, ChoiceModal
from screens.admin.reauth import ReauthModal
from screens.backend import ActionDone
from screens.base import StationScreen, call_backend
from screens.widgets.columns import fit_columns
from screens.widgets.keyboard import TouchInput
from screens.widgets.printable import literal_label
from screens.widgets.tap_table import TapTable

HEADERS = ("Username", "Name", "Status", "Roles", "Badges", "PIN", "Fails")

PAGE = 20
STATUS_STYLE = {"active": "bold green", "locked": "bold black on yellow", "disabled": "dim"}


def status_text(status: str) -> Text:
    return Text(status.upper(), style=STATUS_STYLE.get(status, "bold"))


class UsersScreen(StationScreen):
    CSS_PATH = "users.tcss"
    TITLE_TEXT = "Users and badges"
    BINDINGS = [
        Binding("ctrl+n", "add_user", "Add user"),
        Binding("pagedown", "page(1)", "Next page", show=False),
        Binding("pageup", "page(-1)", "Previous page", show=False),
    ]

    def __init__(
        self, backend: AdminBackend, open_user: Callable[[str], Screen[Any]] | None = None
    ) -> None:
        super().__init__()
        self.backend = backend
        self.open_user = open_user
        self.role: str | None = None
        self.status: str | None = None
        self.rows: list[UserRow] = []
        self.page = 0

    def compose_body(self) -> ComposeResult:
        yield Static("", classes="refusal")
        with Horizontal(id="users-filter"):
            yield TouchInput(placeholder="Name or username", id="users-search")
            yield Button("Role: all", id="users-role")
            yield Button("Status: all", id="users-status")
            yield Button("Add user", id="users-add", variant="success")
        yield Static("", id="users-count")
        yield TapTable(id="users-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="users-pager", classes="pager"):
            yield Button("◀ Prev", id="users-prev")
            yield Static("", id="users-page")
            yield Button("Next ▶", id="users-next")

    def on_mount(self) -> None:
        table = self.query_one("#users-table", DataTable)
        table.add_columns(*HEADERS)
        if permitted(self, "user.administer") is None:
            for widget in self.query("#users-filter, #users-table, #users-pager"):
                widget.display = False
            return
        self.query_one("#users-search", Input).focus()
        self.load()

    def reopened(self) -> None:
        self.load()

    def load(self) -> None:
        user = permitted(self, "user.administer")
        if user is None:
            return
        search = self.query_one("#users-search", Input).value
        role, status = self.role, self.status
        call_backend(
            self,
            lambda: self.backend.list_users(user.username, search, role, status),
            self.show,
            group="users",
        )

    def show(self, rows: list[UserRow]) -> None:
        self.rows = rows
        self.page = min(self.page, max(0, (len(rows) - 1) // PAGE))
        self.render_page()

    def render_page(self) -> None:
        table = self.query_one("#users-table", DataTable)
        shown = self.rows[self.page * PAGE : (self.page + 1) * PAGE]
        cells = []
        for r in shown:
            badges = f"{r.active_badges}" + (
                f" (+{r.revoked_badges} revoked)" if r.revoked_badges else ""
            )
            pin = Text(r.pin, style="bold yellow" if r.pin != "own" else "")
            fails = Text(str(r.failed_attempts), style="bold red" if r.failed_attempts else "")
            cells.append(
                (
                    Text(r.username, style="bold"),
                    r.printed_name,
                    status_text(r.status),
                    ", ".join(r.roles) or "—",
                    badges,
                    pin,
                    fails,
                )
            )
        fitted = fit_columns(table, HEADERS, cells, flex=1, most=24, keep=(0,))
        for r, line in zip(shown, fitted, strict=True):
            table.add_row(*line, key=r.username)
        pages = max(1, (len(self.rows) + PAGE - 1) // PAGE)
        self.query_one("#users-count", Static).update(
            f"{len(self.rows)} user(s) — select one to manage roles, badges, PIN and status"
        )
        self.query_one("#users-page", Static).update(f"Page {self.page + 1} of {pages}")
        self.query_one("#users-prev", Button).disabled = self.page == 0
        self.query_one("#users-next", Button).disabled = self.page + 1 >= pages

    def action_page(self, step: int) -> None:
        pages = max(1, (len(self.rows) + PAGE - 1) // PAGE)
        self.page = max(0, min(pages - 1, self.page + step))
        self.render_page()

    @on(Button.Pressed, "#users-prev")
    def prev_page(self) -> None:
        self.action_page(-1)

    @on(Button.Pressed, "#users-next")
    def next_page(self) -> None:
        self.action_page(1)

    @on(Input.Submitted, "#users-search")
    @on(Input.Changed, "#users-search")
    def search(self) -> None:
        self.page = 0
        self.load()

    @on(Button.Pressed, "#users-role")
    def choose_role(self) -> None:
        choices = [("", "All roles"), *((r, r) for r in self.backend.role_names())]
        self.app.push_screen(ChoiceModal("Show users with role", choices), self._role_chosen)

    def _role_chosen(self, role: object) -> None:
        if role is not None:
            self.role = str(role) or None
            self.query_one("#users-role", Button).label = literal_label(
                f"Role: {self.role or 'all'}"
            )
            self.load()

    @on(Button.Pressed, "#users-status")
    def choose_status(self) -> None:
        choices = [
            ("", "All"),
            ("active", "Active"),
            ("locked", "Locked"),
            ("disabled", "Disabled"),
        ]
        self.app.push_screen(ChoiceModal("Show users who are", choices), self._status_chosen)

    def _status_chosen(self, status: object) -> None:
        if status is not None:
            self.status = str(status) or None
            self.query_one("#users-status", Button).label = literal_label(
                f"Status: {self.status or 'all'}"
            )
            self.load()

    @on(DataTable.RowSelected, "#users-table")
    def open_row(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value and self.open_user is not None:
            self.app.push_screen(self.open_user(event.row_key.value), lambda _: self.load())

    @on(Button.Pressed, "#users-add")
    def action_add_user(self) -> None:
        if permitted(self, "user.administer") is not None:
            self.app.push_screen(AddUserModal(self.backend.role_names()), self._add)

    def _add(self, request: object) -> None:
        """Check what can be checked before the badge and PIN; on any refusal (here or in
        the re-authentication) the form comes back with everything typed."""
        user = permitted(self, "user.administer")
        if not isinstance(request, AdminRequest) or user is None:
            return
        backend = self.backend

        def again(error: str) -> None:
            form = AddUserModal(backend.role_names(), request, error)
            self.app.push_screen(form, self._add)

        def checked(_: None) -> None:
            action = backend.admin_action(user.username, request)
            self.app.push_screen(
                ReauthModal(action),
                lambda line: self._done(line) if line else again("Not added yet: confirm again."),
            )

        call_backend(
            self,
            lambda: backend.check_request(user.username, request),
            checked,
            failed=lambda error: again(f"{error.title}: {error.message}"),
        )

    def _done(self, done: ActionDone | None) -> None:
        if done is not None:
            self.notify(done.done, title="Done")
            self.load()
