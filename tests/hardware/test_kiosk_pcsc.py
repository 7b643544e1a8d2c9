"""End to end through the real PC/SC stack: a virtual card on pcscd signs a person in."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kiosk.app import make_app
from kiosk.backend import KioskBackend
from kiosk.clock import frozen_clock
from screens.home import HomeScreen
from screens.modals.signature import SignatureModal
from screens.sign_in import SignInScreen
from screens.stages import at_stage
from tests.pcsc_fixtures import PCSC_MARKS, READER
from tests.ui.conftest import (  # fixtures shared with the screen tests
    FROZEN,
    admin,
    person,
    screen_text,
    station_settings,
    until,
)

__all__ = ["admin", "person", "station_settings"]

pytestmark = PCSC_MARKS


@pytest.fixture
def pcsc_station(pcscd, session_factory, station_settings):
    from hardware.pcsc import PcscReader

    settings = replace(station_settings, reader="pcsc", reader_filter=READER)
    reader = PcscReader(READER, retry_interval=0.2)
    backend = KioskBackend(session_factory, settings)
    app = make_app(settings, backend, reader=reader, clock=frozen_clock(FROZEN))
    yield app
    reader.stop()


async def test_card_tap_on_pcsc_reader_signs_in_on_the_running_app(
    pcsc_station, virtual_card, person
):
    """A card laid on the vpcd reader brings up the PIN prompt ("Badge read": its holder is
    named only once the PIN proves it); the PIN signs them in."""
    olivia = person("operator")
    app = pcsc_station
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "sign-in")
        virtual_card(olivia.badge_uid)
        await until(pilot, lambda: "Badge read" in screen_text(app), "the card read")
        assert at_stage(app.screen, "-pin")
        await pilot.press(*olivia.pin, "enter")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "home")
        assert app.current_user.username == olivia.username


async def test_card_without_uid_is_refused_on_screen(pcsc_station, virtual_card):
    """A card with no readable UID identifies no one: the station says so and stays put."""
    app = pcsc_station
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "sign-in")
        virtual_card(None)
        await until(
            pilot,
            lambda: any("Card refused" in (n.title or "") for n in app._notifications),
            "the refusal",
        )
        assert at_stage(app.screen, "-waiting") and app.current_user is None
        assert not isinstance(app.screen, SignatureModal)
