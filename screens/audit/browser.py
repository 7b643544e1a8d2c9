"""The audit-trail browser: who changed what, when, where and why — filtered, paged.

Paging is by entry id (keyset), so the thousandth page loads as fast as the first and the
trail is never loaded whole. Newest first; "Older ▶" walks back in time.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Static

from domain.audit.query import AuditFilter, AuditPage, AuditRow
from screens.admin.common import permitted
from screens.audit.backend import AuditBackend
from screens.audit.filters import AuditFilterModal, describe
from screens.base import StationScreen, call_backend
from screens.station import station_of
from screens.widgets.tap_table import TapTable

PAGE = 50
TIME_WIDE = "%Y-%m-%d %H:%M:%S"
TIME_NARROW = "%m-%d %H:%M:%S"
OP_STYLE = {"INSERT": "bold green", "UPDATE": "bold yellow", "DELETE": "bold red"}


def op_text(operation: str) -> Text:
    return Text(operation, style=OP_STYLE.get(operation, "bold"))


def short_table(name: str) -> str:
    return name.removeprefix("workcell.")


def change_text(row: AuditRow) -> Text:
    """What changed and why, in one cell: "description — reason"."""
    what = {"INSERT": "created", "DELETE": "deleted"}.get(row.operation, ", ".join(row.changed))
    text = Text(what or "(no field changed)", style="bold")
    if row.reason:
        text.append(f" — {row.reason}")
    return text


class AuditBrowserScreen(StationScreen):
    CSS_PATH = "audit.tcss"
    TITLE_TEXT = "Audit trail"
    BINDINGS = [
        Binding("f", "filter", "Filter"),
        Binding("n", "older", "Older"),
        Binding("p", "newer", "Newer"),
        Binding("home", "newest", "Newest", show=False),
        Binding("pagedown", "older", "Older", show=False),
        Binding("pageup", "newer", "Newer", show=False),
        Binding("h", "history", "History of the record"),
        Binding("i", "integrity", "Integrity"),
        Binding("x", "export", "Export"),
    ]

    def __init__(
        self, backend: AuditBackend, flt: AuditFilter | None = None, *, title: str = ""
    ) -> None:
        super().__init__()
        self.backend = backend
        self.flt = flt or AuditFilter()
        self.heading = title
        self.page: AuditPage | None = None
        self.page_no = 1
        self.has_older = False
        self.has_newer = False
        self.tables: tuple[str, ...] = ()
        self.wide = True
        if title:
            self.TITLE_TEXT = title

    def compose_body(self) -> ComposeResult:
        yield Static("", classes="refusal")
        with Horizontal(id="audit-tools"):
            yield Button("Filter (f)", id="audit-filter", variant="primary")
            yield Button("◀ Newer (p)", id="audit-newer")
            yield Button("Older (n) ▶", id="audit-older")
            yield Button("Integrity (i)", id="audit-integrity")
            yield Button("Export (x)", id="audit-export")
        yield Static("", id="audit-summary")
        yield TapTable(id="audit-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#audit-table", DataTable)
        self._columns(table)
        user = permitted(self, "audit.view")
        if user is None:
            for widget in self.query("#audit-tools, #audit-table, #audit-summary"):
                widget.display = False
            return
        table.focus()
        self.load()
        call_backend(
            self, lambda: self.backend.audit_tables(user.username), self._tables, group="tables"
        )

    def _columns(self, table: DataTable[object]) -> None:
        """Who, when and what first; "what changed and why" takes the width that is left.

        Below 120 columns the date drops its year (the entry screen shows it in full).
        """
        width = self.app.size.width - 4
        self.wide = width >= 120
        when, user, record = (19, 12, 22) if self.wide else (14, 10, 16)
        fixed = when + user + 6 + record + 2 * 5 + (20 + 8 + 4 if self.wide else 0)
        table.add_column("When", width=when)
        table.add_column("User", width=user)
        table.add_column("Op", width=6)
        table.add_column("Record", width=record)
        table.add_column("Changed — reason", width=max(18, width - fixed))
        table.add_column("Station", width=20)
        table.add_column("Entry", width=8)

    def _tables(self, tables: tuple[str, ...]) -> None:
        self.tables = tables

    # -- loading pages ---------------------------------------------------------------------

    def load(
        self, *, before_id: int | None = None, after_id: int | None = None, step: int = 0
    ) -> None:
        user = permitted(self, "audit.view")
        if user is None:
            return
        flt = self.flt
        self.query_one("#audit-summary", Static).update("Loading…")

        def fetch() -> AuditPage:
            return self.backend.audit_page(
                user.username, flt, before_id=before_id, after_id=after_id, limit=PAGE
            )

        call_backend(
            self, fetch, lambda page: self.show(page, step, after_id is not None), group="page"
        )

    def show(self, page: AuditPage, step: int, went_newer: bool) -> None:
        if step and not page.rows:  # walked off the end: stay where we were
            self.has_older = self.has_older and step < 0
            self.has_newer = self.has_newer and step > 0
            self._buttons()
            return
        self.page = page
        self.page_no = 1 if step == 0 else max(1, self.page_no + step)
        if step == 0:
            self.has_older, self.has_newer = page.has_more, False
        elif went_newer:
            self.has_newer, self.has_older = page.has_more, True
        else:
            self.has_older, self.has_newer = page.has_more, True
        self._fill(page.rows)
        self._buttons()

    def _fill(self, rows: tuple[AuditRow, ...]) -> None:
        tz = station_of(self).tz
        table = self.query_one("#audit-table", DataTable)
        table.clear()
        for r in rows:
            when = r.at.astimezone(tz).strftime(TIME_WIDE if self.wide else TIME_NARROW)
            table.add_row(
                when,
                r.actor,
                op_text(r.operation),
                f"{short_table(r.table_name)} {r.record_key}",
                change_text(r),
                r.station,
                str(r.id),
                key=str(r.id),
            )

    def _buttons(self) -> None:
        tz = station_of(self).tz
        count = len(self.page.rows) if self.page else 0
        more = " (more older)" if self.has_older else ""
        self.query_one("#audit-summary", Static).update(
            Text.assemble(
                ("Filter: ", "bold"),
                describe(self.flt, tz),
                f"  ·  page {self.page_no}, {count} entries{more}  ·  times {tz.key}",
            )
        )
        self.query_one("#audit-older", Button).disabled = not self.has_older
        self.query_one("#audit-newer", Button).disabled = not self.has_newer

    # -- navigation ------------------------------------------------------------------------

    @on(Button.Pressed, "#audit-older")
    def action_older(self) -> None:
        if self.page and self.page.last_id is not None and self.has_older:
            self.load(before_id=self.page.last_id, step=1)

    @on(Button.Pressed, "#audit-newer")
    def action_newer(self) -> None:
        if self.page and self.page.first_id is not None and self.has_newer:
            self.load(after_id=self.page.first_id, step=-1)

    def action_newest(self) -> None:
        self.load()

    def selected(self) -> AuditRow | None:
        table = self.query_one("#audit-table", DataTable)
        if self.page is None or not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((r for r in self.page.rows if str(r.id) == key), None)

    @on(DataTable.RowSelected, "#audit-table")
    def open_entry(self) -> None:
        from screens.audit.entry import EntryScreen

        row = self.selected()
        if row is not None:
            self.app.push_screen(EntryScreen(self.backend, row.id))

    def action_history(self) -> None:
        row = self.selected()
        if row is not None:
            self.app.push_screen(history_screen(self.backend, row.table_name, row.record_key))

    @on(Button.Pressed, "#audit-filter")
    def action_filter(self) -> None:
        self.app.push_screen(AuditFilterModal(self.flt, self.tables), self._filtered)

    def _filtered(self, flt: AuditFilter | None) -> None:
        if flt is not None:
            self.flt = flt
            self.load()

    @on(Button.Pressed, "#audit-integrity")
    def action_integrity(self) -> None:
        from screens.audit.integrity import IntegrityScreen

        self.app.push_screen(IntegrityScreen(self.backend, self.flt))

    @on(Button.Pressed, "#audit-export")
    def action_export(self) -> None:
        from screens.audit.integrity import ExportModal

        self.app.push_screen(ExportModal(self.backend, self.flt))


def history_screen(backend: AuditBackend, table: str, record_key: str) -> AuditBrowserScreen:
    """The full life of one record: every entry for that table and key, newest first."""
    flt = AuditFilter(table=table, record=record_key)
    return AuditBrowserScreen(backend, flt, title=f"History: {short_table(table)} {record_key}")
