"""Snapshots of the audit browser and the entry detail at 80x24 and 160x48, clock frozen.

The screens run in the real station app (signed in through the real identity services);
only the audit data comes from tests/ui/audit_fixed.py, because real entries carry server
times and sequence numbers no snapshot could hold still. Update with
``pytest tests/ui/test_audit_snapshots.py --snapshot-update`` only after looking at the SVGs.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hardware.fakes import FakeCardReader
from kiosk.app import make_app
from kiosk.backend import KioskBackend
from kiosk.clock import frozen_clock
from kiosk.settings import StationSettings
from screens.audit.browser import AuditBrowserScreen, history_screen
from screens.audit.entry import EntryScreen
from screens.home import HomeScreen
from screens.sign_in import SignInScreen
from screens.stages import at_stage
from tests.identity_helpers import admin_for
from tests.ui.audit_fixed import FixedAuditBackend
from tests.ui.conftest import FROZEN, enrol_fixed, freeze_cursors, until

SIZES = [(80, 24), (160, 48)]
INSPECTOR = ("snap.ines", "Ines Inspector", "864209", "04AA55AA55AA55")


@pytest.fixture(scope="module")
def inspector(database, session_factory) -> sessionmaker[Session]:
    """A QA reviewer with fixed name, PIN and badge, created once per test database."""
    username, printed, pin, badge = INSPECTOR
    enrol_fixed(session_factory, admin_for(database), username, printed, pin, badge, "qa")
    return session_factory


def _app(factory: sessionmaker[Session]) -> tuple[Any, FakeCardReader]:
    settings = StationSettings(
        name="qa-lab-st01", site="PLANT-1", zone="QA-LAB", timezone="Europe/Berlin"
    )
    reader = FakeCardReader()
    app = make_app(
        settings, KioskBackend(factory, settings), reader=reader, clock=frozen_clock(FROZEN)
    )
    return app, reader


def _scenario(screen: str, reader: FakeCardReader):
    async def run(pilot) -> None:
        app = pilot.app
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "sign-in")
        reader.tap(INSPECTOR[3])
        await until(pilot, lambda: at_stage(app.screen, "-pin"), "PIN prompt")
        await pilot.press(*INSPECTOR[2], "enter")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "home")
        backend = FixedAuditBackend()
        if screen == "browser":
            browser = AuditBrowserScreen(backend)
            await app.push_screen(browser)
            await until(pilot, lambda: browser.page is not None, "the first page")
        else:
            entry = EntryScreen(backend, 1125, lambda t, k: history_screen(backend, t, k))
            await app.push_screen(entry)
            await until(pilot, lambda: entry.view is not None, "the entry")
        await app.workers.wait_for_complete()
        freeze_cursors(app)
        await pilot.pause(0.1)

    return run


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("screen", ["browser", "entry"])
def test_audit_snapshot(snap_compare, inspector, screen, size) -> None:
    """The audit browser and the entry detail look as approved, at SSH and touch sizes."""
    app, reader = _app(inspector)
    try:
        assert snap_compare(app, terminal_size=size, run_before=_scenario(screen, reader))
    finally:
        reader.stop()
