"""Account review screen: people with last sign-in and DORMANT, the dormant-only view, an
administrator's signed dormancy decision (reason, then badge + PIN), the reader-test view
with OVERDUE; a supervisor sees but is offered no change; an operator is refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kiosk.review_backend import ReviewStationBackend
from screens.admin.account_review import AccountReviewScreen
from screens.admin.forms import ReasonModal
from tests.identity_helpers import dormant_person
from tests.ui.admin_helpers import click, confirm_as
from tests.ui.conftest import Station, screen_text, sign_in, until

pytestmark = pytest.mark.requirement("11.300(b)", "11.300(e)")


def _screen(station: Station) -> AccountReviewScreen:
    backend = ReviewStationBackend(
        station.backend.session_factory, station.settings.name, station.backend.sessions
    )
    return AccountReviewScreen(backend)


def _status(database, username: str) -> str:
    with database.connect("admin") as conn:
        row = conn.execute(
            "SELECT status FROM workcell.users WHERE username = %s", (username,)
        ).fetchone()
    assert row is not None
    return str(row[0])


def _save(app, path: Path) -> None:
    """The screen as SVG and PNG (rsvg-convert), to look at."""
    app.save_screenshot(path.name, str(path.parent))
    subprocess.run(["rsvg-convert", "-o", str(path.with_suffix(".png")), str(path)], check=False)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_admin_disables_the_dormant_accounts_by_a_signed_decision(
    make_station, person, database, session_factory, tmp_path, size
):
    """A dormant person is listed DORMANT (never signed in); *Dormant only* lists them; the
    administrator's reason and badge + PIN disable every dormant account listed."""
    ida = person("admin")
    old = dormant_person(database, session_factory)
    station = make_station()
    app = station.app
    async with app.run_test(size=size) as pilot:
        await sign_in(pilot, station, ida)
        screen = _screen(station)
        app.push_screen(screen)
        await until(pilot, lambda: screen.review is not None, "the review")
        table = screen.query_one("#ar-table")
        assert str(table.get_row(old.username)[1]) == "DORMANT"
        assert str(table.get_row(old.username)[3]) == "never"
        assert "dormant" in screen_text(app)
        await click(pilot, "#ar-dormant")
        await until(pilot, lambda: screen.shown_view == "dormant", "the dormant view")
        assert table.get_row_index(old.username) >= 0
        assert ida.username not in {str(r.value) for r in table.rows}
        _save(app, tmp_path / f"account_review_{size[0]}x{size[1]}.svg")
        await click(pilot, "#ar-disable")
        await until(pilot, lambda: isinstance(app.screen, ReasonModal), "the reason dialog")
        await click(pilot, "#preset-0")
        await confirm_as(pilot, station, ida)
        await until(pilot, lambda: _status(database, old.username) == "disabled", "disabled")
        await until(
            pilot,
            lambda: (
                screen.review is not None
                and all(not p.dormant for p in screen.review.people if p.username == old.username)
            ),
            "the refreshed list",
        )


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_the_reader_view_shows_overdue_stations(make_station, person, tmp_path, size):
    """*Readers* lists every badge station with its last test and OVERDUE when its last
    passed test is older than the interval (or it never passed)."""
    sam = person("supervisor")
    station = make_station()
    app = station.app
    async with app.run_test(size=size) as pilot:
        await sign_in(pilot, station, sam)
        screen = _screen(station)
        app.push_screen(screen)
        await until(pilot, lambda: screen.review is not None, "the review")
        assert not screen.query_one("#ar-disable").display  # offered to administrators only
        await click(pilot, "#ar-readers")
        await until(pilot, lambda: screen.readers is not None, "the readers")
        readers = screen.readers
        assert readers is not None and readers.stations
        table = screen.query_one("#ar-table")
        for r in readers.stations:
            assert str(table.get_row(r.station)[1]) == ("OVERDUE" if r.overdue else "ok")
        assert "overdue" in screen_text(app)
        _save(app, tmp_path / f"account_readers_{size[0]}x{size[1]}.svg")


async def test_an_operator_is_refused_the_screen(make_station, person):
    """The screen refuses on its own and shows nobody."""
    olivia = person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        screen = _screen(station)
        app.push_screen(screen)
        await until(pilot, lambda: "Not allowed" in screen_text(app), "the refusal")
        assert screen.review is None


async def test_a_supervisor_tests_this_stations_reader_with_their_badge(
    make_station, person, database, tmp_path
):
    """*Test reader* (readers view, reader.test): the supervisor taps their badge on this
    station's reader and enters their PIN; a pass is recorded with the reader's name and
    the station is no longer overdue."""
    sam = person("supervisor")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, sam)
        screen = _screen(station)
        app.push_screen(screen)
        await until(pilot, lambda: screen.review is not None, "the review")
        assert not screen.query_one("#ar-test").display  # on the readers view only
        await click(pilot, "#ar-readers")
        await until(pilot, lambda: screen.readers is not None, "the readers")
        await click(pilot, "#ar-test")
        await until(pilot, lambda: "READER TEST" in screen_text(app), "the test dialog")
        _save(app, tmp_path / "reader_test_dialog_80x24.svg")
        await confirm_as(pilot, station, sam)
        await until(
            pilot,
            lambda: (
                screen.readers is not None
                and any(r.last_result == "pass" and not r.overdue for r in screen.readers.stations)
            ),
            "the pass on the list",
        )
        _save(app, tmp_path / "reader_test_done_80x24.svg")
    with database.connect("admin") as conn:
        row = conn.execute(
            "SELECT rt.reader, rt.result, u.username FROM workcell.reader_test rt"
            " JOIN workcell.users u ON u.id = rt.tested_by ORDER BY rt.id DESC LIMIT 1"
        ).fetchone()
    assert row == (station.reader.name, "pass", sam.username)
