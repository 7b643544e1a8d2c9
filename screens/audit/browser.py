"""The audit-trail browser: who changed what, when, where and why — filtered, paged.

Paging is by entry id (keyset), so the thousandth page loads as fast as the first and the
trail is never loaded whole. Newest first; "Older ▶" walks back in time.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Static

from domain.views.audit import AuditFilter, AuditPage, AuditRow
from screens.admin.common import permitted
from screens.audit.backend import AuditBackend
from screens.audit.entry import EntryScreen
from screens.audit.filters import AuditFilterModal, describe
from screens.audit.text import op_text, short_table
from screens.base import StationScreen, call_backend
from screens.station import station_of
from screens.widgets.tap_table import TapTable

PAGE = 50
TIME_WIDE = "%Y-%m-%d %H:%M:%S"
TIME_NARROW = "%m-%d %H:%M:%S"


def _fit(values: Iterable[str], least: int, most: int) -> int:
    """A column as wide as its longest value, between ``least`` and ``most``."""
    return max(least, min(most, max((len(v) for v in values), default=least)))


def _cut(value: str) -> Text:
    return Text(value, no_wrap=True, overflow="ellipsis")


def change_text(row: AuditRow) -> Text:
    """What changed and why, in one cell: "description — reason"."""
    what = {"INSERT": "created", "DELETE": "deleted"}.get(row.operation, ", ".join(row.changed))
    text = Text(what or "(no field changed)", style="bold", no_wrap=True, overflow="ellipsis")
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
        self.labels: dict[int, str] = {}  # entry id -> "item WID-100" (record_labels)
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

    def _columns(self, table: DataTable[object], rows: tuple[AuditRow, ...] = ()) -> None:
        """Who, when and what first, each as wide as its content needs (within limits);
        "what changed and why" takes the width that is left; cells that do not fit end in
        an ellipsis. Below 120 columns the date drops its year and the station and entry
        id go (the entry screen shows them all in full)."""
        width = self.app.size.width - 4
        self.wide = width >= 120
        when = 19 if self.wide else 14
        user = _fit((r.actor for r in rows), 4, 16 if self.wide else 12)
        record = _fit((self._record(r) for r in rows), 6, 34 if self.wide else 20)
        station = _fit((r.station for r in rows), 7, 24) if self.wide else 0
        entry = _fit((str(r.id) for r in rows), 5, 10) if self.wide else 0
        shown = 7 if self.wide else 5
        fixed = when + user + 6 + record + station + entry + 2 * shown
        table.add_column("When", width=when)
        table.add_column("User", width=user)
        table.add_column("Op", width=6)
        table.add_column("Record", width=record)
        table.add_column("Changed — reason", width=max(18, width - fixed))
        if self.wide:
            table.add_column("Station", width=station)
            table.add_column("Entry", width=entry)

    def _record(self, row: AuditRow) -> str:
        return self.labels.get(row.id) or f"{short_table(row.table_name)} {row.record_key}"

    def _tables(self, tables: tuple[str, ...]) -> None:
        self.tables = tables

    # -- loading pages ---------------------------------------------------------------------

    def reopened(self) -> None:
        self.load()

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
        self._label(page.rows)
        self._buttons()

    def _fill(self, rows: tuple[AuditRow, ...]) -> None:
        tz = station_of(self).tz
        table = self.query_one("#audit-table", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        self._columns(table, rows)
        for r in rows:
            when = r.at.astimezone(tz).strftime(TIME_WIDE if self.wide else TIME_NARROW)
            cells: list[object] = [
                when, _cut(r.actor), op_text(r.operation), _cut(self._record(r)), change_text(r),
            ]  # fmt: skip
            if self.wide:
                cells += [_cut(r.station), str(r.id)]
            table.add_row(*cells, key=str(r.id))
        if rows and 0 < cursor < len(rows):
            table.move_cursor(row=cursor)

    def _label(self, rows: tuple[AuditRow, ...]) -> None:
        """Ask for the records' names (item numbers, usernames) once the page shows."""
        user = station_of(self).current_user
        missing = [r.id for r in rows if r.id not in self.labels]
        if user is None or not missing:
            return

        def labelled(labels: dict[int, str]) -> None:
            self.labels.update(labels)
            if labels and self.page is not None and self.page.rows == rows:
                self._fill(rows)

        call_backend(
            self,
            lambda: self.backend.record_labels(user.username, missing),
            labelled,
            failed=lambda _: None,  # the keys stay; the page itself is shown
            group="labels",
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
        row = self.selected()
        if row is not None:
            self.app.push_screen(EntryScreen(self.backend, row.id, self._history))

    def _history(self, table: str, record_key: str) -> AuditBrowserScreen:
        return history_screen(self.backend, table, record_key)

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
