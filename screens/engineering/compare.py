"""Two revisions side by side: added, removed and changed lines (field by field)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from domain.views.engineering import Comparison
from screens.base import StationScreen, call_backend
from screens.engineering.backend import EngineeringBackend
from screens.station import station_of
from screens.widgets.tap_table import TapTable

MARKS = {
    "added": ("+", "bold green"),
    "removed": ("−", "bold red"),
    "changed": ("~", "bold yellow"),
}


class CompareScreen(StationScreen):
    CSS_PATH = "engineering.tcss"
    TITLE_TEXT = "Compare"

    def __init__(
        self, backend: EngineeringBackend, kind: str, item: str, left: str, right: str
    ) -> None:
        super().__init__()
        self.backend = backend
        self.args = (kind, item, left, right)

    def compose_body(self) -> ComposeResult:
        yield Static("Comparing…", id="cmp-heading", markup=False, classes="eng-muted")
        yield TapTable(id="cmp-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        _, _, left, right = self.args
        self.query_one("#cmp-table", DataTable).add_columns("", "Line", "Field", left, right)
        user = station_of(self).current_user
        if user is not None:
            call_backend(self, lambda: self.backend.compare(user.username, *self.args), self.show)

    def show(self, c: Comparison) -> None:
        self.query_one("#cmp-heading", Static).update(
            f"{c.left.title} → rev {c.right.revision}: {c.count('added')} added, "
            f"{c.count('removed')} removed, {c.count('changed')} changed"
        )
        table = self.query_one("#cmp-table", DataTable)
        for d in c.differences:
            mark, style = MARKS[d.kind]
            if d.kind == "changed":
                for ch in d.changes:  # "—": the field was (or is now) empty, e.g. no class
                    before, after = ch.before or "—", ch.after or "—"
                    table.add_row(Text(mark, style=style), d.key, ch.field, before, after)
            else:
                table.add_row(Text(mark, style=style), d.key, d.kind, d.before, d.after)
        if not c.differences:
            table.add_row("", "(no differences)", "", "", "")
