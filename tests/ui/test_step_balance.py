"""Equipment at the step screen with touch taps (and the scanner), the balance simulated on
a real local socket: a balance out of calibration is refused with why and nothing recorded;
the usable balance scanned, tared and read (value, tare, serial and calibration stored, the
reading marked as from the balance); "performed" waits for the unit; an unstable or offline
balance says so and records nothing, and the value can still be typed (marked typed); a unit
picked from the list."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Static

from hardware.balance_sim import BalanceSimulator
from hardware.fakes import FakeScanner
from kiosk.bridge import wedge_config
from screens.widgets.choice import ChoiceModal
from screens.widgets.keyboard import KeyboardModal, key_id
from screens.work_orders.queue import QueueScreen
from screens.work_orders.step import StepScreen
from tests.conftest import TestDatabase, unique
from tests.ui.conftest import Station, sign_in, tap, until
from tests.ui.step_balance_helpers import WeighLine, build_weigh_line


@pytest.fixture(scope="module")
def line(database: TestDatabase, session_factory: sessionmaker[Session]) -> WeighLine:
    return build_weigh_line(database, session_factory)


@pytest.fixture
def sim() -> Iterator[BalanceSimulator]:
    with BalanceSimulator(serial=unique("B").upper()[:12]) as simulator:
        yield simulator


def _rows(line: WeighLine, number: str) -> list[Any]:
    sql = (
        "SELECT e.value_numeric, e.value_source, x.tare_value, x.device_serial, x.calibration_due"
        "  FROM workcell.step_entry e JOIN workcell.step_instance s ON s.id = e.step_instance_id"
        "  JOIN workcell.work_order w ON w.id = s.work_order_id"
        "  LEFT JOIN workcell.equipment_use x ON x.id = e.equipment_use_id"
        " WHERE w.number = :n ORDER BY e.id"
    )
    with line.factory() as session:
        return list(session.execute(text(sql), {"n": number}))


def _units(line: WeighLine, number: str) -> int:
    sql = (
        "SELECT count(*) FROM workcell.step_equipment u JOIN workcell.step_instance s"
        " ON s.id = u.step_instance_id JOIN workcell.work_order w ON w.id = s.work_order_id"
        " WHERE w.number = :n"
    )
    with line.factory() as session:
        return int(session.execute(text(sql), {"n": number}).scalar_one())


def _status(app: Any) -> str:
    return str(app.screen.query_one("#step-status", Static).render())


async def _open(pilot: Pilot[Any], app: Any, number: str) -> StepScreen:
    await tap(pilot, "#tile-work-queue")
    await until(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue")
    table = app.screen.query_one("#wo-table", DataTable)
    await until(pilot, lambda: number in [k.value for k in table.rows], f"{number} queued")
    await pilot.wait_for_scheduled_animations()
    index = table.get_row_index(number)
    table.scroll_to(y=sum(r.height for r in table.ordered_rows[:index]), animate=False)
    above = sum(r.height for r in table.ordered_rows[:index])
    await until(pilot, lambda: table.scroll_y == min(table.max_scroll_y, above), "row in view")
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


async def _scan(pilot: Pilot[Any], station: Station, data: str) -> None:
    await pilot.press(*FakeScanner(wedge_config(station.settings.scanner)).keys(data))


async def test_refused_balance_then_tare_and_read(
    make_station, line: WeighLine, sim: BalanceSimulator
) -> None:
    """Out of calibration: refused by the database, said, nothing recorded; the usable
    balance scanned, tared, read: the value with its tare, serial and calibration."""
    number = line.new_work_order()
    stale = line.balance(unique("B").upper()[:12], calibrated=False)
    good = line.balance(sim.serial)
    station = make_station(balances={good: sim.url})
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, line.operator, touch=True)
        step = await _open(pilot, app, number)
        assert step.view is not None and step.view.needs_unit
        await until(pilot, lambda: app.screen.query_one("#sign-performed").display, "performed")
        assert app.screen.query_one("#sign-performed", Button).disabled
        assert "Scan the" in _status(app)
        assert not app.screen.query("#weigh-resin_g")  # no balance recorded: no reading

        await _scan(pilot, station, stale)
        await until(pilot, lambda: "Refused" in _status(app), "the stale balance refused")
        assert "out of calibration" in _status(app) and stale in _status(app)
        assert _units(line, number) == 0 and step.view.unit is None

        await _scan(pilot, station, good)
        await until(pilot, lambda: step.view.unit is not None, "the balance recorded")
        await until(pilot, lambda: app.screen.query("#weigh-resin_g"), "Read balance offered")
        sim.load(Decimal("2.5"))
        await tap(pilot, "#equipment-tare")
        await until(pilot, lambda: "Tared: 2.5 g" in _status(app), "tared")
        sim.load(Decimal("7.5012"))
        await tap(pilot, "#weigh-resin_g")
        await until(pilot, lambda: step.view.entry("RESIN_G") is not None, "the reading saved")
        entry = step.view.entry("RESIN_G")
        assert (
            entry.source == "balance"
            and good in entry.instrument
            and "tare 2.5 g" in entry.instrument
        )
        assert not app.screen.query_one("#sign-performed", Button).disabled
    ((value, source, tare, serial, due),) = _rows(line, number)
    assert (value, source, tare, serial) == (
        Decimal("5.0012"),
        "balance",
        Decimal("2.5"),
        sim.serial,
    )
    assert due is not None


@pytest.mark.parametrize("failure", ["unstable", "offline"])
async def test_a_failing_balance_records_nothing_and_typing_stays_possible(
    make_station, line: WeighLine, sim: BalanceSimulator, failure: str
) -> None:
    """Unstable or switched off: the reason said, nothing recorded; the value typed on the
    keypad instead is saved and marked typed."""
    number = line.new_work_order()
    good = line.balance(sim.serial)
    station = make_station(balances={good: sim.url})
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, line.operator, touch=True)
        step = await _open(pilot, app, number)
        await tap(pilot, "#equipment-pick")
        await until(pilot, lambda: isinstance(app.screen, ChoiceModal), "the pick list")
        choice = app.screen
        index = choice.options.index(good)
        await tap(pilot, f"#choice-{index}")
        await until(pilot, lambda: step.view.unit is not None, "the picked balance recorded")
        await until(pilot, lambda: app.screen.query("#weigh-resin_g"), "Read balance offered")
        if failure == "unstable":
            sim.stable = False
        else:
            sim.stop()
        await tap(pilot, "#weigh-resin_g")
        word = "not stable" if failure == "unstable" else "not answering"
        await until(pilot, lambda: word in _status(app), f"the balance {word}")
        assert _rows(line, number) == [] and step.view.entry("RESIN_G") is None

        await tap(pilot, "#enter-resin_g")
        await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "the keypad")
        for char in "5.02":
            await tap(pilot, "#" + key_id(char))
        modal = app.screen
        await tap(pilot, "#kb-ok")
        await until(pilot, lambda: app.screen is not modal, "the keypad closed")
        await until(pilot, lambda: step.view.entry("RESIN_G") is not None, "the typed value saved")
        assert step.view.entry("RESIN_G").source == "typed"
        text_shown = str(app.screen.query_one(".field-text", Static).render())
        assert "typed, not read from the balance" in text_shown
    assert [(r[0], r[1]) for r in _rows(line, number)] == [(Decimal("5.02"), "typed")]
