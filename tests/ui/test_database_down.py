"""The database going away mid-entry: a banner, the typed input kept, never a traceback."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from domain.db import make_engine, make_session_factory
from domain.models.items import ITEM_TYPES, UNITS
from domain.services import items
from screens.home import HomeScreen
from screens.item_new import NewItemScreen
from screens.sign_in import SignInScreen
from screens.widgets import Banner
from screens.widgets.choice import ChoiceModal
from tests.conftest import unique
from tests.ui.conftest import sign_in, tap, tap_and_pin, until

# Nothing listens on port 1: connecting fails at once, as when the server is down.
UNREACHABLE = "postgresql+psycopg://station_pytest@127.0.0.1:1/workcell"


@pytest.fixture
def dead_factory():
    engine = make_engine(UNREACHABLE)
    yield make_session_factory(engine)
    engine.dispose()


async def test_save_while_unreachable_shows_banner_keeps_input_then_saves(
    make_station, person, make_uow, dead_factory
):
    """Save with the database down: banner, input kept; once back, the same Save works."""
    erin = person("engineer")
    number = unique("DB-").upper()
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        await tap(pilot, "#tile-item-new")
        await until(pilot, lambda: isinstance(app.screen, NewItemScreen), "the form")
        form = app.screen
        form.query_one("#item_number", Input).value = number
        form.query_one("#description", Input).value = "Typed before the outage"
        for field, choice, options in (
            ("item_type", "component", ITEM_TYPES),
            ("unit", "ea", UNITS),
        ):  # the touch path: the choice button opens big options
            await tap(pilot, f"#{field}")
            await until(pilot, lambda: isinstance(app.screen, ChoiceModal), "the options")
            await tap(pilot, f"#choice-{options.index(choice)}")
            await until(pilot, lambda f=field, c=choice: form.query_one(f"#{f}").value == c, field)

        live_factory = station.backend.session_factory
        station.backend.session_factory = dead_factory
        await tap(pilot, "#new-save")
        banner = form.query_one(Banner)
        await until(pilot, lambda: "Database unreachable" in banner.message, "the banner")
        assert banner.display and app.screen is form
        assert form.query_one("#item_number", Input).value == number
        assert form.query_one("#description", Input).value == "Typed before the outage"

        station.backend.session_factory = live_factory
        # The banner pushed the form down: let that layout land before tapping Save again,
        # or the tap goes to where the button was.
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.1)
        await tap(pilot, "#new-save")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "saved and back home")
        assert app.screen.query_one(Banner).message == ""
    with make_uow(erin.username) as uow:
        assert items.get_item(uow, number).description == "Typed before the outage"


def _notes(app) -> str:
    return " ".join(n.message for n in app._notifications)


async def test_takeover_while_unreachable_keeps_the_station_locked_for_its_owner(
    make_station, person, dead_factory
):
    """If the first person's input cannot be parked, no one else takes the station over."""
    erin, olivia = person("engineer"), person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        await tap(pilot, "#tile-item-new")
        await until(pilot, lambda: isinstance(app.screen, NewItemScreen), "the form")
        app.screen.query_one("#description", Input).value = "Must not be lost"
        app.lock()
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the lock")
        live_factory, real_park = station.backend.session_factory, station.backend.park

        def park_during_outage(*args):
            # Olivia's PIN was checked with the database up; it goes away right then.
            station.backend.session_factory = dead_factory
            return real_park(*args)

        station.backend.park = park_during_outage
        await tap_and_pin(pilot, station, olivia, olivia.pin)
        await until(pilot, lambda: "could not be kept" in _notes(app), "the refusal")
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "locked again")
        station.backend.session_factory = live_factory
        assert app.current_user.username == erin.username
        kept = next(s for s in app.screen_stack if isinstance(s, NewItemScreen))
        assert kept.query_one("#description", Input).value == "Must not be lost"
