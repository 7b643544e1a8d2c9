"""Stations screen: the registry with each station's state; an administrator disables,
enables and clears with a reason; a supervisor sees but is offered no change."""

from __future__ import annotations

from kiosk import dbadmin
from kiosk.station_backend import StationsStationBackend
from screens.admin.forms import ReasonModal
from screens.admin.stations import StationsScreen
from tests.conftest import unique
from tests.ui.admin_helpers import click
from tests.ui.conftest import Station, screen_text, sign_in, until


def _screen(station: Station) -> StationsScreen:
    backend = StationsStationBackend(
        station.backend.session_factory, sessions=station.backend.sessions
    )
    return StationsScreen(backend)


def _row_of(screen: StationsScreen, name: str):
    return next(r for r in screen.rows if r.name == name)


async def test_admin_disables_and_enables_a_station_with_a_reason(
    make_station, person, database, admin
):
    """Disable asks for a reason first, then the list shows DISABLED; Enable brings it back."""
    other = unique("station_ui_")
    dbadmin.add_station(database.admin, other, name=other)
    ida = person("admin")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ida)
        screen = _screen(station)
        app.push_screen(screen)
        await until(pilot, lambda: any(r.name == other for r in screen.rows), "the new station")
        table = screen.query_one("#st-table")
        table.move_cursor(row=table.get_row_index(other))
        await click(pilot, "#st-disable")
        await until(pilot, lambda: isinstance(app.screen, ReasonModal), "the reason dialog")
        await click(pilot, "#preset-0")
        await until(pilot, lambda: not _row_of(screen, other).enabled, "disabled")
        assert str(table.get_row(other)[1]) == "DISABLED"
        table.move_cursor(row=table.get_row_index(other))
        await click(pilot, "#st-enable")
        await until(pilot, lambda: isinstance(app.screen, ReasonModal), "the reason dialog")
        await click(pilot, "#preset-1")
        await until(pilot, lambda: _row_of(screen, other).enabled, "enabled again")


async def test_a_supervisor_sees_stations_but_is_offered_no_change(make_station, person):
    """Only what the person may do is offered: no Disable/Enable/Clear for a supervisor."""
    sam = person("supervisor")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, sam)
        screen = _screen(station)
        app.push_screen(screen)
        await until(pilot, lambda: bool(screen.rows), "the stations")
        assert not screen.query_one("#st-disable").display
        assert not screen.query_one("#st-clear").display


async def test_an_operator_is_refused_the_screen(make_station, person):
    """The screen refuses on its own and shows no station."""
    olivia = person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        screen = _screen(station)
        app.push_screen(screen)
        await until(pilot, lambda: "Not allowed" in screen_text(app), "the refusal")
        assert not screen.rows
