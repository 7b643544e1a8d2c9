"""One audit entry: before and after side by side, changed fields highlighted, the reason,
the transaction's other entries, and the signatures on the record with their validity.

Records and the ids inside them are shown by the names people use (item and lot numbers,
usernames), with the key beside them; the entry id heads the screen, for quoting it.
The record's history is opened through ``open_history`` (given by the browser, which owns
that screen), so this module does not import the browser.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, DataTable, Static

from domain.views.audit import AuditRow
from screens.admin.common import permitted
from screens.audit.backend import AuditBackend, EntryView
from screens.audit.text import op_text, short_table
from screens.base import StationScreen, call_backend
from screens.station import fmt_time, station_of
from screens.widgets.printable import printable
from screens.widgets.tap_table import TapTable

CHANGED = "bold black on yellow"
ABSENT = "—"
SECTIONS = ("changes", "transaction", "signatures")


def show_value(value: Any, present: bool, names: Mapping[int, str] | None = None) -> Text:
    """A value as the inspector reads it: JSON for structures, ∅ for null, — for absent;
    an id with the name it stands for: "3 (WID-100)"."""
    if not present:
        return Text(ABSENT, style="dim")
    if value is None:
        return Text("∅ null", style="dim")
    if isinstance(value, str):
        return Text(value)
    if names and isinstance(value, int) and value in names:
        return Text.assemble(str(value), (f" ({names[value]})", "bold"))
    return Text(json.dumps(value, sort_keys=True))


def _others(n: int) -> str:
    return {0: "no other entry", 1: "1 other entry"}.get(n, f"{n} other entries")


class EntryScreen(StationScreen):
    CSS_PATH = "entry.tcss"
    TITLE_TEXT = "Audit entry"
    BINDINGS = [
        Binding("c", "section('changes')", "Changes"),
        Binding("t", "section('transaction')", "Transaction"),
        Binding("s", "section('signatures')", "Signatures"),
        Binding("h", "history", "History"),
    ]

    def __init__(
        self,
        backend: AuditBackend,
        entry_id: int,
        open_history: Callable[[str, str], Screen[Any]] | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.entry_id = entry_id
        self.open_history = open_history
        self.view: EntryView | None = None
        self.TITLE_TEXT = f"Audit entry {entry_id}"

    def compose_body(self) -> ComposeResult:
        yield Static("", classes="refusal")
        yield Static(f"Loading entry {self.entry_id}…", id="entry-facts", markup=False)
        with Horizontal(id="entry-sections"):
            yield Button("Changes (c)", id="sec-changes", variant="primary")
            yield Button("Transaction (t)", id="sec-transaction")
            yield Button("Signatures (s)", id="sec-signatures")
            if self.open_history is not None:
                yield Button("History (h) ▶", id="entry-history", variant="success")
        with ContentSwitcher(initial="entry-changes", id="entry-switcher"):
            yield TapTable(id="entry-changes", cursor_type="row", zebra_stripes=True)
            yield TapTable(id="entry-transaction", cursor_type="row", zebra_stripes=True)
            yield TapTable(id="entry-signatures", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        user = permitted(self, "audit.view")
        if user is None:
            for widget in self.query("#entry-facts, #entry-sections, #entry-switcher"):
                widget.display = False
            return
        entry_id = self.entry_id
        call_backend(self, lambda: self.backend.audit_entry(user.username, entry_id), self.show)

    def show(self, view: EntryView) -> None:
        self.view = view
        self._facts(view)
        self._changes(view)
        self._transaction(view.detail.same_transaction, view.labels)
        self._signatures(view)
        self.query_one("#entry-changes", DataTable).focus()

    def _facts(self, view: EntryView) -> None:
        d, tz = view.detail, station_of(self).tz
        r = d.row
        sealed = (
            f"sealed at chain position {r.chain_position}" if r.chain_position else "NOT YET SEALED"
        )
        actor = f"{view.actor_name} ({r.actor})" if view.actor_name else r.actor
        record = (
            f" {view.record_label} (key {r.record_key})"
            if view.record_label
            else f" {short_table(r.table_name)} {r.record_key}"
        )
        self.query_one("#entry-facts", Static).update(
            Text.assemble(
                (f"Entry {r.id} ", "bold"),
                op_text(r.operation),
                (printable(record), "bold"),
                f"  {fmt_time(r.at, tz, seconds=True)}\n",
                "By ",
                (printable(actor), "bold"),
                f" on {r.station} · transaction {r.tx_id} ({_others(len(d.same_transaction))})"
                f" · {sealed}\n",
                ("Reason: ", "bold"),
                # typed by whoever made the change: shown, never obeyed by the terminal
                (
                    printable(r.reason) if r.reason else "— (none: a first entry needs none)",
                    "" if r.reason else "dim",
                ),
                "\n",
                (f"Entry hash {d.entry_hash}", "dim"),
            )
        )
        self.query_one(
            "#sec-transaction", Button
        ).label = f"Transaction ({len(d.same_transaction)}) (t)"
        self.query_one("#sec-signatures", Button).label = f"Signatures ({len(view.signatures)}) (s)"

    def _changes(self, view: EntryView) -> None:
        d = view.detail
        before, after = d.before or {}, d.after or {}
        changed = {c.name for c in d.changes}
        table = self.query_one("#entry-changes", DataTable)
        table.clear(columns=True)
        width = max(20, (self.size.width - 26) // 2)
        table.add_column("", width=1)
        table.add_column("Field", width=18)
        table.add_column("Before", width=width)
        table.add_column("After", width=width)
        for key in sorted(set(before) | set(after), key=lambda k: (k not in changed, k)):
            mark = Text("●", style="bold yellow") if key in changed else Text(" ")
            style = CHANGED if key in changed else ""
            names = view.references.get(key)
            old = show_value(before.get(key), key in before, names)
            new = show_value(after.get(key), key in after, names)
            if style:
                old.stylize(style)
                new.stylize(style)
            table.add_row(mark, Text(key, style="bold" if style else ""), old, new, height=None)

    def _transaction(self, rows: tuple[AuditRow, ...], labels: Mapping[int, str]) -> None:
        tz = station_of(self).tz
        table = self.query_one("#entry-transaction", DataTable)
        table.clear(columns=True)
        table.add_columns("Entry", "When", "Op", "Table", "Record", "Changed")
        for r in rows:
            table.add_row(
                str(r.id),
                fmt_time(r.at, tz, seconds=True),
                op_text(r.operation),
                short_table(r.table_name),
                labels.get(r.id, r.record_key).removeprefix(short_table(r.table_name) + " "),
                ", ".join(r.changed),
                key=str(r.id),
            )
        if not rows:
            table.add_row("", "No other entry in this transaction.", "", "", "", "")

    def _signatures(self, view: EntryView) -> None:
        tz = station_of(self).tz
        table = self.query_one("#entry-signatures", DataTable)
        table.clear(columns=True)
        table.add_columns("Valid", "Meaning", "Signed by", "When", "Version", "How", "Why not")
        for s in view.signatures:
            valid = Text("VALID", style="bold green") if s.valid else Text("INVALID", "bold red")
            table.add_row(
                valid,
                s.meaning.upper(),
                f"{s.printed_name} ({s.username})",
                fmt_time(s.signed_at, tz, seconds=True),
                str(s.record_version),
                f"{s.method} at {s.station}",
                s.reason or "",
            )
        if not view.signatures:
            why = (
                "No signatures on this record."
                if view.signable
                else ("Records of this table are not signed.")
            )
            table.add_row("", why, "", "", "", "", "")

    # -- navigation ------------------------------------------------------------------------

    @on(Button.Pressed, "#entry-sections > Button")
    def pick(self, event: Button.Pressed) -> None:
        button = event.button.id or ""
        if button.startswith("sec-"):
            self.action_section(button.removeprefix("sec-"))

    def action_section(self, section: str) -> None:
        self.query_one("#entry-switcher", ContentSwitcher).current = f"entry-{section}"
        for name in SECTIONS:
            self.query_one(f"#sec-{name}", Button).variant = (
                "primary" if name == section else "default"
            )
        self.query_one(f"#entry-{section}", DataTable).focus()

    @on(Button.Pressed, "#entry-history")
    def action_history(self) -> None:
        if self.view is not None and self.open_history is not None:
            row = self.view.detail.row
            self.app.push_screen(self.open_history(row.table_name, row.record_key))

    @on(DataTable.RowSelected, "#entry-transaction")
    def open_other(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value and event.row_key.value.isdigit():
            entry_id = int(event.row_key.value)
            self.app.push_screen(EntryScreen(self.backend, entry_id, self.open_history))
