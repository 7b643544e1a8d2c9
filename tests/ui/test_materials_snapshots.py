"""Snapshots of the materials screens at 80x24 (SSH) and 160x48 (touch terminal), clock
frozen. The screens run in the real station app (signed in through the real identity
services); the materials data comes from tests/ui/materials_fixed.py, because real lots
carry server times and sequence numbers. Update with
``pytest tests/ui/test_materials_snapshots.py --snapshot-update`` only after looking at them.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hardware.fakes import FakeCardReader
from kiosk.app import make_app
from kiosk.backend import KioskBackend
from kiosk.clock import frozen_clock
from kiosk.materials_tiles import Screens
from kiosk.settings import StationSettings
from screens.home import HomeScreen
from screens.messages import BarcodeScanned
from screens.sign_in import SignInScreen
from screens.stages import at_stage
from tests.identity_helpers import admin_for
from tests.ui.conftest import FROZEN, enrol_fixed, screen_text, until
from tests.ui.materials_fixed import RESIN_LABEL, FixedMaterialsBackend

SIZES = [(80, 24), (160, 48)]
KEEPER = ("snap.wanda", "Wanda Warehouse", "815274", "04BEEF00C0FFEE")


@pytest.fixture(scope="module")
def keeper(database, session_factory) -> sessionmaker[Session]:
    username, printed, pin, badge = KEEPER
    enrol_fixed(session_factory, admin_for(database), username, printed, pin, badge, "operator")
    return session_factory


def _app(factory: sessionmaker[Session]) -> tuple[Any, FakeCardReader]:
    settings = StationSettings(
        name="dock-st01", site="PLANT-1", zone="DOCK", timezone="Europe/Berlin"
    )
    reader = FakeCardReader()
    app = make_app(settings, KioskBackend(factory, settings), reader=reader,
                   clock=frozen_clock(FROZEN))  # fmt: skip
    return app, reader


def _scenario(name: str, reader: FakeCardReader):
    async def run(pilot) -> None:
        app = pilot.app
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "sign-in")
        reader.tap(KEEPER[3])
        await until(pilot, lambda: at_stage(app.screen, "-pin"), "PIN prompt")
        await pilot.press(*KEEPER[2], "enter")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "home")
        screens = Screens(FixedMaterialsBackend())
        if name == "receiving":
            await app.push_screen(screens.receiving())
            await until(pilot, lambda: app.screen.query_one("#rcv-bin").options, "bins")
            app.post_message(BarcodeScanned(RESIN_LABEL))
            await until(pilot, lambda: app.screen.item is not None, "the label read")
        elif name == "lot":
            await app.push_screen(screens.lot("L2611-00004"))
            await until(pilot, lambda: app.screen.detail is not None, "the lot")
        elif name == "holds":
            await app.push_screen(screens.hold())
            await until(pilot, lambda: app.screen.rows, "the holds")
        elif name == "shipment":
            await app.push_screen(screens.shipment("SH-000002"))
            await until(pilot, lambda: app.screen.detail is not None, "the shipment")
        elif name == "trace":
            await app.push_screen(screens.trace("IS240001", "backward"))
            await until(pilot, lambda: len(app.screen.rows) == 3, "the first level")
        await app.workers.wait_for_complete()
        # no focused field: a blinking text cursor would make the picture depend on timing
        app.screen.set_focus(None)
        await pilot.pause(0.1)
        assert "Traceback" not in screen_text(app)

    return run


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", ["receiving", "lot", "holds", "shipment", "trace"])
def test_materials_snapshot(snap_compare, keeper, screen, size) -> None:
    """The screen looks as last approved at this terminal size."""
    app, reader = _app(keeper)
    try:
        assert snap_compare(app, terminal_size=size, run_before=_scenario(screen, reader))
    finally:
        reader.stop()
