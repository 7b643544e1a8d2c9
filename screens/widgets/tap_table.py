"""A DataTable for touch: one tap on any row selects it.

Textual's DataTable selects a row only when the tapped row is already highlighted (the first
tap merely moves the cursor). On a touch terminal that reads as "nothing happened", so this
table moves the cursor to the tapped row first; the keyboard keeps Textual's behaviour
(arrows highlight, Enter selects).
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.coordinate import Coordinate
from textual.widgets import DataTable


class TapTable(DataTable[Any]):
    async def _on_click(self, event: events.Click) -> None:
        meta = event.style.meta
        row, column = meta.get("row"), meta.get("column")
        if not (isinstance(row, int) and isinstance(column, int)) or row < 0 or column < 0:
            pass  # header, row label or outside the cells: Textual's own handling
        elif self.cursor_type == "row" and row != self.cursor_coordinate.row:
            self.cursor_coordinate = Coordinate(row, column)
        await super()._on_click(event)
