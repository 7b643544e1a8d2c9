"""Helpers for the admin and security-event Pilot tests: the screens on a real backend."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from kiosk.admin_backend import AdminStationBackend
from screens.admin.user_detail import UserDetailScreen
from screens.admin.users import UsersScreen
from screens.stages import at_stage
from tests.identity_helpers import Person
from tests.ui.conftest import Station, screen_text, settle, tap, until


def admin_backend(station: Station) -> AdminStationBackend:
    return AdminStationBackend(
        station.backend.session_factory, station.settings, sessions=station.backend.sessions
    )


async def open_user(pilot: Pilot[Any], station: Station, username: str) -> UserDetailScreen:
    """Open the user's detail screen and wait until it shows them."""
    backend = admin_backend(station)
    screen = UserDetailScreen(backend, username)
    station.app.push_screen(screen)
    await until(pilot, lambda: screen.card is not None, f"{username}'s card")
    return screen


def users_screen(station: Station) -> UsersScreen:
    backend = admin_backend(station)
    return UsersScreen(backend, lambda name: UserDetailScreen(backend, name))


async def confirm_as(
    pilot: Pilot[Any], station: Station, who: Person, pin: str | None = None
) -> None:
    """In the re-authentication dialog: tap ``who``'s badge, type the PIN, OK."""
    app = station.app
    await until(pilot, lambda: "Confirm:" in screen_text(app), "the re-authentication dialog")
    assert who.badge_uid is not None
    station.reader.tap(who.badge_uid)
    await until(pilot, lambda: at_stage(app.screen, "-pin"), "the PIN prompt")
    await pilot.press(*(pin or who.pin), "enter")


async def click(pilot: Pilot[Any], selector: str) -> None:
    """Click once the widget is laid out where it will be (a fresh dialog moves for a frame)."""
    await settle(pilot)
    await tap(pilot, selector)
