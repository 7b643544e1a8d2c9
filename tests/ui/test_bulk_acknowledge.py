"""Bulk acknowledgement of security events: one badge + PIN signs a selection, all or none."""

from __future__ import annotations

from screens.modals.signature import SignatureModal
from screens.security_events import SecurityEventsScreen
from tests.ui.admin_helpers import admin_backend
from tests.ui.conftest import screen_text, sign_in, tap, tap_and_pin, until
from tests.ui.test_admin_security_events import _wrong_pin


def _acknowledged(make_uow, who, event_ids: set[int]) -> set[int]:
    from domain.services import security

    with make_uow(who.username) as uow:
        events = security.list_security_events(uow, limit=500)
    return {e.id for e in events if e.id in event_ids and e.acknowledged_by is not None}


async def _mark(pilot, screen: SecurityEventsScreen, event_id: int) -> None:
    table = screen.query_one("#sec-table")
    table.move_cursor(row=table.get_row_index(str(event_id)))
    await pilot.press("space")
    await until(pilot, lambda: event_id in screen.marked, f"event {event_id} marked")


async def test_supervisor_acknowledges_several_events_with_one_signature(
    make_station, person, session_factory, make_uow
):
    """Select two events (tap "Select several", then the rows), one badge + PIN: both are
    acknowledged, each with its own signature bound to its content."""
    sam, olivia, otto = person("supervisor"), person("operator"), person("operator")
    ids = {_wrong_pin(session_factory, olivia), _wrong_pin(session_factory, otto)}
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(pilot, station, sam)
        screen = SecurityEventsScreen(admin_backend(station))
        app.push_screen(screen)
        await until(pilot, lambda: ids <= {e.id for e in screen.rows}, "the events")
        await tap(pilot, "#sec-select")
        await until(pilot, lambda: screen.selecting, "selecting")
        for event_id in sorted(ids):
            await _mark(pilot, screen, event_id)
        assert "Acknowledge 2" in str(screen.query_one("#sec-ack").label)
        await tap(pilot, "#sec-ack")
        await until(pilot, lambda: isinstance(app.screen, SignatureModal), "one dialog")
        await until(pilot, lambda: "2 security events" in screen_text(app), "both listed")
        await tap_and_pin(pilot, station, sam, sam.pin)
        await until(pilot, lambda: app.screen is screen, "back on the list")
        await until(pilot, lambda: not (ids & {e.id for e in screen.rows}), "gone from open")
    assert _acknowledged(make_uow, sam, ids) == ids


async def test_a_selection_with_an_event_about_the_signer_signs_nothing(
    make_station, person, session_factory, make_uow
):
    """The rules refuse the supervisor's own failed sign-in; the whole selection stays open."""
    sam, olivia = person("supervisor"), person("operator")
    ids = {_wrong_pin(session_factory, olivia), _wrong_pin(session_factory, sam)}
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, sam)
        screen = SecurityEventsScreen(admin_backend(station))
        app.push_screen(screen)
        await until(pilot, lambda: ids <= {e.id for e in screen.rows}, "the events")
        for event_id in sorted(ids):
            await _mark(pilot, screen, event_id)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, SignatureModal), "the dialog")
        await tap_and_pin(pilot, station, sam, sam.pin)
        await until(pilot, lambda: "refused" in screen_text(app).lower(), "the refusal")
    assert _acknowledged(make_uow, sam, ids) == set()
