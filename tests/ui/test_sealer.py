"""The station app runs the background audit sealer and anchors the chain head."""

from __future__ import annotations

from hardware.fakes import FakeCardReader
from kiosk.app import make_app
from kiosk.backend import KioskBackend
from kiosk.clock import frozen_clock
from screens.sign_in import SignInScreen
from tests.ui.conftest import FROZEN, until


async def test_app_seals_committed_entries_and_writes_an_anchor(
    app_engine, session_factory, station_settings, new_user
):
    """With a sealer engine the app chains committed audit entries and anchors the head."""
    new_user("seal")  # at least one committed audit entry to seal
    reader = FakeCardReader()
    backend = KioskBackend(session_factory, station_settings)
    app = make_app(
        station_settings,
        backend,
        reader=reader,
        clock=frozen_clock(FROZEN),
        sealer_engine=app_engine,
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "sign-in")
        sealer = app.sealer
        assert sealer is not None
        await until(pilot, lambda: sealer.last_status is not None, "a sealing pass")
        assert sealer.last_status.ok, sealer.last_status.message
        assert (sealer.last_status.head_position or 0) > 0
        assert app.problem == ""
    assert station_settings.anchor_file.exists()
    reader.stop()
