"""A DataTable for touch: one tap on any row (or cell, in cell mode) selects it; every cell
is shown as literal text.

Textual's DataTable selects a row only when the tapped row is already highlighted (the first
tap merely moves the cursor). On a touch terminal that reads as "nothing happened", so this
table moves the cursor to the tapped row first; the keyboard keeps Textual's behaviour
(arrows highlight, Enter selects).

DataTable parses a ``str`` cell as Rich markup: a description stored as ``[b]x[/b]`` would
be drawn bold (an audit entry or a comparison showing something other than what is stored)
and ``[red`` raises. Every cell added here is made a `Text` of the stored characters, with the
characters a terminal would obey shown visibly (screens/widgets/printable.py).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets._data_table import CellType, RowKey

from screens.widgets.printable import printable


def literal(cell: object) -> object:
    """``cell`` as drawn literally: text never parsed as markup, controls made visible."""
    if isinstance(cell, Text):
        shown = printable(cell.plain)
        if shown == cell.plain:
            return cell
        return Text(shown, style=cell.style, no_wrap=cell.no_wrap, overflow=cell.overflow)
    if isinstance(cell, str):
        return Text(printable(cell))
    return cell


class TapTable(DataTable[Any]):
    def add_row(
        self,
        *cells: CellType,
        height: int | None = 1,
        key: str | None = None,
        label: str | Text | None = None,
    ) -> RowKey:
        return super().add_row(*(literal(c) for c in cells), height=height, key=key, label=label)

    async def _on_click(self, event: events.Click) -> None:
        # Textual calls every class's _on_click down the MRO (this one first): moving the
        # cursor here makes DataTable's own handler, which runs next, take the tap as a
        # selection. Calling it from here as well selected twice (two screens pushed).
        meta = event.style.meta
        row, column = meta.get("row"), meta.get("column")
        if not (isinstance(row, int) and isinstance(column, int)) or row < 0 or column < 0:
            return  # header, row label or outside the cells: Textual's own handling
        moved = (
            row != self.cursor_coordinate.row
            if self.cursor_type == "row"
            else Coordinate(row, column) != self.cursor_coordinate
        )
        if moved and self.cursor_type in ("row", "cell"):
            self.cursor_coordinate = Coordinate(row, column)
