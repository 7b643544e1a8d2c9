"""Main screens kept installed (screen switching speed) and never shown to the next person."""

from __future__ import annotations

from textual.widgets import Input

from screens.home import HomeScreen
from screens.item_new import NewItemScreen
from screens.items import ItemsScreen
from screens.modals.confirm import ConfirmModal
from screens.sign_in import SignInScreen
from screens.widgets.keyboard import KeyboardModal
from tests.ui.conftest import sign_in, tap, tap_and_pin, until


async def _open_items(pilot, app) -> ItemsScreen:
    await tap(pilot, "#tile-items")
    await until(pilot, lambda: isinstance(app.screen, ItemsScreen), "the items list")
    return app.screen


async def _type(pilot, app, field: str, text: str, back_to: type) -> None:
    await tap(pilot, field)
    await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "the keyboard")
    await pilot.press(*text, "enter")
    await until(pilot, lambda: isinstance(app.screen, back_to), "back on the screen")


async def _back_home(pilot, app) -> None:
    await tap(pilot, "#nav-back")
    await until(pilot, lambda: isinstance(app.screen, HomeScreen), "home")


async def test_a_main_screen_is_kept_and_shown_again_with_fresh_data(make_station, person):
    """The items list opened twice from home is the same screen, reloaded on showing."""
    erin = person("engineer")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        first = await _open_items(pilot, app)
        await until(pilot, lambda: "item" in str(first.query_one("#items-count").render()), "n")
        loads = []
        first.load = lambda: loads.append(1)  # type: ignore[method-assign]
        await _back_home(pilot, app)
        again = await _open_items(pilot, app)
        assert again is first
        assert loads == [1]


async def test_a_kept_screen_never_reaches_the_next_person(make_station, person):
    """Erin's kept items list (with her search) is gone when Olivia takes the station over."""
    erin, olivia = person("engineer"), person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        erins = await _open_items(pilot, app)
        await _type(pilot, app, "#items-search", "ERIN-SEARCH", ItemsScreen)
        await _back_home(pilot, app)
        app.lock()
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the lock")
        await tap_and_pin(pilot, station, olivia, olivia.pin)
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "Olivia's home")
        await until(pilot, lambda: not erins.is_attached, "Erin's screen removed")
        assert not app.is_screen_installed(erins)
        olivias = await _open_items(pilot, app)
        assert olivias is not erins
        assert olivias.query_one("#items-search", Input).value == ""


async def test_signing_out_drops_the_kept_screens(make_station, person):
    """After a sign-out, the same person signing in again gets newly built screens."""
    erin = person("engineer")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        before = await _open_items(pilot, app)
        await _back_home(pilot, app)
        await tap(pilot, "#nav-sign-out")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "sign-out question")
        await tap(pilot, "#confirm")
        await sign_in(pilot, station, erin)
        after = await _open_items(pilot, app)
        assert after is not before and not before.is_attached


async def test_a_kept_form_starts_empty_after_its_input_was_discarded(make_station, person):
    """New item: typed, Back, "Discard" — the next opening shows an empty form."""
    erin = person("engineer")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        await tap(pilot, "#tile-item-new")
        await until(pilot, lambda: isinstance(app.screen, NewItemScreen), "the form")
        form = app.screen
        await _type(pilot, app, "#item_number", "WID-55", NewItemScreen)
        await tap(pilot, "#nav-back")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "discard question")
        await tap(pilot, "#confirm")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "home")
        await tap(pilot, "#tile-item-new")
        await until(pilot, lambda: app.screen is form, "the kept form")
        assert form.query_one("#item_number", Input).value == ""
