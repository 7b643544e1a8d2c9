"""One tap on a TapTable is one selection: a tap on a row not highlighted selects it (not
merely highlights it), and a tap is never taken twice — TapTable once called DataTable's
click handler itself, which Textual calls anyway (it walks the class hierarchy), so every tap
posted two RowSelected and a list opened its record twice."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from screens.widgets.tap_table import TapTable


class _Lab(App[None]):
    def __init__(self, cursor: str) -> None:
        super().__init__()
        self.cursor = cursor
        self.selected: list[tuple[int, int]] = []

    def compose(self) -> ComposeResult:
        table = TapTable(id="t", cursor_type=self.cursor)  # type: ignore[arg-type]
        table.add_columns("A", "B", "C")
        for n in range(5):
            table.add_row(f"a{n}", f"b{n}", f"c{n}", key=str(n))
        yield table

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.selected.append((event.cursor_row, 0))

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        self.selected.append(tuple(event.coordinate))  # type: ignore[arg-type]


@pytest.mark.parametrize(("cursor", "expected"), [("row", (3, 0)), ("cell", (3, 1))])
async def test_one_tap_is_one_selection(cursor: str, expected: tuple[int, int]) -> None:
    app = _Lab(cursor)
    async with app.run_test(size=(40, 10)) as pilot:
        table: Any = app.query_one("#t", TapTable)
        x = table.ordered_columns[0].get_render_width(table) + 1
        assert await pilot.click("#t", offset=(x, table.header_height + 3))
        await pilot.pause()
        assert app.selected == [expected]
        # the same cell again: one more selection, not two
        assert await pilot.click("#t", offset=(x, table.header_height + 3))
        await pilot.pause()
        assert app.selected == [expected, expected]
