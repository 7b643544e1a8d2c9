"""The operator's flow at the station with touch taps only (and the scanner): the queue,
a refused scan that leaves the step as it was, a component scan, the out-of-limit value
shown before it is saved, the supervisor verifying at the operator's station, QA approving
the deviation, the work order completed; resuming after a restart; the performer not
offered the verification."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Static

from hardware.fakes import FakeScanner
from kiosk.bridge import wedge_config
from screens.modals.signature import SignatureModal
from screens.widgets.keyboard import KeyboardModal, key_id
from screens.work_orders.complete import CompleteModal
from screens.work_orders.queue import QueueScreen
from screens.work_orders.step import StepScreen
from tests.conftest import TestDatabase
from tests.identity_helpers import enrol
from tests.ui.conftest import Station, sign_in, tap, tap_and_pin, until
from tests.ui.work_order_helpers import Line, build_line


@pytest.fixture(scope="module")
def line(database: TestDatabase, session_factory: sessionmaker[Session]) -> Line:
    return build_line(database, session_factory)


def _scalar(line: Line, sql: str, **params: Any) -> Any:
    with line.factory() as session:
        return session.execute(text(sql), params).scalar()


def _entries(line: Line, number: str) -> int:
    sql = (
        "SELECT count(*) FROM workcell.step_entry e JOIN workcell.step_instance s"
        " ON s.id = e.step_instance_id JOIN workcell.work_order w ON w.id = s.work_order_id"
        " WHERE w.number = :n"
    )
    return int(_scalar(line, sql, n=number))


def _status(app: Any) -> str:
    return str(app.screen.query_one("#step-status", Static).render())


async def _open(pilot: Pilot[Any], app: Any, number: str) -> StepScreen:
    """Work queue tile, then one tap on the work order's row."""
    await tap(pilot, "#tile-work-queue")
    await until(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue")
    table = app.screen.query_one("#wo-table", DataTable)
    await until(pilot, lambda: number in [k.value for k in table.rows], f"{number} queued")
    await pilot.wait_for_scheduled_animations()
    index = table.get_row_index(number)
    # other tests' work orders share the queue: bring the row into view before tapping it
    table.scroll_to(y=sum(r.height for r in table.ordered_rows[:index]), animate=False)
    await until(
        pilot,
        lambda: (
            table.scroll_y
            == min(table.max_scroll_y, sum(r.height for r in table.ordered_rows[:index]))
        ),
        "the row in view",
    )
    top = (
        table.header_height
        + sum(r.height for r in table.ordered_rows[:index])
        - int(table.scroll_y)
    )
    await tap(pilot, "#wo-table", offset=(2, top))
    await until(pilot, lambda: isinstance(app.screen, StepScreen), "the step screen")
    step = app.screen
    await until(pilot, lambda: step.view is not None, "the step loaded")
    return step


async def _type(pilot: Pilot[Any], app: Any, chars: str) -> None:
    """Tap each key of the on-screen keyboard (letters are upper case: its default)."""
    modal = app.screen
    assert isinstance(modal, KeyboardModal)
    for char in chars:
        await tap(pilot, "#" + key_id(char))


async def _ok(pilot: Pilot[Any], app: Any) -> None:
    modal = app.screen
    await tap(pilot, "#kb-ok")
    await until(pilot, lambda: app.screen is not modal, "the keyboard closed")


async def _sign(pilot: Pilot[Any], station: Station, app: Any, button: str, who: Any) -> None:
    """Tap a signature button, then the signer's badge and PIN on the on-screen keypad."""
    await tap(pilot, button)
    await until(pilot, lambda: isinstance(app.screen, SignatureModal), "the signature dialog")
    modal = app.screen
    await until(pilot, lambda: modal.record is not None, "what is signed")
    error = modal.query_one("#sig-error", Static)
    await tap_and_pin(pilot, station, who, who.pin, touch=True)

    def settled() -> bool:
        said = str(error.render())
        return not modal.is_attached or (bool(said) and not said.startswith("Signing"))

    await until(pilot, settled, "signed")
    assert not modal.is_attached, str(error.render())
    station.reader.remove()


async def _scan(pilot: Pilot[Any], station: Station, data: str) -> None:
    await pilot.press(*FakeScanner(wedge_config(station.settings.scanner)).keys(data))


def _approve(line: Line, number: str) -> None:
    from domain.services.work_orders import deviations
    from tests.ui.work_order_helpers import signing

    with line.uow(line.qa.username) as uow:
        deviations.approve_deviation(uow, number, signing(line.qa))
        uow.commit()


async def test_operator_flow_with_taps_only(make_station, line: Line) -> None:
    """Scan refused then accepted, out-of-limit seen before saving and explained, performed
    by the operator, verified by a supervisor at the operator's station, the deviation
    approved by QA's badge at the same station (the operator stays signed in), the work
    order completed."""
    number = line.new_work_order("10")
    cap = line.cap_lot("50")
    resin = line.plant.stocked("resin", "5")  # not on the locked BOM
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, line.operator, touch=True)
        step = await _open(pilot, app, number)
        assert step.view is not None and step.view.seq == 1

        await _scan(pilot, station, resin)
        await until(pilot, lambda: "Refused" in _status(app), "the scan refused")
        assert _entries(line, number) == 0 and step.view.entries == ()
        await _scan(pilot, station, cap)
        await until(pilot, lambda: step.view.entries != (), "the cap consumed")
        assert cap in step.view.entries[0].shown and "10" in step.view.entries[0].shown

        await _sign(pilot, station, app, "#sign-performed", line.operator)
        await until(pilot, lambda: step.view.seq == 2, "the next step")

        await tap(pilot, "#enter-length")
        await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "the keypad")
        await _type(pilot, app, "10.8")
        check = app.screen.query_one("#kb-check", Static)
        await until(pilot, lambda: "OUT OF LIMIT" in str(check.render()), "out of limit shown")
        assert check.has_class("-alarm")
        assert _entries(line, number) == 1  # nothing saved yet: only the scan
        await _ok(pilot, app)
        await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "asked why")
        await _type(pilot, app, "WORN JIG")
        await _ok(pilot, app)
        await until(pilot, lambda: step.view.entry("LENGTH") is not None, "length saved")
        assert step.view.entry("LENGTH").out_of_limit
        assert "Blocked: DEV-" in _status(app)
        await tap(pilot, "#pass-visual")
        await until(pilot, lambda: step.view.entry("VISUAL") is not None, "visual saved")

        await _sign(pilot, station, app, "#sign-performed", line.operator)
        await until(pilot, lambda: app.screen.query_one("#sign-verified").display, "verify")
        verify = app.screen.query_one("#sign-verified", Button)
        assert not verify.disabled and "supervisor taps their badge" in _status(app)
        await _sign(pilot, station, app, "#sign-verified", line.supervisor)
        assert app.current_user.username == line.operator.username  # nobody signed out
        await until(pilot, lambda: not app.screen.query_one("#sign-verified").display, "verified")

        # The step waits for QA: Next is refused with the reason until the deviation is
        # approved — by QA walking up to the operator's station with their badge.
        await tap(pilot, "#step-next")
        await until(pilot, lambda: "waits for QA approval" in _status(app), "refused")
        deviation = step.view.open_deviations[0].number
        await _sign(pilot, station, app, "#step-approve", line.qa)
        assert app.current_user.username == line.operator.username  # nobody signed out
        # the approval closed the step (nothing else blocked it): every step done
        await until(pilot, lambda: isinstance(app.screen, CompleteModal), "every step done")
        decided = _scalar(line, "SELECT u.username FROM workcell.deviation v JOIN workcell.users u"
                          " ON u.id = v.decided_by WHERE v.number = :n AND v.status = 'approved'",
                          n=deviation)  # fmt: skip
        assert decided == line.qa.username
        await until(pilot, lambda: app.screen.query_one("#cm-destroyed").region, "the counts")
        for field, count in (("#cm-issued", "12"), ("#cm-used", "10"), ("#cm-destroyed", "2")):
            await tap(pilot, field)
            await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "the keypad")
            await _type(pilot, app, count)
            await _ok(pilot, app)
        modal = app.screen
        said = modal.query_one("#cm-error", Static)
        await tap(pilot, "#cm-complete")
        await until(pilot, lambda: not modal.is_attached or ("Completing" not in str(said.render())
                    and str(said.render())), "completed")  # fmt: skip
        assert not modal.is_attached, str(said.render())
    status = _scalar(line, "SELECT status FROM workcell.work_order WHERE number = :n", n=number)
    assert status == "complete"
    left = _scalar(line, "SELECT sum(o.quantity) FROM workcell.on_hand o JOIN workcell.lot l"
                   " ON l.id = o.lot_id WHERE l.lot_number = :n", n=cap)  # fmt: skip
    assert left == Decimal(40)


async def test_resume_after_a_restart_at_the_same_step_with_the_same_values(
    make_station, line: Line
) -> None:
    """Entries are committed as made: a new station app opens the same step with them."""
    number = line.new_work_order("2")
    cap = line.cap_lot("10")
    first = make_station()
    async with first.app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, first, line.operator)
        step = await _open(pilot, first.app, number)
        await _scan(pilot, first, cap)
        await until(pilot, lambda: step.view.entries != (), "the cap consumed")
        await _sign(pilot, first, first.app, "#sign-performed", line.operator)
        await until(pilot, lambda: step.view.seq == 2, "step 2")
        await tap(pilot, "#enter-length")
        await until(pilot, lambda: isinstance(first.app.screen, KeyboardModal), "the keypad")
        await _type(pilot, first.app, "10.1")
        await _ok(pilot, first.app)
        await until(pilot, lambda: step.view.entry("LENGTH") is not None, "saved")
    again = make_station()  # the station restarted (the app's state is gone)
    async with again.app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, again, line.operator)
        step = await _open(pilot, again.app, number)
        assert step.view.seq == 2
        length = step.view.entry("LENGTH")
        assert length is not None and length.shown == "10.1 mm" and not length.out_of_limit
        assert step.view.entry("VISUAL") is None


async def test_the_performer_is_not_offered_the_verification(
    make_station, line: Line, database: TestDatabase, session_factory
) -> None:
    """A supervisor who also operates performs a step: Verify is disabled, with the reason."""
    from tests.identity_helpers import admin_for

    both = enrol(session_factory, admin_for(database), roles=("operator", "supervisor"))
    number = line.new_work_order("1")
    cap = line.cap_lot("5")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, both)
        step = await _open(pilot, app, number)
        await _scan(pilot, station, cap)
        await until(pilot, lambda: step.view.entries != (), "the cap consumed")
        await _sign(pilot, station, app, "#sign-performed", both)
        await until(pilot, lambda: step.view.seq == 2, "step 2")
        await tap(pilot, "#pass-visual")
        await until(pilot, lambda: step.view.entry("VISUAL") is not None, "visual saved")
        await tap(pilot, "#enter-length")
        await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "the keypad")
        await _type(pilot, app, "10")
        await _ok(pilot, app)
        await until(pilot, lambda: step.view.entry("LENGTH") is not None, "saved")
        await _sign(pilot, station, app, "#sign-performed", both)
        await until(pilot, lambda: app.screen.query_one("#sign-verified").display, "verify")
        assert app.screen.query_one("#sign-verified", Button).disabled
        assert "You made entries at this step" in _status(app)


def _run_with_exceptions(line: Line) -> str:
    """A work order run to completion through the services: an out-of-limit length then
    corrected, its deviation approved by QA, supervisor verification; complete."""
    from domain.services.work_orders import deviations, execution, planning
    from tests.ui.work_order_helpers import signing

    number = line.new_work_order("1")
    cap = line.cap_lot("5")
    op, sup = line.operator, line.supervisor
    with line.uow(op.username) as uow:
        first = execution.steps_of(uow, number)[0]
        execution.consume(uow, first.id, cap, line.plant.bins["LINE"], Decimal(1))
        execution.sign_step(uow, first.id, "performed", signing(op))
        first = execution.step_view(uow, first.id)
        execution.finish_step(uow, first.id, first.version)
        uow.commit()
    with line.uow(op.username, "worn jig") as uow:
        second = execution.steps_of(uow, number)[1]
        second = execution.enter_value(uow, second.id, "LENGTH", "10.8", second.version)
        length = next(f for f in second.fields if f.code == "LENGTH").current
        assert length is not None
        second = execution.correct_value(uow, length.id, "10.1", "read off the wrong scale",
                                         second.version)  # fmt: skip
        second = execution.enter_value(uow, second.id, "VISUAL", "pass", second.version)
        execution.sign_step(uow, second.id, "performed", signing(op))
        uow.commit()
    with line.uow(sup.username) as uow:
        execution.sign_step(uow, second.id, "verified", signing(sup))
        uow.commit()
    _approve(line, second.deviations[0].number)
    with line.uow(op.username) as uow:
        second = execution.step_view(uow, second.id)
        execution.finish_step(uow, second.id, second.version)
        planning.set_label_counts(uow, number, 1, 1, 0)
        planning.complete_work_order(uow, number)
        uow.commit()
    with line.uow(line.qa.username) as uow:  # the yield deviation (no output was recorded)
        still_open = [d.number for d in deviations.deviations_of(uow, number) if d.status == "open"]
    for deviation in still_open:
        _approve(line, deviation)
    return number


async def test_qa_reviews_by_exception_then_releases_the_lot(make_station, line: Line) -> None:
    """QA sees the exceptions first, in order; release is not offered before the review;
    reviewed and released with QA's badge and PIN."""
    from screens.modals.confirm import ConfirmModal
    from screens.work_orders.review import ReviewScreen

    number = _run_with_exceptions(line)
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(pilot, station, line.qa, touch=True)
        await tap(pilot, "#tile-qa-review")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen), "the review list")
        table = app.screen.query_one("#wo-table", DataTable)
        await until(pilot, lambda: number in [k.value for k in table.rows], f"{number} listed")
        await pilot.wait_for_scheduled_animations()
        index = table.get_row_index(number)
        top = table.header_height + sum(r.height for r in table.ordered_rows[:index])
        await tap(pilot, "#wo-table", offset=(2, top))
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen), "the review")
        review = app.screen
        await until(pilot, lambda: review.view is not None, "the record")
        shown = str(review.query_one("#rv-exceptions", Static).render())
        kinds = [k for k in ("DEVIATION", "OUT OF LIMIT", "CORRECTED") if k in shown]
        assert kinds == ["DEVIATION", "OUT OF LIMIT", "CORRECTED"]
        assert shown.index("DEVIATION") < shown.index("OUT OF LIMIT") < shown.index("CORRECTED")
        assert review.query_one("#rv-release", Button).disabled
        assert "After QA's review" in str(review.query_one("#rv-why", Static).render())

        await _sign(pilot, station, app, "#rv-reviewed", line.qa)
        await until(pilot, lambda: not review.query_one("#rv-release", Button).disabled, "release")
        await tap(pilot, "#rv-release")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "asked first")
        await tap(pilot, "#confirm")
        await until(pilot, lambda: isinstance(app.screen, SignatureModal), "the signature")
        modal = app.screen
        await until(pilot, lambda: modal.record is not None, "what is signed")
        await tap_and_pin(pilot, station, line.qa, line.qa.pin, touch=True)
        await until(pilot, lambda: not modal.is_attached, "released")
    status = _scalar(line, "SELECT l.status FROM workcell.lot l JOIN workcell.work_order w"
                     " ON w.output_lot_id = l.id WHERE w.number = :n", n=number)  # fmt: skip
    assert status == "released"
