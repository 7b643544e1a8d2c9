"""Keyboard-wedge scanners and badge readers: framed scans, timing fallback, plain typing."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from domain.services import items
from hardware.fakes import FakeScanner
from hardware.wedge import GS, WedgeConfig
from kiosk.bridge import wedge_config
from kiosk.settings import ScannerSettings
from screens.home import HomeScreen
from screens.item_new import NewItemScreen
from screens.items import ItemsScreen
from screens.sign_in import SignInScreen
from screens.stages import at_stage
from tests.conftest import TEST_ADMIN, unique
from tests.ui.conftest import focused, sign_in, tap, until

GTIN = "09501101530003"  # GS1's example GTIN (valid check digit)


def _item(make_uow, author: str, gtin: str | None = None) -> str:
    """An item to scan for, made by the test administrator (who may create items)."""
    number = unique("SCAN-").upper()
    with make_uow(TEST_ADMIN) as uow:
        items.create_item(uow, items.NewItem(number, "Scanned part", "component", "ea", gtin=gtin))
        uow.commit()
    return number


async def _items_screen(pilot, app):
    await tap(pilot, "#tile-items")
    await until(pilot, lambda: isinstance(app.screen, ItemsScreen), "the items screen")
    await focused(pilot, "items-search")  # mounted: a scan now lands on the search
    return app.screen


async def test_framed_scan_fills_the_search_and_finds_the_item(make_station, person, make_uow):
    """STX + data + Enter from the scanner searches; none of its keys are typed as text."""
    olivia = person("operator")
    number = _item(make_uow, olivia.username)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        screen = await _items_screen(pilot, app)
        await pilot.press(*FakeScanner(wedge_config(station.settings.scanner)).keys(number))
        table = screen.query_one("#items-table", DataTable)
        await until(pilot, lambda: table.row_count == 1, "the one matching row")
        assert screen.query_one("#items-search", Input).value == number
        assert table.get_row_at(0)[0].plain.startswith(number)


async def test_gs1_scan_with_gs_substitute_finds_the_item_by_gtin(make_station, person, make_uow):
    """A GS1-128 scan whose GS arrives as the substitute '~' is decoded to its GTIN."""
    olivia = person("operator")
    gtin = f"{GTIN[:-4]}{unique('')[:3].translate(str.maketrans('abcdef', '123456'))}"
    gtin = gtin[:13] + _check_digit(gtin[:13])
    number = _item(make_uow, olivia.username, gtin=gtin)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        screen = await _items_screen(pilot, app)
        scanner = FakeScanner(wedge_config(station.settings.scanner))
        await pilot.press(*scanner.keys(f"]C101{gtin}10LOT42{GS}21SN7"))
        table = screen.query_one("#items-table", DataTable)
        await until(pilot, lambda: table.row_count == 1, "the item found by GTIN")
        assert table.get_row_at(0)[0].plain.startswith(number)


def _check_digit(first13: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(first13))
    return str((10 - total % 10) % 10)


async def test_typing_without_framing_is_plain_typing(make_station, person):
    """Keys that are not framed reach the focused field as ordinary typing."""
    olivia = person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        screen = await _items_screen(pilot, app)
        await pilot.press(*"wid")
        assert screen.query_one("#items-search", Input).value == "wid"


async def test_unframed_fast_burst_is_a_scan_with_timing_fallback(make_station, person, make_uow):
    """With framing off and timing on, a fast burst ending in Enter is taken as a scan."""
    olivia = person("operator")
    number = _item(make_uow, olivia.username)
    # A generous gap: Pilot keys on a loaded 2-core machine can be 0.5 s apart (a real
    # scanner's are ~5 ms; the decoder's timing itself is unit-tested in tests/unit).
    scanner = ScannerSettings(prefix="", use_timing=True, max_interkey_ms=2000, min_length=4)
    station = make_station(scanner=scanner)
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        # The PIN on the on-screen keypad: typed at Pilot speed it would be a burst too.
        await sign_in(pilot, station, olivia, touch=True)
        screen = await _items_screen(pilot, app)
        keys = FakeScanner(WedgeConfig(prefix="", use_timing=True)).keys(number, framed=False)
        await pilot.press(*keys)
        table = screen.query_one("#items-table", DataTable)
        await until(pilot, lambda: table.row_count == 1, "the scanned item")
        assert screen.query_one("#items-search", Input).value == number


async def test_wedge_badge_reader_signs_in(make_station, person):
    """A keyboard-wedge badge reader typing a framed UID starts the same sign-in as a tap."""
    olivia = person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "sign-in")
        scanner = FakeScanner(wedge_config(station.settings.scanner))
        await pilot.press(*scanner.keys(olivia.badge_uid, badge=True))
        await until(pilot, lambda: at_stage(app.screen, "-pin"), "the PIN prompt")
        await pilot.press(*olivia.pin, "enter")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "home")


async def test_scan_into_the_new_item_form_sets_the_gtin(make_station, person):
    """On the new-item form a GS1 scan fills the GTIN field with the decoded GTIN."""
    erin = person("engineer")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        await tap(pilot, "#tile-item-new")
        await until(pilot, lambda: isinstance(app.screen, NewItemScreen), "the form")
        await focused(pilot, "item_number")
        scanner = FakeScanner(wedge_config(station.settings.scanner))
        await pilot.press(*scanner.keys(f"]C101{GTIN}17261231"))
        await until(pilot, lambda: app.screen.query_one("#gtin", Input).value == GTIN, "GTIN")
        assert app.screen.query_one("#item_number", Input).value == ""


async def test_badge_id_of_another_length_typed_in_a_frame_is_tried_as_a_badge(
    make_station, person, make_uow, admin
):
    """On the sign-in screen any framed entry is a badge attempt (e.g. a 10-digit badge id)."""
    from domain.services import identity_admin

    olivia = person("operator", badge=False)
    with make_uow(admin) as uow:
        identity_admin.add_badge(uow, olivia.username, "04A1C0FFEE")
        uow.commit()
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "sign-in")
        scanner = FakeScanner(wedge_config(station.settings.scanner))
        await pilot.press(*scanner.keys("04a1c0ffee"))
        await until(pilot, lambda: at_stage(app.screen, "-pin"), "the PIN prompt")
        await pilot.press(*olivia.pin, "enter")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "home")
