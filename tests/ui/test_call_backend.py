"""Workers drop what is stale (screens/base.call_backend)."""

from __future__ import annotations

import threading

from screens.base import call_backend
from screens.sign_in import SignInScreen
from tests.ui.conftest import until


async def test_a_slow_result_never_lands_over_a_newer_one(make_station):
    """Two look-ups in one group: the first (slow) is cancelled by the second and its
    result is dropped; only the second reaches the screen."""
    station = make_station()
    app = station.app
    release = threading.Event()
    landed: list[str] = []

    def slow() -> str:
        release.wait(5)
        return "slow"

    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "sign-in")
        screen = app.screen
        call_backend(screen, slow, landed.append, group="lookup")
        call_backend(screen, lambda: "fast", landed.append, group="lookup")
        await until(pilot, lambda: landed == ["fast"], "the fast result")
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert landed == ["fast"]
