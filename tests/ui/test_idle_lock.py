"""Idle lock, unlock with input kept, and another person taking over (drafts parked)."""

from __future__ import annotations

import time
from dataclasses import replace

from textual.widgets import Input

from domain.services import drafts
from screens.home import HomeScreen
from screens.item_new import NewItemScreen
from screens.modals.confirm import ConfirmModal
from screens.modals.drafts import DraftOfferModal
from screens.sign_in import SignInScreen
from screens.stages import at_stage
from screens.widgets.keyboard import KeyboardModal
from tests.ui.conftest import focused, sign_in, tap, tap_and_pin, until


async def _type_new_item(pilot, app, number: str, description: str) -> None:
    await tap(pilot, "#tile-item-new")
    await until(pilot, lambda: isinstance(app.screen, NewItemScreen), "the new-item form")
    for field, text in (("#item_number", number), ("#description", description)):
        # a tap opens the on-screen keyboard; a physical keyboard types into it too
        await tap(pilot, field)
        await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "the keyboard")
        await focused(pilot, "kb-text")
        await pilot.press(*text, "enter")
        await until(pilot, lambda: isinstance(app.screen, NewItemScreen), "back on the form")
    await tap(pilot, "#key-3")
    await tap(pilot, "#key-0")
    await until(pilot, lambda: app.screen.query_one("#shelf_life").value == "30", "30 keyed")


def _typed(app) -> tuple[str, str, str]:
    screen = app.screen
    return (
        screen.query_one("#item_number", Input).value,
        screen.query_one("#description", Input).value,
        screen.query_one("#shelf_life").value,
    )


def _home_of(app, who) -> bool:
    """The home screen on top, and it is ``who``'s (the previous person's screens close
    first, in the same step)."""
    user = app.current_user
    return isinstance(app.screen, HomeScreen) and user is not None and user.username == who.username


async def test_idle_lock_then_same_person_unlocks_with_input_intact(make_station, person):
    """After the idle timeout the station locks; the same badge + PIN unlocks, input kept."""
    erin = person("engineer")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        await _type_new_item(pilot, app, "WID-9", "Half typed")
        # Pilot clicks reach the screen directly, not through the app's activity hook, so
        # the short timeout starts after the typing (a real terminal's clicks do count).
        app.settings = replace(app.settings, idle_timeout_s=1)
        app.last_activity = time.monotonic()
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the idle lock")
        assert app.screen.locked_for is not None
        await tap_and_pin(pilot, station, erin, erin.pin)
        await until(pilot, lambda: isinstance(app.screen, NewItemScreen), "unlocked")
        assert _typed(app) == ("WID-9", "Half typed", "30")
        assert app.current_user.username == erin.username


async def test_another_person_parks_the_input_which_is_offered_back(make_station, person, make_uow):
    """Olivia signing in on Erin's lock parks Erin's input; Erin resumes it at next sign-in."""
    erin, olivia = person("engineer"), person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        await _type_new_item(pilot, app, "WID-7", "Parked text")
        app.lock()
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the lock")
        await tap_and_pin(pilot, station, olivia, olivia.pin)
        await until(pilot, lambda: _home_of(app, olivia), "Olivia's home")
        assert app.current_user.username == olivia.username
        assert not any(isinstance(s, NewItemScreen) for s in app.screen_stack)
        with make_uow(erin.username) as uow:
            parked = drafts.parked_drafts(uow, erin.username, station.settings.name)
        assert [d.payload["item_number"] for d in parked] == ["WID-7"]

        app.lock()
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the lock")
        await tap_and_pin(pilot, station, erin, erin.pin)
        await until(pilot, lambda: isinstance(app.screen, DraftOfferModal), "the draft offer")
        await tap(pilot, "#draft-resume")
        await until(pilot, lambda: isinstance(app.screen, NewItemScreen), "the resumed form")
        # the form fills its fields as it mounts: wait for them, not for the screen only
        await until(pilot, lambda: _typed(app) == ("WID-7", "Parked text", "30"), "the input")
    with make_uow(erin.username) as uow:
        assert drafts.parked_drafts(uow, erin.username, station.settings.name) == []


async def test_discarding_a_parked_draft_asks_first_and_is_audited(
    make_station, person, make_uow, database
):
    """Discard needs a confirmation; afterwards the draft is gone and the trail says so."""
    erin, olivia = person("engineer"), person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        await _type_new_item(pilot, app, "WID-8", "To be dropped")
        app.lock()
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the lock")
        await tap_and_pin(pilot, station, olivia, olivia.pin)
        await until(pilot, lambda: _home_of(app, olivia), "Olivia's home")
        app.lock()
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the lock")
        await tap_and_pin(pilot, station, erin, erin.pin)
        await until(pilot, lambda: isinstance(app.screen, DraftOfferModal), "the draft offer")
        await tap(pilot, "#draft-discard")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the confirmation")
        await tap(pilot, "#confirm")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "home")
        with make_uow(erin.username) as uow:
            await until(
                pilot,
                lambda: not drafts.parked_drafts(uow, erin.username, station.settings.name),
                "the discard",
            )
    with database.connect("admin") as conn:
        row = conn.execute(
            "SELECT actor, reason FROM audit.entry WHERE table_name = 'workcell.kiosk_draft'"
            " AND after->>'status' = 'discarded' AND after->'payload'->>'item_number' = 'WID-8'"
        ).fetchone()
    assert row is not None and row[0] == erin.username and "discarded" in row[1]


async def test_badge_tapped_on_a_signed_in_screen_switches_person_after_the_pin(
    make_station, person
):
    """A tap away from any sign-in locks the station and asks that badge's owner for the PIN."""
    erin, olivia = person("engineer"), person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        station.reader.tap(olivia.badge_uid)
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the lock")
        await until(pilot, lambda: at_stage(app.screen, "-pin"), "the PIN prompt")
        assert app.current_user.username == erin.username  # nothing changes before the PIN
        await pilot.press(*olivia.pin, "enter")
        await until(pilot, lambda: _home_of(app, olivia), "Olivia's home")
        assert app.current_user.username == olivia.username
