"""Trace: what went into a lot (backward, down to receipt, supplier and supplier lot) or
where it went (forward, to lots, serials, shipments and customers), as a tree whose rows a
gloved finger taps to expand (3 rows high on a large screen). Each node shows its status
and whether it is held. The first level comes at once (one index look-up); "Expand all"
walks the rest level by level in a worker, with progress, and can be stopped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, Static

from domain.errors import WorkCellError
from screens.base import StationScreen, call_backend
from screens.materials.backend import (
    MaterialsBackend,
    ShippedLine,
    TraceLevel,
    TraceLink,
    TraceNode,
    TraceRoot,
)
from screens.materials.common import actor, qty, refusal, row_height, say, status_text
from screens.messages import BarcodeScanned
from screens.station import fmt_time, station_of
from screens.widgets.columns import fit_columns
from screens.widgets.keyboard import TouchInput
from screens.widgets.tap_table import TapTable

# A tree drawn with every path: a lot used in many places appears under each. Beyond
# this many rows the screen says so and offers "Trace from here" on a deeper lot.
MAX_ROWS = 1500
DIRECTIONS = {"backward": "what went into it", "forward": "where it went"}


@dataclass(frozen=True)
class Row:
    """One row of the tree: a lot reached by a path (a lot can be reached twice), or a
    shipment line of the lot above it."""

    key: str
    depth: int
    node: TraceNode | None
    link: TraceLink | None = None
    shipped: ShippedLine | None = None


class TraceScreen(StationScreen):
    CSS_PATH = "materials.tcss"
    TITLE_TEXT = "Trace"
    ACCEPTS_SCANS = True
    ASK_BEFORE_DISCARD = False

    def __init__(
        self,
        backend: MaterialsBackend,
        ident: str = "",
        direction: str = "backward",
        *,
        open_lot: Callable[[str], Screen[Any]] | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.ident = ident
        self.direction = direction
        self.open_lot = open_lot
        self.root: TraceRoot | None = None
        self.links_of: dict[int, tuple[TraceLink, ...]] = {}
        self.shipped: dict[int, tuple[ShippedLine, ...]] = {}
        self.expanded: set[str] = set()
        self.rows: list[Row] = []
        self.selected: Row | None = None
        self.walking = False
        self.levels = 0

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="mat-row"):
            yield TouchInput(self.ident, placeholder="Scan or type a lot or serial", id="tr-find")
            yield Button("Backward", id="tr-backward")
            yield Button("Forward", id="tr-forward")
        yield Static("", id="tr-message", classes="mat-message", markup=False)
        yield Static("", id="trace-progress", markup=False)
        yield TapTable(id="trace-tree", cursor_type="row", show_header=False)
        with Horizontal(classes="mat-row"):
            yield Button("Expand all", id="tr-all", disabled=True)
            yield Button("Stop", id="tr-stop", variant="error")
            yield Button("Open lot", id="tr-open", disabled=True)
            yield Button("Trace from here", id="tr-here", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#tr-stop").display = False
        self._direction_buttons()
        if self.ident:
            self.start()
        else:
            self.query_one("#tr-find", Input).focus()

    def _direction_buttons(self) -> None:
        for d in DIRECTIONS:
            self.query_one(f"#tr-{d}", Button).variant = (
                "primary" if d == self.direction else "default"
            )

    # -- starting a trace -------------------------------------------------------------------

    @on(BarcodeScanned)
    def scanned(self, message: BarcodeScanned) -> None:
        message.stop()
        who, data = actor(self), message.data.strip()
        if who is not None:
            call_backend(
                self, lambda: self.backend.lot_number_of(who, data), self._scanned_lot,
                failed=self._refused, group="scan",
            )  # fmt: skip

    def _scanned_lot(self, lot: str) -> None:
        self.query_one("#tr-find", Input).value = lot
        self.start()

    @on(Button.Pressed, "#tr-backward")
    @on(Button.Pressed, "#tr-forward")
    def direction_chosen(self, event: Button.Pressed) -> None:
        self.direction = (event.button.id or "").removeprefix("tr-")
        self._direction_buttons()
        self.start()

    @on(Input.Submitted, "#tr-find")
    def start(self) -> None:
        who = actor(self)
        ident = self.query_one("#tr-find", Input).value.strip()
        if who is None or not ident:
            return
        self.walking = False
        direction = self.direction

        def first() -> tuple[TraceRoot, TraceLevel]:
            root = self.backend.trace_root(who, ident)
            return root, self.backend.trace_level(who, (root.node.lot_id,), direction)

        call_backend(self, first, self._started, failed=self._refused, group="trace")

    def _started(self, loaded: tuple[TraceRoot, TraceLevel]) -> None:
        root, level = loaded
        self.root = root
        self.links_of, self.shipped, self.expanded = {}, {}, {"0"}
        self._merge((root.node.lot_id,), level)
        say(self.query_one("#tr-message", Static), "")
        self.query_one("#tr-all", Button).disabled = False
        self._draw()

    def _merge(self, asked: tuple[int, ...], level: TraceLevel) -> None:
        by_source: dict[int, list[TraceLink]] = {lot: [] for lot in asked}
        for link in level.links:
            by_source.setdefault(link.source, []).append(link)
        for lot, links in by_source.items():
            self.links_of[lot] = tuple(links)
        for lot in asked:
            self.shipped[lot] = tuple(s for s in level.shipments if s.lot_id == lot)

    def _first_links(self, lot: int) -> tuple[TraceLink, ...]:
        """A serial's trace keeps, at the first level, the edges of that serial (and the
        lot-level ones)."""
        links = self.links_of.get(lot, ())
        serial = self.root.serial if self.root else None
        if serial is None or self.root is None or lot != self.root.node.lot_id:
            return links
        if self.direction == "backward":
            return tuple(x for x in links if x.child_serial in (None, serial))
        return tuple(x for x in links if x.parent_serial in (None, serial))

    # -- the tree ---------------------------------------------------------------------------

    def _walk(self) -> list[Row]:
        assert self.root is not None
        rows: list[Row] = []

        def visit(key: str, depth: int, node: TraceNode, link: TraceLink | None) -> None:
            if len(rows) >= MAX_ROWS:
                return
            rows.append(Row(key, depth, node, link))
            if key not in self.expanded:
                return
            links = (
                self._first_links(node.lot_id) if depth == 0 else self.links_of.get(node.lot_id, ())
            )
            for n, child in enumerate(links):
                visit(f"{key}/{n}", depth + 1, child.node, child)
            for n, s in enumerate(self.shipped.get(node.lot_id, ())):
                if depth == 0 and self.root and self.root.serial and s.serial not in (
                    None, self.root.serial,
                ):  # fmt: skip
                    continue
                rows.append(Row(f"{key}/s{n}", depth + 1, None, shipped=s))

        visit("0", 0, self.root.node, None)
        return rows

    def _has_more(self, row: Row) -> bool | None:
        """True/False when known, None when its next level is not loaded yet."""
        if row.node is None:
            return False
        lot = row.node.lot_id
        if lot not in self.links_of:
            return None
        return bool(self.links_of[lot] or self.shipped.get(lot))

    def _draw(self) -> None:
        tz = station_of(self).tz
        table = self.query_one("#trace-tree", DataTable)
        cursor = table.cursor_row
        self.rows = self._walk()
        cells = [self._cells(row, tz) for row in self.rows]
        headers = ("Lot", "Item", "Status", "Quantity", "Detail")
        fitted = fit_columns(table, headers, cells, flex=4, keep=(0,))
        height = row_height(self)
        for row, line in zip(self.rows, fitted, strict=True):
            table.add_row(*line, key=row.key, height=height)
        if self.rows:
            table.move_cursor(row=min(cursor, len(self.rows) - 1))
        lots = sum(1 for r in self.rows if r.node is not None)
        cut = f" (the first {MAX_ROWS} rows)" if len(self.rows) >= MAX_ROWS else ""
        what = DIRECTIONS[self.direction]
        root = self.root
        label = (f"serial {root.serial} of " if root and root.serial else "") + (
            root.node.lot_number if root else ""
        )
        self.query_one("#trace-progress", Static).update(
            f"{self.direction.capitalize()} from {label} ({what}): {lots} lot(s) shown{cut} — "
            "tap a row to expand or fold it"
        )

    def _cells(self, row: Row, tz: Any) -> tuple[Text, str, Text, str, str]:
        indent = "  " * row.depth
        if row.shipped is not None:
            s = row.shipped
            when = fmt_time(s.shipped_at, tz) if s.shipped_at else ""
            return (
                Text(f"{indent}⇒ {s.shipment_number}", style="bold"),
                s.serial or "",
                Text("SHIPPED"),
                qty(s.quantity, s.unit),
                f"to {s.customer_code} {s.customer_name} {when}".rstrip(),
            )
        node = row.node
        assert node is not None
        more = self._has_more(row)
        mark = "•" if more is False else ("▾" if row.key in self.expanded else "▸")
        status = Text(status_text(node.status, node.held), style="bold red" if node.held else "")
        link = row.link
        used = ""
        if link is not None:
            serials = " ".join(x for x in (link.parent_serial, link.child_serial) if x)
            used = f"{qty(link.quantity, link.unit)}" + (f" ({serials})" if serials else "")
        origin = (
            f"from {node.supplier} lot {node.supplier_lot}" if node.supplier else node.description
        )
        detail = origin + (f" · exp {node.expiry_date:%Y-%m-%d}" if node.expiry_date else "")
        return (
            Text(f"{indent}{mark} {node.lot_number}", style="bold"),
            node.item_number,
            status,
            used or f"{qty(node.quantity, node.unit)}",
            detail,
        )

    @on(DataTable.RowSelected, "#trace-tree")
    def tapped(self, event: DataTable.RowSelected) -> None:
        """One tap: select the row and expand it (or fold it when open)."""
        row = next((r for r in self.rows if r.key == event.row_key.value), None)
        self.selected = row
        lot_row = row is not None and row.node is not None
        self.query_one("#tr-open", Button).disabled = not lot_row or self.open_lot is None
        self.query_one("#tr-here", Button).disabled = not lot_row
        if row is None or row.node is None:
            return
        if row.key in self.expanded:
            self.expanded.discard(row.key)
            self._draw()
        elif row.node.lot_id in self.links_of:
            self.expanded.add(row.key)
            self._draw()
        else:
            self._load([row.node.lot_id], then=lambda: self._expand(row.key))

    def _expand(self, key: str) -> None:
        self.expanded.add(key)
        self._draw()

    def _load(self, lots: list[int], then: Callable[[], None]) -> None:
        who = actor(self)
        if who is None or self.root is None:
            return
        asked, direction = tuple(lots), self.direction

        def loaded(level: TraceLevel) -> None:
            self._merge(asked, level)
            then()

        call_backend(
            self, lambda: self.backend.trace_level(who, asked, direction), loaded,
            failed=self._refused, group="level",
        )  # fmt: skip

    # -- expand all (level by level, each in a worker) ---------------------------------------

    @on(Button.Pressed, "#tr-all")
    def expand_all(self) -> None:
        if self.root is None:
            return
        self.walking, self.levels = True, 0
        self.query_one("#tr-stop").display = True
        self.query_one("#tr-all", Button).disabled = True
        self._next_level()

    def _frontier(self) -> list[int]:
        """Lots reached but whose next level is not loaded yet (each once)."""
        if self.root is None:
            return []
        seen, todo, frontier = set(), [self.root.node.lot_id], []
        while todo:
            lot = todo.pop()
            if lot in seen:
                continue
            seen.add(lot)
            if lot not in self.links_of:
                frontier.append(lot)
            else:
                todo.extend(link.node.lot_id for link in self.links_of[lot])
        return frontier

    def _next_level(self) -> None:
        frontier = self._frontier()
        if not self.walking or not frontier:
            self._walked()
            return
        self.levels += 1
        known = len(self.links_of)
        self.query_one("#trace-progress", Static).update(
            f"Loading level {self.levels + 1}: {len(frontier)} lot(s) to look at, "
            f"{known} loaded so far… (Stop to keep what is shown)"
        )
        self._load(frontier, then=self._next_level)

    def _walked(self) -> None:
        stopped = self.walking is False
        self.walking = False
        self.query_one("#tr-stop").display = False
        self.query_one("#tr-all", Button).disabled = False
        self.expanded = {r.key for r in self._all_rows()}
        self._draw()
        if stopped:
            say(self.query_one("#tr-message", Static), "Stopped: the rest is not loaded.", "why")

    def _all_rows(self) -> list[Row]:
        """Every row with every loaded node expanded (for Expand all)."""
        self.expanded = {"0"}
        rows = self._walk()
        while True:
            more = [r.key for r in rows if r.node is not None and r.key not in self.expanded
                    and r.node.lot_id in self.links_of]  # fmt: skip
            if not more or len(rows) >= MAX_ROWS:
                return rows
            self.expanded.update(more)
            rows = self._walk()

    @on(Button.Pressed, "#tr-stop")
    def stop(self) -> None:
        self.walking = False
        self.workers.cancel_group(self, "level")
        self._walked()

    # -- jump --------------------------------------------------------------------------------

    @on(Button.Pressed, "#tr-open")
    def open_selected(self) -> None:
        row = self.selected
        if row is not None and row.node is not None and self.open_lot is not None:
            self.app.push_screen(self.open_lot(row.node.lot_number))

    @on(Button.Pressed, "#tr-here")
    def trace_here(self) -> None:
        row = self.selected
        if row is not None and row.node is not None:
            self.query_one("#tr-find", Input).value = row.node.lot_number
            self.start()

    def _refused(self, error: WorkCellError) -> None:
        self.walking = False
        refusal(self.query_one("#tr-message", Static), error)
