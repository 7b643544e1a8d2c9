"""The quality screens on the real services, driven by taps: the inspector at the dock
(plan, results per sample on the keypad, an invalidated result kept, completion signed),
QA's disposition (the inspector and the receiver refused before any badge), NCRs raised by
hand with the risk class and the approvals it demands, 8-D CAPAs signed in order, overdue
actions on the supervisor's and QA's home screens."""

from __future__ import annotations

import pytest

from screens.modals.signature import SignatureModal
from screens.quality.inspection import InspectionScreen
from screens.quality.inspections import InspectionsScreen
from screens.widgets.keyboard import KeyboardModal, key_id
from tests.ui.conftest import screen_text, sign_in, tap, tap_and_pin, until
from tests.ui.materials_helpers import shoot, tap_in_view, tap_row
from tests.ui.quality_helpers import D, QPlant, build_quality, open_tile


@pytest.fixture(scope="module")
def q(database, session_factory) -> QPlant:
    return build_quality(database, session_factory)


async def _open_inspection(pilot, station, who, number: str) -> InspectionScreen:
    app = pilot.app
    await sign_in(pilot, station, who, touch=True)
    listing = await open_tile(pilot, "inspections", InspectionsScreen)
    await until(pilot, lambda: listing.rows is not None, "open inspections")
    await tap_row(pilot, "#insp-table", number)
    await until(pilot, lambda: isinstance(app.screen, InspectionScreen), "the inspection")
    screen = app.screen
    await until(pilot, lambda: screen.detail is not None, "the inspection loaded")
    return screen


async def _answered(pilot, screen, before: int) -> None:
    await until(pilot, lambda: screen.answers > before, "the backend's answer")


async def _keypad(pilot, text: str) -> None:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "the keypad")
    modal = app.screen
    for char in text:
        before = modal.query_one("#kb-text").value
        await tap(pilot, "#" + key_id(char))
        await until(pilot, lambda b=before: modal.query_one("#kb-text").value != b, repr(char))
    await tap(pilot, "#kb-ok")
    await until(pilot, lambda: not isinstance(app.screen, KeyboardModal), "keypad closed")


async def test_the_inspector_enters_every_sample_and_signs(make_station, person, q):
    """Plan shown with the data's source; a value on the keypad (out of limits said while
    typing), PASS/FAIL, a wrong result invalidated with its reason (kept), Complete refused
    until every result is in, then signed "inspected": the database decides."""
    inspector = person("operator")
    lot, number = q.receive()
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _open_inspection(pilot, station, inspector, number)
        text = screen_text(app)
        assert "n=2" in text or "n=2" in str(screen.query_one("#insp-plan").render())
        assert screen.detail.data_version in str(screen.query_one("#insp-plan").render())
        assert screen.query_one("#insp-complete").disabled
        assert "4 result(s) still to enter" in str(screen.query_one("#insp-complete-why").render())
        before = screen.answers
        await tap_in_view(pilot, "#enter-1")
        await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "the keypad")
        await _keypad(pilot, "10.3")
        await _answered(pilot, screen, before)
        assert screen.detail.result(1, 1) is not None and not screen.detail.result(1, 1).passed
        # the value was a misreading: invalidated with the reason, entered again
        before = screen.answers
        await tap_in_view(pilot, "#invalidate-1")
        await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "the reason")
        await _keypad(pilot, "MISREAD")
        await _answered(pilot, screen, before)
        assert screen.detail.result(1, 1) is None
        before = screen.answers
        await tap_in_view(pilot, "#enter-1")
        await _keypad(pilot, "10.02")
        await _answered(pilot, screen, before)
        before = screen.answers
        await tap_in_view(pilot, "#pass-2")
        await _answered(pilot, screen, before)
        await tap_in_view(pilot, "#insp-next")
        await until(pilot, lambda: screen.sample == 2, "sample 2")
        before = screen.answers
        await tap_in_view(pilot, "#enter-1")
        await _keypad(pilot, "9.95")
        await _answered(pilot, screen, before)
        before = screen.answers
        await tap_in_view(pilot, "#pass-2")
        await _answered(pilot, screen, before)
        shoot(app, "inspection-160x48")
        assert not screen.query_one("#insp-complete").disabled
        await tap_in_view(pilot, "#insp-complete")
        await until(pilot, lambda: isinstance(app.screen, SignatureModal), "the signature")
        await tap_and_pin(pilot, station, inspector, inspector.pin, touch=True)
        try:
            await until(pilot, lambda: app.screen is screen and screen.detail.status == "completed",
                    "completed")  # fmt: skip
        except AssertionError:
            print(screen_text(app))
            raise
        assert "ACCEPT" in str(screen.query_one("#insp-decision").render())
    v = q.view(number)
    assert (v.status, v.decision) == ("completed", "accept")
    kept = [r for r in v.results if r.invalidated]
    assert [(r.value, r.invalidated) for r in kept] == [(D("10.3"), "MISREAD")]
