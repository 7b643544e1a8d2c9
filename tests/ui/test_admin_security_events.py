"""Security events screen: live list, signed acknowledgement, refusals."""

from __future__ import annotations

import pytest

from domain.errors import AuthenticationFailed
from domain.services import identity, security
from screens.modals.signature import SignatureModal
from screens.security_events import SecurityEventsScreen
from tests.identity_helpers import POLICY
from tests.ui.admin_helpers import admin_backend, click
from tests.ui.conftest import screen_text, sign_in, tap_and_pin, until


def _wrong_pin(session_factory, person) -> int:
    """A failed sign-in by ``person``; returns the id of the security event it recorded."""
    wrong = "1357913579"[: len(person.pin)]
    with pytest.raises(AuthenticationFailed):
        identity.authenticate(session_factory, person.creds(wrong), station="pytest", policy=POLICY)
    with session_factory() as session:
        from sqlalchemy import text

        return int(
            session.execute(
                text(
                    "SELECT e.id FROM workcell.security_event e JOIN workcell.users u"
                    " ON u.id = e.user_id WHERE u.username = :u ORDER BY e.id DESC LIMIT 1"
                ),
                {"u": person.username},
            ).scalar_one()
        )


def _select(screen: SecurityEventsScreen, event_id: int) -> None:
    table = screen.query_one("#sec-table")
    table.move_cursor(row=table.get_row_index(str(event_id)))


async def test_supervisor_acknowledges_a_failed_sign_in_with_a_signature(
    make_station, person, session_factory, make_uow
):
    """A wrong PIN shows up; the supervisor signs it acknowledged; it leaves the open list."""
    sam, olivia = person("supervisor"), person("operator")
    event_id = _wrong_pin(session_factory, olivia)
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(pilot, station, sam)
        screen = SecurityEventsScreen(admin_backend(station))
        app.push_screen(screen)
        await until(pilot, lambda: any(e.id == event_id for e in screen.rows), "the event")
        assert "Wrong PIN" in screen_text(app) or screen.rows
        _select(screen, event_id)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, SignatureModal), "the signature dialog")
        await tap_and_pin(pilot, station, sam, sam.pin)
        await until(pilot, lambda: app.screen is screen, "back on the list")
        await until(pilot, lambda: all(e.id != event_id for e in screen.rows), "gone from open")
    with make_uow(sam.username) as uow:
        events = security.list_security_events(uow, user=olivia.username)
    acked = next(e for e in events if e.id == event_id)
    assert acked.acknowledged_by == sam.printed_name


async def test_the_person_an_event_is_about_cannot_acknowledge_it(
    make_station, person, session_factory
):
    """Segregation of duties: a supervisor cannot sign off their own failed sign-in."""
    sam = person("supervisor")
    event_id = _wrong_pin(session_factory, sam)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, sam)
        screen = SecurityEventsScreen(admin_backend(station))
        app.push_screen(screen)
        await until(pilot, lambda: any(e.id == event_id for e in screen.rows), "the event")
        _select(screen, event_id)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, SignatureModal), "the signature dialog")
        await tap_and_pin(pilot, station, sam, sam.pin)
        await until(pilot, lambda: "cannot also sign" in screen_text(app), "the refusal")
        assert isinstance(app.screen, SignatureModal)


async def test_operator_opening_security_events_is_refused(make_station, person):
    """An operator has no security.view: the screen refuses and lists nothing."""
    olivia = person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        screen = SecurityEventsScreen(admin_backend(station))
        app.push_screen(screen)
        await until(pilot, lambda: "Not allowed" in screen_text(app), "the refusal")
        assert screen.rows == []


async def test_the_list_refreshes_itself_without_overlapping_polls(
    make_station, person, session_factory
):
    """A new event appears on its own; the next poll is only armed after one finishes."""
    quinn, olivia = person("qa"), person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, quinn)
        screen = SecurityEventsScreen(admin_backend(station), refresh_s=0.2)
        app.push_screen(screen)
        await until(pilot, lambda: screen._timer is not None, "the first poll done")
        event_id = _wrong_pin(session_factory, olivia)
        await until(pilot, lambda: any(e.id == event_id for e in screen.rows), "the new event")
        assert len(app.workers._workers) <= 3  # no pile-up of pollers


async def test_supervisor_home_screen_counts_open_events_and_opens_the_list(
    make_station, person, session_factory
):
    """A supervisor's home shows the events awaiting acknowledgement; a tap opens the list."""
    sam, olivia = person("supervisor"), person("operator")
    _wrong_pin(session_factory, olivia)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, sam)
        panel = app.screen.query_one("#security-panel")
        await until(pilot, lambda: panel.open_events > 0, "the count")
        assert "to acknowledge" in str(panel.label)
        await click(pilot, "#security-panel")
        await until(pilot, lambda: isinstance(app.screen, SecurityEventsScreen), "the list")


async def test_operator_home_screen_has_no_security_panel(make_station, person):
    """Operators see neither the security tile nor the panel."""
    olivia = person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        assert not app.screen.query("#security-panel")
        assert not app.screen.query("#tile-security")


async def test_cursor_stays_on_the_same_event_when_new_ones_arrive(
    make_station, person, session_factory
):
    """A refresh that adds events on top keeps the cursor on the event being looked at."""
    quinn, olivia, oscar = person("qa"), person("operator"), person("operator")
    first = _wrong_pin(session_factory, olivia)
    _wrong_pin(session_factory, oscar)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, quinn)
        screen = SecurityEventsScreen(admin_backend(station), refresh_s=0.2)
        app.push_screen(screen)
        await until(pilot, lambda: any(e.id == first for e in screen.rows), "the events")
        _select(screen, first)
        newest = _wrong_pin(session_factory, oscar)
        await until(pilot, lambda: any(e.id == newest for e in screen.rows), "the new event")
        await pilot.pause(0.1)
        assert screen.selected().id == first
