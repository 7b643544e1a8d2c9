"""Sign-in at the station: badge tap, PIN on the keypad, and each refusal on screen."""

from __future__ import annotations

from domain.services import identity_admin
from screens.home import HomeScreen
from screens.sign_in import SignInScreen
from screens.stages import at_stage
from screens.widgets import StatusBar
from tests.ui.conftest import screen_text, sign_in, tap, tap_and_pin, until


async def test_badge_and_pin_sign_in_shows_the_person_in_the_header(make_station, person):
    """A badge tap then the right PIN opens home; the header names the person and station."""
    olivia = person("operator")
    station = make_station()
    async with station.app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        assert station.app.current_user is not None
        assert station.app.current_user.username == olivia.username
        header = str(station.app.screen.query_one(StatusBar).render())
        assert olivia.printed_name in header and station.settings.name in header
        assert "2026-11-26 07:30:00 CET" in header  # server time in the site's zone


async def test_the_badge_owner_is_not_named_before_the_pin(make_station, person):
    """After the tap the keypad shows at once, saying only that a badge was read: the
    database names a badge's holder only to the PIN that proves it."""
    olivia = person("operator")
    station = make_station()
    async with station.app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(station.app.screen, SignInScreen), "sign-in")
        station.reader.tap(olivia.badge_uid)
        await until(pilot, lambda: "Badge read" in screen_text(station.app), "badge read")
        await station.app.workers.wait_for_complete()
        assert at_stage(station.app.screen, "-pin")
        assert olivia.printed_name not in screen_text(station.app)


async def test_wrong_pin_is_refused_and_may_be_retried_with_the_same_badge(make_station, person):
    """A wrong PIN says how many tries are left; the right PIN then works without a re-tap."""
    olivia = person("operator")
    station = make_station()
    async with station.app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(station.app.screen, SignInScreen), "sign-in")
        wrong = "1" if olivia.pin[0] != "1" else "2"
        await tap_and_pin(pilot, station, olivia, wrong * 6)
        await until(pilot, lambda: "Wrong PIN" in screen_text(station.app), "the refusal")
        assert "attempts left" in screen_text(station.app)
        assert station.app.current_user is None and at_stage(station.app.screen, "-pin")
        await pilot.press(*olivia.pin, "enter")
        await until(pilot, lambda: isinstance(station.app.screen, HomeScreen), "home")


async def test_locked_person_is_refused(make_station, person, make_uow, admin):
    """A locked account cannot sign in; the screen says an administrator must unlock it."""
    olivia = person("operator")
    with make_uow(admin) as uow:
        identity_admin.lock_user(uow, olivia.username, "left the company (pytest)")
        uow.commit()
    station = make_station()
    async with station.app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(station.app.screen, SignInScreen), "sign-in")
        await tap_and_pin(pilot, station, olivia, olivia.pin)
        await until(pilot, lambda: "locked" in screen_text(station.app), "the refusal")
        assert station.app.current_user is None
        assert isinstance(station.app.screen, SignInScreen)


async def test_revoked_badge_is_refused_with_the_pin(make_station, person, make_uow, admin):
    """A revoked badge is refused once its PIN is entered (the tap alone tells nothing);
    no one is signed in, and the screen waits for a badge again."""
    olivia = person("operator")
    with make_uow(admin) as uow:
        badge = identity_admin.list_badges(uow, olivia.username)[0]
        identity_admin.revoke_badge(uow, badge.id, "reported lost (pytest)")
        uow.commit()
    station = make_station()
    async with station.app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(station.app.screen, SignInScreen), "sign-in")
        await tap_and_pin(pilot, station, olivia, olivia.pin)
        await until(pilot, lambda: "revoked" in screen_text(station.app), "the refusal")
        assert at_stage(station.app.screen, "-waiting")
        assert station.app.current_user is None


async def test_admin_set_pin_must_be_replaced_before_signing_in(make_station, person):
    """A PIN set by an administrator leads to choosing a new PIN twice, then signs in."""
    olivia = person("operator", temporary=True, acknowledged=False)
    station = make_station()
    async with station.app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(station.app.screen, SignInScreen), "sign-in")
        await tap_and_pin(pilot, station, olivia, olivia.pin)
        await until(pilot, lambda: "Choose a new PIN" in screen_text(station.app), "PIN change")
        fresh = "".join(str((int(c) + 3) % 10) for c in olivia.pin)
        await pilot.press(*fresh, "enter")
        await pilot.press(*fresh, "enter")
        await until(pilot, lambda: isinstance(station.app.screen, HomeScreen), "home")


async def test_username_and_pin_only_where_the_station_allows_it(make_station, person):
    """Admin terminals offer username + PIN; floor stations do not show the option."""
    quinn = person("qa")
    floor = make_station()
    async with floor.app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(floor.app.screen, SignInScreen), "sign-in")
        assert not floor.app.screen.query("#use-username")
    terminal = make_station(allow_username_pin=True)
    async with terminal.app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(terminal.app.screen, SignInScreen), "sign-in")
        await tap(pilot, "#use-username")
        await pilot.press(*quinn.username, "enter")
        await pilot.press(*quinn.pin, "enter")
        await until(pilot, lambda: isinstance(terminal.app.screen, HomeScreen), "home")
        assert terminal.app.current_user.username == quinn.username
