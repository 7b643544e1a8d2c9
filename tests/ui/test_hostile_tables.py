"""Stored text in every table is drawn as stored: an item description full of Rich markup,
terminal escapes and bidi overrides, read back in an audit entry's changes, is neither
interpreted as markup nor obeyed by the terminal (DataTable would otherwise parse a ``str``
cell as markup: ``[b]x[/b]`` drawn bold in an audit entry is not what the record holds, and
``[red`` breaks the table); the reason typed for the change is shown, not obeyed, in the
entry's facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.widgets import DataTable

from domain.services import item_approval, items
from domain.views.audit import AuditFilter
from domain.views.items import NewItem
from screens.audit.browser import AuditBrowserScreen
from screens.audit.entry import EntryScreen
from screens.widgets.tap_table import literal
from tests.conftest import unique
from tests.ui.audit_helpers import audit_backend
from tests.ui.conftest import sign_in, until

HOSTILE = "[b]bold[/b] [link=file:///etc/passwd]x[/link] [red \u202eRTL\u202c \x1b[2J"


def _cells(table: DataTable[Any]) -> list[str]:
    """What each cell of ``table`` holds, as the plain text it draws."""
    out: list[str] = []
    for row in range(table.row_count):
        for cell in table.get_row_at(row):
            assert not isinstance(cell, str), "a str cell would be parsed as markup"
            out.append(cell.plain if isinstance(cell, Text) else str(cell))
    return out


def _shown_literally(cells: list[str]) -> bool:
    joined = "\n".join(cells)
    return (
        "[b]bold[/b]" in joined
        and "[link=file:///etc/passwd]" in joined
        and "\x1b" not in joined
        and "␛[2J" in joined
        and "\u202e" not in joined
        and "<U+202E>" in joined
    )


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("[b]x[/b]", "[b]x[/b]"),
        ("a\x1bb", "a␛b"),
        (Text("plain", style="bold"), "plain"),
        (Text("\u202ex", style="bold"), "<U+202E>x"),
        (12, None),
    ],
)
def test_literal_cells(cell: object, shown: str | None) -> None:
    out = literal(cell)
    if shown is None:
        assert out == cell  # numbers and other renderables pass as they are
    else:
        assert isinstance(out, Text) and out.plain == shown
        if isinstance(cell, Text):
            assert out.style == cell.style


async def test_audit_tables_show_a_hostile_description_as_stored(
    make_station: Any, person: Any, make_uow: Any, tmp_path: Path
) -> None:
    quinn, erin = person("qa"), person("engineer")
    number = unique("HOS-").upper()
    with make_uow(erin.username) as uow:
        made = items.create_item(uow, NewItem(number, "Hostile subject", "component", "ea"))
        uow.commit()
    with make_uow(erin.username) as uow:
        item_approval.edit_draft_item(
            uow, number, item_approval.ItemChanges(description=HOSTILE), f"why {HOSTILE}"
        )
        uow.commit()
    station = make_station()
    app = station.app
    backend = audit_backend(station)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, quinn)
        browser = AuditBrowserScreen(backend, AuditFilter(table="item", record=str(made.id)))
        app.push_screen(browser)
        await until(pilot, lambda: browser.page is not None, "the first page")
        update = next(r for r in browser.page.rows if r.operation == "UPDATE")
        entry = EntryScreen(backend, update.id)
        app.push_screen(entry)
        await until(pilot, lambda: entry.view is not None, "the entry")
        changes = entry.query_one("#entry-changes", DataTable)
        await until(pilot, lambda: changes.row_count > 0, "the changes")
        assert _shown_literally(_cells(changes))
        # the reason, as the editor typed it
        facts = entry.query_one("#entry-facts").render()
        plain = facts.plain if isinstance(facts, Text) else str(facts)
        assert _shown_literally([plain]), plain
        app.save_screenshot("hostile-entry.svg", path=str(tmp_path))
        # the screen still works: the keyboard moves between its sections
        await pilot.press("t")
        await pilot.press("c")
        assert app.screen is entry
