"""Rework and deviations on the NCR screens, with touch taps (migration 0036): before the item
has a rework routing, "Carry out disposition" of a rework NCR is disabled with the database's
own reason (asked before any PIN); carried out once the rework routing is released, the NCR
screen lists the rework work order it planned; an NCR raised on the NCRs screen from a
deviation number opens naming the deviation, with the work order's lot on hold. Readable at
80x24 and 160x48 (WORKCELL_SHOTS=dir keeps screenshots)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from textual.widgets import Button, Static

from domain.services.quality import ncr
from screens.quality.ncr import NcrScreen, NcrsScreen
from tests.conftest import TestDatabase
from tests.identity_helpers import Person, admin_for, enrol
from tests.integration.step_inspection_helpers import (
    InspectedLine,
    build_inspected_line,
    release_rework_routing,
)
from tests.ui.conftest import sign_in, until
from tests.ui.materials_helpers import choose, shoot, type_on_screen
from tests.ui.quality_helpers import open_tile, press


@pytest.fixture(scope="module")
def line(database: TestDatabase, session_factory: sessionmaker[Session]) -> InspectedLine:
    return build_inspected_line(database, session_factory)


@pytest.fixture(scope="module")
def qa(database: TestDatabase, session_factory: sessionmaker[Session]) -> Person:
    return enrol(session_factory, admin_for(database), roles=("qa",), prefix="qarw")


def _text(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def _rework_ncr(line: InspectedLine) -> str:
    """A failed step inspection referred to an NCR, rework chosen and approved by QA."""
    wo = line.new_work_order()
    line.run_first_step(wo)
    line.inspect(wo, fail=2)
    return line.refer_and_approve(wo, "rework")


async def _open_ncr(pilot: Any, number: str) -> NcrScreen:
    app = pilot.app
    app.push_screen(NcrScreen(app.screen.backend, number))  # type: ignore[attr-defined]
    await until(pilot, lambda: isinstance(app.screen, NcrScreen), "the NCR")
    screen = app.screen
    await until(pilot, lambda: screen.detail is not None, "the NCR loaded")
    return screen


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_a_rework_ncr_on_its_screen(
    make_station, line: InspectedLine, qa: Person, database: TestDatabase,
    session_factory: sessionmaker[Session], size: tuple[int, int],
) -> None:  # fmt: skip
    number = _rework_ncr(line)
    station = make_station()
    app = station.app
    async with app.run_test(size=size) as pilot:
        await sign_in(pilot, station, qa, touch=True)
        await open_tile(pilot, "ncrs", NcrsScreen)
        screen = await _open_ncr(pilot, number)
        if not any(line.item in o for o in _rework_items(line)):
            # before the rework routing: the database's condition, asked before the PIN
            assert screen.query_one("#ncr-execute", Button).disabled
            why = _text(screen, "#ncr-execute-why")
            assert "rework needs a BOM and a rework routing revision" in why, why
            shoot(app, f"ncr-rework-refused-{size[0]}x{size[1]}")
            release_rework_routing(line, database, session_factory)
            screen.load()
            await until(pilot, lambda: not screen.query_one("#ncr-execute", Button).disabled,
                        "Carry out offered")  # fmt: skip
        with line.uow(line.plant.qa) as uow:
            ncr.disposition_ncr(uow, number, line.plant.signing(line.plant.qa))
            uow.commit()
        answers = screen.answers
        screen.load()
        await until(pilot, lambda: screen.answers > answers, "the NCR again")
        lots = _text(screen, "#ncr-lots")
        assert "Rework: WO-" in lots and "reworks lot" in lots and "planned" in lots, lots
        await pilot.pause()
        shoot(app, f"ncr-rework-{size[0]}x{size[1]}")


def _rework_items(line: InspectedLine) -> list[str]:
    with line.uow(line.plant.qa) as uow:
        rows = uow.session.execute(
            text(
                "SELECT i.item_number FROM workcell.routing_revision r JOIN workcell.item i"
                " ON i.id = r.item_id WHERE r.purpose = 'rework' AND r.status = 'released'"
            )
        )
        return [str(r[0]) for r in rows]


async def test_an_ncr_raised_from_a_deviation_on_the_ncrs_screen(
    make_station, line: InspectedLine, qa: Person
) -> None:
    dev, output = line.failed_leak_test(line.new_work_order())
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(pilot, station, qa, touch=True)
        await open_tile(pilot, "ncrs", NcrsScreen)
        await type_on_screen(pilot, "#ncrs-deviation", dev)
        await type_on_screen(pilot, "#ncrs-title", "LEAK")
        await type_on_screen(pilot, "#ncrs-description", "ONE UNIT LEAKED")
        await choose(pilot, "#ncrs-severity", "3")
        await choose(pilot, "#ncrs-occurrence", "2")
        await press(pilot, "#ncrs-raise")
        await until(pilot, lambda: isinstance(app.screen, NcrScreen), "the new NCR")
        screen = app.screen
        await until(pilot, lambda: screen.detail is not None, "the NCR loaded")
        assert f"from deviation {dev}" in _text(screen, "#ncr-head")
        assert f"{output} (named)" in _text(screen, "#ncr-lots")
        await pilot.pause()
        shoot(app, "ncr-from-deviation-160x48")
