"""Snapshots of the main screens at 80x24 (SSH) and 160x48 (touch terminal), clock frozen.

People and items have fixed names (created once per test database) so the pictures are
reproducible. Update with ``pytest tests/ui/test_snapshots.py --snapshot-update`` only after
looking at the new SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.services import items
from domain.uow import UnitOfWork
from hardware.fakes import FakeCardReader
from kiosk.app import make_app
from kiosk.backend import KioskBackend
from kiosk.clock import frozen_clock
from kiosk.settings import StationSettings
from screens.item_detail import ItemDetailScreen
from screens.item_new import NewItemScreen
from screens.items import ItemsScreen
from screens.modals.signature import SignatureModal
from screens.sign_in import SignInScreen
from screens.stages import at_stage
from tests.identity_helpers import admin_for
from tests.sessions import session_of
from tests.ui.conftest import FROZEN, enrol_fixed, freeze_cursors, tap, until

SIZES = [(80, 24), (160, 48)]
ITEM = "SNAP-HOUSING-01"


@dataclass(frozen=True)
class Fixed:
    username: str
    printed_name: str
    pin: str
    badge: str


ERIN = Fixed("snap.erin", "Erin Engineer", "731946", "04A1B2C3D4E5F6")
QUINN = Fixed("snap.quinn", "Quinn Quality", "582613", "04C0FFEE123456")


@pytest.fixture(scope="module")
def snapshot_world(database, session_factory) -> sessionmaker[Session]:
    admin = admin_for(database)
    for who, role in ((ERIN, "engineer"), (QUINN, "qa")):
        enrol_fixed(
            session_factory, admin, who.username, who.printed_name, who.pin, who.badge, role
        )
    with UnitOfWork(session_factory, session_of(session_factory, ERIN.username)) as uow:
        if not items.list_items(uow, search=ITEM):
            new = items.NewItem(ITEM, "Pump housing, 316L", "component", "ea", "lot", 730)
            items.create_item(uow, new)
            uow.commit()
    return session_factory


def _app(factory: sessionmaker[Session]) -> tuple[Any, FakeCardReader]:
    settings = StationSettings(
        name="line2-st04", site="PLANT-1", zone="LINE-2", timezone="Europe/Berlin"
    )
    reader = FakeCardReader()
    backend = KioskBackend(factory, settings)
    return make_app(settings, backend, reader=reader, clock=frozen_clock(FROZEN)), reader


async def _signed_in(pilot, reader: FakeCardReader, who: Fixed = ERIN) -> None:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, SignInScreen), "sign-in")
    reader.tap(who.badge)
    await until(pilot, lambda: at_stage(app.screen, "-pin"), "PIN prompt")
    await pilot.press(*who.pin, "enter")
    await until(pilot, lambda: app.screen.query(".tile").first().region, "home")


async def _settled(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    freeze_cursors(pilot.app)
    await pilot.pause(0.1)


def _scenario(name: str, reader: FakeCardReader) -> Callable[[Any], Awaitable[None]]:
    async def sign_in_waiting(pilot) -> None:
        await until(pilot, lambda: isinstance(pilot.app.screen, SignInScreen), "sign-in")

    async def sign_in_pin(pilot) -> None:
        await sign_in_waiting(pilot)
        reader.tap(ERIN.badge)
        await until(pilot, lambda: "Badge read" in _text(pilot.app), "the badge read")
        await pilot.press("7", "3")

    async def home(pilot) -> None:
        await _signed_in(pilot, reader)

    async def items_list(pilot) -> None:
        await _signed_in(pilot, reader)
        await tap(pilot, "#tile-items")
        await until(pilot, lambda: isinstance(pilot.app.screen, ItemsScreen), "items")
        await pilot.press(*"SNAP-", "enter")
        await until(pilot, lambda: "1 item(s)" in _text(pilot.app), "filtered list")

    async def item_detail(pilot) -> None:
        await _signed_in(pilot, reader)
        await pilot.app.push_screen(ItemDetailScreen(pilot.app.backend, ITEM))
        await until(pilot, lambda: "Pump housing" in _text(pilot.app), "the item")

    async def signature(pilot) -> None:
        # QA signed in (the author, Erin, is shown why Approve is not hers: item_detail)
        await _signed_in(pilot, reader, QUINN)
        await pilot.app.push_screen(ItemDetailScreen(pilot.app.backend, ITEM))
        await until(pilot, lambda: not pilot.app.screen.query_one("#item-approve").disabled, "ok")
        await tap(pilot, "#item-approve")
        await until(pilot, lambda: isinstance(pilot.app.screen, SignatureModal), "dialog")
        await until(pilot, lambda: "version 1" in _text(pilot.app), "the record")
        reader.tap(QUINN.badge)
        await until(pilot, lambda: "Badge read" in _text(pilot.app), "the signer's PIN prompt")

    async def new_item(pilot) -> None:
        await _signed_in(pilot, reader)
        await tap(pilot, "#tile-item-new")
        await until(pilot, lambda: isinstance(pilot.app.screen, NewItemScreen), "form")
        await pilot.press(*"WID-100")
        await tap(pilot, "#key-9")
        await tap(pilot, "#key-0")

    async def lock(pilot) -> None:
        await _signed_in(pilot, reader)
        pilot.app.lock()
        await until(pilot, lambda: isinstance(pilot.app.screen, SignInScreen), "lock")

    scenarios = {
        "sign_in": sign_in_waiting,
        "sign_in_pin": sign_in_pin,
        "home": home,
        "items": items_list,
        "item_detail": item_detail,
        "signature": signature,
        "new_item": new_item,
        "lock": lock,
    }
    chosen = scenarios[name]

    async def run(pilot) -> None:
        await chosen(pilot)
        await _settled(pilot)

    return run


def _text(app) -> str:
    from tests.ui.conftest import screen_text

    return screen_text(app)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize(
    "screen",
    ["sign_in", "sign_in_pin", "home", "items", "item_detail", "signature", "new_item", "lock"],
)
def test_screen_snapshot(snap_compare, snapshot_world, screen, size) -> None:
    """The screen looks as last approved at this terminal size."""
    app, reader = _app(snapshot_world)
    try:
        assert snap_compare(app, terminal_size=size, run_before=_scenario(screen, reader))
    finally:
        reader.stop()
