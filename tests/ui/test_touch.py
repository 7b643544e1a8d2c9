"""Touch standards (docs/kiosk.md): one tap opens a row in every list, and every text field
can be filled from the on-screen keyboard (numbers from its numeric layout)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget

from domain.services import items
from screens.admin.forms import AddUserModal
from screens.admin.user_detail import UserDetailScreen
from screens.audit.browser import AuditBrowserScreen
from screens.audit.entry import EntryScreen
from screens.item_detail import ItemDetailScreen
from screens.item_new import NewItemScreen
from screens.items import ItemsScreen
from screens.modals.signature import SignatureModal
from screens.security_events import SecurityEventsScreen
from screens.sign_in import SignInScreen
from screens.stages import at_stage
from screens.widgets.keyboard import KeyboardModal, key_id
from tests.conftest import unique
from tests.ui.admin_helpers import admin_backend, users_screen
from tests.ui.audit_helpers import audit_backend, item_with_history
from tests.ui.conftest import sign_in, tap, until
from tests.ui.test_admin_security_events import _wrong_pin


def _two_items(make_uow, author: str) -> tuple[str, str]:
    prefix = unique("TAP").upper()
    numbers = (f"{prefix}-A", f"{prefix}-B")
    with make_uow(author) as uow:
        for n in numbers:
            items.create_item(uow, items.NewItem(n, "Tap subject", "component", "ea"))
        uow.commit()
    return numbers


async def _tap_row(pilot: Pilot[Any], table: str, row: int) -> None:
    """One tap on data row ``row`` (0-based) of a table that has no cursor on it yet."""
    await pilot.wait_for_scheduled_animations()
    widget = pilot.app.screen.query_one(table)
    assert widget.cursor_row != row
    top = widget.header_height + sum(r.height for r in widget.ordered_rows[:row])
    await tap(pilot, table, offset=(2, top))


async def test_one_tap_opens_an_item(make_station, person, make_uow):
    """The items list: one tap on the second row opens that item."""
    erin = person("engineer")
    first, second = _two_items(make_uow, erin.username)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        app.push_screen(
            ItemsScreen(
                station.backend,
                lambda n: ItemDetailScreen(station.backend, n),
                search=first[:-2],
            )
        )
        await until(pilot, lambda: app.screen.query_one("#items-table").row_count == 2, "rows")
        await _tap_row(pilot, "#items-table", 1)
        await until(pilot, lambda: isinstance(app.screen, ItemDetailScreen), "the item")
        assert app.screen.item_number == second


async def test_one_tap_opens_a_user(make_station, person):
    """The users list: one tap on a row that is not highlighted opens that person."""
    ada = person("admin")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        screen = users_screen(station)
        app.push_screen(screen)
        await until(pilot, lambda: screen.query_one("#users-table").row_count > 1, "rows")
        await _tap_row(pilot, "#users-table", 1)
        await until(pilot, lambda: isinstance(app.screen, UserDetailScreen), "the user")
        assert app.screen.username == screen.rows[1].username


async def test_one_tap_opens_a_security_event(make_station, person, session_factory):
    """Security events: one tap on the second row opens its acknowledgement dialog."""
    sam, olivia, otto = person("supervisor"), person("operator"), person("operator")
    _wrong_pin(session_factory, olivia)
    _wrong_pin(session_factory, otto)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, sam)
        screen = SecurityEventsScreen(admin_backend(station))
        app.push_screen(screen)
        await until(pilot, lambda: screen.query_one("#sec-table").row_count > 1, "rows")
        await _tap_row(pilot, "#sec-table", 1)
        await until(pilot, lambda: isinstance(app.screen, SignatureModal), "the dialog")


async def test_one_tap_opens_an_audit_entry(make_station, person, make_uow):
    """The audit trail: one tap on the second row opens that entry."""
    from domain.audit.query import AuditFilter

    quinn, erin = person("qa"), person("engineer")
    record = item_with_history(make_uow, erin.username, 3)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, quinn)
        flt = AuditFilter(table="item", record=str(record.item_id))
        screen = AuditBrowserScreen(audit_backend(station), flt)
        app.push_screen(screen)
        await until(pilot, lambda: screen.page is not None and screen.page.rows, "rows")
        second = screen.page.rows[1].id
        await _tap_row(pilot, "#audit-table", 1)
        await until(pilot, lambda: isinstance(app.screen, EntryScreen), "the entry")
        assert app.screen.entry_id == second


async def _type_on_screen(pilot: Pilot[Any], field: str, text: str) -> None:
    """Tap ``field``, type ``text`` on the on-screen keyboard (shift toggles case), OK."""
    app = pilot.app
    await tap(pilot, field)
    await until(pilot, lambda: isinstance(app.screen, KeyboardModal), f"keyboard for {field}")
    modal = app.screen
    for char in text:
        wanted_upper = char.isupper() or not char.isalpha()
        if char.isalpha() and modal.upper != wanted_upper:
            await tap(pilot, "#kb-shift")
            await until(pilot, lambda w=wanted_upper: modal.upper == w, "shift")
        before = modal.query_one("#kb-text").value
        await tap(pilot, "#" + key_id(char))
        await until(pilot, lambda b=before: modal.query_one("#kb-text").value != b, repr(char))
    await tap(pilot, "#kb-ok")
    await until(pilot, lambda: not isinstance(app.screen, KeyboardModal), "keyboard closed")


async def test_the_on_screen_keyboard_fills_the_new_item_form(make_station, person):
    """Item number, description and GTIN typed on the on-screen keyboard land in their
    fields, exactly (letters in both cases, digits, dash, dot)."""
    erin = person("engineer")
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(pilot, station, erin)
        app.push_screen(NewItemScreen(station.backend))
        await until(pilot, lambda: app.screen.query_one("#item_number").has_focus, "the form")
        await _type_on_screen(pilot, "#item_number", "WID-7.1")
        await _type_on_screen(pilot, "#description", "Pump Seal")
        await _type_on_screen(pilot, "#gtin", "0401")
        form = app.screen.form()
        assert (form["item_number"], form["description"], form["gtin"]) == (
            "WID-7.1", "Pump Seal", "0401",
        )  # fmt: skip


async def test_the_on_screen_keyboard_searches_items(make_station, person, make_uow):
    """The search field: typed on screen, OK runs the search (as Enter)."""
    erin = person("engineer")
    first, _ = _two_items(make_uow, erin.username)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        app.push_screen(
            ItemsScreen(station.backend, lambda n: ItemDetailScreen(station.backend, n))
        )
        await until(pilot, lambda: app.screen.query_one("#items-search").has_focus, "items")
        await _type_on_screen(pilot, "#items-search", first)
        await until(pilot, lambda: app.screen.query_one("#items-table").row_count == 1, "found")


async def test_the_on_screen_keyboard_fills_add_user_and_use_username(make_station, person):
    """Add user's username and printed name, and sign-in's "Use username", need no
    physical keyboard."""
    ada = person("admin")
    station = make_station(allow_username_pin=True)
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "sign-in")
        await tap(pilot, "#use-username")
        await until(pilot, lambda: at_stage(app.screen, "-username"), "username stage")
        await _type_on_screen(pilot, "#sign-in-username", ada.username)
        await until(pilot, lambda: at_stage(app.screen, "-pin"), "asked for the PIN")
        await pilot.press(*ada.pin, "enter")
        await until(pilot, lambda: app.current_user is not None, "signed in")
        screen = users_screen(station)
        app.push_screen(screen)
        await until(pilot, lambda: app.screen.query("#users-add"), "users")
        await tap(pilot, "#users-add")
        await until(pilot, lambda: isinstance(app.screen, AddUserModal), "the form")
        await _type_on_screen(pilot, "#new-username", "nora")
        await _type_on_screen(pilot, "#new-printed", "Nora New")
        assert app.screen.query_one("#new-username").value == "nora"
        assert app.screen.query_one("#new-printed").value == "Nora New"


class _OneField(Screen[None]):
    def __init__(self, field: Widget) -> None:
        super().__init__()
        self.field = field

    def compose(self) -> ComposeResult:
        yield self.field


async def test_quantity_fields_get_the_numeric_keyboard(make_station, person):
    """A number field (BOM quantity) opens the numeric layout: digits and a decimal point."""
    from screens.widgets.keyboard import TouchInput

    erin = person("engineer")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        field = TouchInput(placeholder="Qty per", id="qty", type="number")
        app.push_screen(_OneField(field))
        await until(pilot, lambda: field.region.height > 0, "the field")
        await tap(pilot, "#qty")
        await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "the keyboard")
        assert app.screen.has_class("-numeric") and not app.screen.query("#kb-q")
        await tap(pilot, "#kb-cancel")
        await until(pilot, lambda: not isinstance(app.screen, KeyboardModal), "closed")
        await _type_on_screen(pilot, "#qty", "2.5")
        assert field.value == "2.5"
