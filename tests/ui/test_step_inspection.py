"""The step naming an in-process inspection, on the step screen with touch taps (migration
0030): the inspection's state (number, results, what the step waits for) with a big button
that opens the inspection screen; "performed" disabled while it waits; back from the
inspection (inspected and released by QA meanwhile) the step shows it accepted and may be
signed; a step whose NCR scrapped the work completes the work order short. Readable at
80x24 and 160x48 (WORKCELL_SHOTS=dir keeps screenshots)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Static

from domain.services.quality import inspections
from domain.services.work_orders import deviations, planning
from screens.modals.signature import SignatureModal
from screens.quality.inspection import InspectionScreen
from screens.widgets.keyboard import KeyboardModal, key_id
from screens.work_orders.complete import CompleteModal
from screens.work_orders.fields import FieldRow
from screens.work_orders.inspection_row import InspectionRow
from screens.work_orders.queue import QueueScreen
from screens.work_orders.step import StepScreen
from tests.conftest import TestDatabase
from tests.identity_helpers import Person, admin_for, enrol
from tests.integration.step_inspection_helpers import (
    InspectedLine,
    build_inspected_line,
    release_rework_routing,
)
from tests.ui.conftest import sign_in, tap, until
from tests.ui.materials_helpers import shoot


@pytest.fixture(scope="module")
def line(database: TestDatabase, session_factory: sessionmaker[Session]) -> InspectedLine:
    return build_inspected_line(database, session_factory)


@pytest.fixture(scope="module")
def operator(database: TestDatabase, session_factory: sessionmaker[Session]) -> Person:
    return enrol(session_factory, admin_for(database), roles=("operator",), prefix="opui")


def _has_rework_routing(line: InspectedLine) -> bool:
    with line.uow(line.plant.qa) as uow:
        found = uow.session.execute(
            text("SELECT count(*) FROM workcell.routing_revision r JOIN workcell.item i"
                 " ON i.id = r.item_id WHERE i.item_number = :i AND r.purpose = 'rework'"),
            {"i": line.item},
        ).scalar_one()  # fmt: skip
    return bool(found)


def _text(app: Any, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def _open(pilot: Pilot[Any], app: Any, number: str) -> StepScreen:
    await tap(pilot, "#tile-work-queue")
    await until(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue")
    table = app.screen.query_one("#wo-table", DataTable)
    await until(pilot, lambda: number in [k.value for k in table.rows], f"{number} queued")
    await pilot.wait_for_scheduled_animations()
    index = table.get_row_index(number)
    above = sum(r.height for r in table.ordered_rows[:index])
    table.scroll_to(y=above, animate=False)
    await until(pilot, lambda: table.scroll_y == min(table.max_scroll_y, above), "row in view")
    await tap(pilot, "#wo-table", offset=(2, table.header_height + above - int(table.scroll_y)))
    await until(pilot, lambda: isinstance(app.screen, StepScreen), "the step screen")
    step = app.screen
    await until(
        pilot, lambda: step.view is not None and step.query(InspectionRow), "the step's inspection"
    )
    return step


def _visible(app: Any, selector: str) -> bool:
    """Inside the screen (not cut off at the edge): the region is on screen, whole."""
    region = app.screen.query_one(selector).region
    return region.width > 0 and region.height > 0 and region.right <= app.size.width


async def test_the_step_shows_its_inspection_and_opens_it(
    make_station, line: InspectedLine, operator: Person
) -> None:
    wo = line.new_work_order()
    line.run_first_step(wo)
    insp = line.step(wo, 2).inspection
    assert insp is not None
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, operator, touch=True)
        step = await _open(pilot, app, wo)
        assert step.view is not None and step.view.seq == 2 and step.view.waits_for_inspection
        row = _text(app, "#inspection-text")
        assert insp.number in row and "open" in row and "0 of 3 results" in row
        await until(pilot, lambda: app.screen.query_one("#sign-performed").display, "performed")
        assert app.screen.query_one("#sign-performed", Button).disabled
        assert "the inspector enters" in _text(app, "#step-status")
        await until(pilot, lambda: _visible(app, "#inspection-open"), "the button laid out")
        shoot(app, "step-inspection-80x24")

        await tap(pilot, "#inspection-open")
        await until(
            pilot, lambda: isinstance(app.screen, InspectionScreen), "the inspection screen"
        )
        await until(pilot, lambda: app.screen.detail is not None, "the inspection loaded")
        assert app.screen.detail.number == insp.number
        assert f"made at {wo} step 2" in _text(app, "#insp-head")  # which step it belongs to
        shoot(app, "step-inspection-opened-80x24")
        line.inspect(wo)  # the inspector at their station, QA at theirs
        with line.uow(line.plant.qa) as uow:
            inspections.release_inspection(uow, insp.number, line.plant.signing(line.plant.qa))
            uow.commit()
        await tap(pilot, "#nav-back")
        await until(pilot, lambda: isinstance(app.screen, StepScreen), "back at the step")
        await until(pilot, lambda: step.view.inspection.accepted, "the inspection accepted")
        await until(pilot, lambda: "ACCEPTED" in _text(app, "#inspection-text"), "shown accepted")
        # the inspection no longer stops "performed": the step's own entry does
        await until(
            pilot, lambda: "Record Leak test" in _text(app, "#step-status"), "the entry asked"
        )
        await tap(pilot, "#pass-leak")
        await until(pilot, lambda: step.view.entry("LEAK") is not None, "the leak test saved")
        await until(
            pilot,
            lambda: not app.screen.query_one("#sign-performed", Button).disabled,
            "performed offered",
        )
        shoot(app, "step-inspection-accepted-80x24")
        # the signature names the inspection it binds (it is in the step's signed content)
        await tap(pilot, "#sign-performed")
        await until(pilot, lambda: isinstance(app.screen, SignatureModal), "the signature dialog")
        await until(pilot, lambda: insp.number in _text(app, "#sig-record"), "the inspection named")
        assert "released (accept)" in _text(app, "#sig-record")
        shoot(app, "step-inspection-sign-80x24")


async def test_readable_at_160x48(make_station, line: InspectedLine, operator: Person) -> None:
    wo = line.new_work_order()
    line.run_first_step(wo)
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(pilot, station, operator, touch=True)
        await _open(pilot, app, wo)
        await until(
            pilot,
            lambda: _visible(app, "#inspection-open") and _visible(app, "#sign-performed"),
            "the button and performed laid out",
        )
        assert "not opened" not in _text(app, "#inspection-text")
        shoot(app, "step-inspection-160x48")


async def test_a_step_whose_first_action_is_its_inspection_starts_here(
    make_station, line: InspectedLine, operator: Person
) -> None:
    """The device's only step names a final inspection and nothing exists yet to inspect:
    Start step starts it, the database opens the inspection (the output lot made), and the
    step shows it with Open inspection."""
    line.release_device_template()
    wo = line.new_work_order(line.device)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, operator, touch=True)
        step = await _open(pilot, app, wo)
        assert "not opened" in _text(app, "#inspection-text") or "opens when" in _text(
            app, "#inspection-text"
        )
        await until(pilot, lambda: _visible(app, "#inspection-start"), "Start step offered")
        assert not app.screen.query_one("#inspection-open").display
        shoot(app, "step-inspection-start-80x24")
        await tap(pilot, "#inspection-start")
        await until(pilot, lambda: step.view.inspection.number != "", "the inspection opened")
        assert step.view.status == "in_progress"
        await until(pilot, lambda: _visible(app, "#inspection-open"), "Open inspection offered")
        assert step.view.inspection.number in _text(app, "#inspection-text")


@pytest.mark.parametrize("disposition", ["scrap", "rework"])
async def test_a_step_stopped_by_its_ncr_completes_the_work_order_short(
    make_station, line: InspectedLine, operator: Person, disposition: str,
    database: TestDatabase, session_factory: sessionmaker[Session],
) -> None:  # fmt: skip
    """The NCR scrapped the work (migration 0035) or sent it to rework (0036): the step
    says it does not go on, offers no entry (0036) and offers Complete short; the dialog
    names the NCR; the labels counted on the keypad, the work order is complete with a
    deviation for QA."""
    wo = line.new_work_order()
    line.run_first_step(wo)
    line.inspect(wo, fail=2)
    if disposition == "rework" and not _has_rework_routing(line):
        release_rework_routing(line, database, session_factory)
    report = line.refer_and_disposition(wo, disposition)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, operator, touch=True)
        step = await _open(pilot, app, wo)
        assert step.view is not None and step.view.stops_work_order
        await until(pilot, lambda: _visible(app, "#step-short"), "Complete short laid out")
        assert "does not go on" in _text(app, "#step-status")
        assert app.screen.query_one("#sign-performed", Button).disabled
        # no entry is offered where the database takes none (WC195, migration 0036)
        await until(pilot, lambda: app.screen.query(FieldRow), "the step's rows")
        assert all(row.disabled for row in app.screen.query(FieldRow).results(FieldRow))
        assert app.screen.query_one("#pass-leak", Button).is_disabled  # with its row
        shoot(app, f"step-stopped-{disposition}-80x24")
        await tap(pilot, "#step-short")
        await until(pilot, lambda: isinstance(app.screen, CompleteModal), "the completion")
        modal = app.screen
        assert f"stopped at step 2 by {report} ({disposition})" in _text(app, "#cm-title")
        await until(pilot, lambda: _visible(app, "#cm-complete"), "the dialog laid out")
        shoot(app, "step-complete-short-80x24")
        for field in ("#cm-issued", "#cm-used", "#cm-destroyed"):
            await tap(pilot, field)
            await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "the keypad")
            await tap(pilot, "#" + key_id("0"))
            await tap(pilot, "#kb-ok")
            await until(pilot, lambda: app.screen is modal, "the keypad closed")
        said = modal.query_one("#cm-error", Static)
        await tap(pilot, "#cm-complete")
        await until(pilot, lambda: not modal.is_attached or ("Completing" not in str(said.render())
                    and str(said.render())), "completed")  # fmt: skip
        assert not modal.is_attached, str(said.render())
    with line.uow(line.plant.qa) as uow:
        order = planning.get_work_order(uow, wo)
        short = [d for d in deviations.deviations_of(uow, wo) if "completed short" in d.what]
    assert order.status == "complete" and len(short) == 1 and report in short[0].why
