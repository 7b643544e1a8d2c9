"""Layouts that fit at 80x24 and use the width at 160x48: content-sized columns with an
ellipsis, names instead of internal ids, visible filter fields, readable role boxes."""

from __future__ import annotations

import pytest

from domain.audit.query import AuditFilter
from domain.services import items
from screens.admin.forms import AddUserModal
from screens.audit.browser import AuditBrowserScreen
from screens.audit.filters import AuditFilterModal
from screens.item_detail import ItemDetailScreen
from screens.items import ItemsScreen
from tests.conftest import unique
from tests.ui.admin_helpers import users_screen
from tests.ui.audit_helpers import audit_backend, item_with_history
from tests.ui.conftest import sign_in, until

SIZES = [(80, 24), (160, 48)]


@pytest.mark.parametrize("size", SIZES)
async def test_audit_rows_name_the_item_and_filter_by_its_number(
    make_station, person, make_uow, size
):
    """The audit trail shows "item <number>", never "item <id>", and a record filter
    given as the item number finds that item's entries."""
    quinn, erin = person("qa"), person("engineer")
    record = item_with_history(make_uow, erin.username, 2)
    station = make_station()
    app = station.app
    async with app.run_test(size=size) as pilot:
        await sign_in(pilot, station, quinn)
        flt = AuditFilter(table="item", record=record.item_number)
        screen = AuditBrowserScreen(audit_backend(station), flt)
        app.push_screen(screen)
        await until(pilot, lambda: screen.page is not None and screen.page.rows, "rows")
        assert {r.record_key for r in screen.page.rows} == {str(record.item_id)}
        await until(pilot, lambda: screen.labels, "the names")
        table = screen.query_one("#audit-table")
        shown = str(table.get_row_at(0)[3])
        assert shown.startswith("item ") and record.item_number[:10] in shown
        assert f"item {record.item_id}" not in shown


@pytest.mark.parametrize("size", SIZES)
async def test_audit_filter_fields_show_what_was_typed(make_station, person, size):
    """Each filter field has room for its text (it used to show only its top border)."""
    quinn = person("qa")
    station = make_station()
    app = station.app
    async with app.run_test(size=size) as pilot:
        await sign_in(pilot, station, quinn)
        app.push_screen(AuditFilterModal(AuditFilter(table="item", user="erin.eng")))
        await until(pilot, lambda: isinstance(app.screen, AuditFilterModal), "the filter")
        await until(pilot, lambda: app.screen.query_one("#flt-user").region.height, "laid out")
        for name in ("table", "record", "user", "station", "since", "until", "text"):
            field = app.screen.query_one(f"#flt-{name}")
            assert field.content_region.height >= 1, name
            assert field.region.bottom <= size[1], name
        assert app.screen.query_one("#flt-user").value == "erin.eng"
        if size[1] >= 40:
            assert app.screen.query_one("#flt-user").region.height >= 3  # a touch target


@pytest.mark.parametrize("size", SIZES)
async def test_a_long_description_does_not_push_columns_off_screen(
    make_station, person, make_uow, size
):
    """A 460-character description ends in an ellipsis; every column stays on screen."""
    erin = person("engineer")
    number = unique("LONG-").upper()
    with make_uow(erin.username) as uow:
        items.create_item(uow, items.NewItem(number, "Very long text " * 30, "component", "ea"))
        uow.commit()
    station = make_station()
    app = station.app
    async with app.run_test(size=size) as pilot:
        await sign_in(pilot, station, erin)
        backend = station.backend
        app.push_screen(ItemsScreen(backend, lambda n: ItemDetailScreen(backend, n), search=number))
        await until(pilot, lambda: app.screen.query_one("#items-table").row_count == 1, "rows")
        table = app.screen.query_one("#items-table")
        total = sum(c.get_render_width(table) for c in table.columns.values())
        assert total <= size[0] - 2
        assert table.columns[next(iter(table.columns))].width > (40 if size[0] > 100 else 20)


@pytest.mark.parametrize("size", SIZES)
async def test_role_checkboxes_are_readable(make_station, person, size):
    """Add user's role boxes show each role name whole ("supervisor", not "sup…")."""
    ada = person("admin")
    station = make_station()
    app = station.app
    async with app.run_test(size=size) as pilot:
        await sign_in(pilot, station, ada)
        app.push_screen(users_screen(station))
        await until(pilot, lambda: app.screen.query("#users-add"), "users")
        app.push_screen(AddUserModal(station_roles()))
        await until(pilot, lambda: app.screen.query("#role-supervisor"), "the form")
        await until(pilot, lambda: app.screen.query_one("#role-supervisor").region.width, "laid")
        for role in station_roles():
            box = app.screen.query_one(f"#role-{role}")
            assert box.content_region.width >= len(role) + 3, role  # the box and the name


def station_roles() -> tuple[str, ...]:
    return ("operator", "supervisor", "qa", "engineer", "admin", "auditor")
