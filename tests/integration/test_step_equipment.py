"""Equipment at the work-order steps on the real database (issue 14 item 7): the routing
step's class is in the routing's signed content and the work order's lock; the unit used is
recorded only when usable for that class (each refusal names why, nothing recorded); the
step is not signed "performed" nor closed without it; a value read from the simulated
balance over a real socket is stored with its tare, serial and calibration; a typed value at
a balance step shows in QA's review by exception; balance failures record nothing."""

# ruff: noqa: E501  (SQL and expected messages read better unwrapped)

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import (
    DeviceMismatch,
    EquipmentOutOfCalibration,
    EquipmentOutOfService,
    EquipmentUnknown,
    InvalidInput,
    SignatureRefused,
    StepBlocked,
    WrongEquipment,
)
from domain.services import equipment
from domain.services.materials.db import scalar
from domain.services.work_orders import execution, review, step_equipment
from hardware.balance import BalanceUnavailable, BalanceUnstable, MtSicsBalance, open_balance
from hardware.balance_sim import BalanceSimulator
from tests.conftest import TestDatabase
from tests.integration.step_equipment_helpers import RESIN, TORQUE, WeighLine, build_weigh_line

pytestmark = pytest.mark.pg18
SERIAL = "B1495STEPS"


@pytest.fixture(scope="module")
def line(database: TestDatabase, session_factory: sessionmaker[Session]) -> WeighLine:
    return build_weigh_line(database, session_factory)


@pytest.fixture
def sim() -> Iterator[BalanceSimulator]:
    with BalanceSimulator(serial=SERIAL) as simulator:
        yield simulator


def _balance(line: WeighLine, serial: str = SERIAL) -> str:
    asset = line.room.balance(serial)
    line.room.calibrate(asset, days=90)
    return asset


def _client(sim: BalanceSimulator) -> MtSicsBalance:
    return open_balance(sim.url, timeout_s=2, attempts=2, retry_pause_s=0.01)


def _counts(line: WeighLine) -> tuple[int, int, int]:
    with line.uow(line.plant.qa) as uow:
        return (
            int(scalar(uow, "SELECT count(*) FROM workcell.step_equipment", {})),
            int(scalar(uow, "SELECT count(*) FROM workcell.equipment_use", {})),
            int(scalar(uow, "SELECT count(*) FROM workcell.step_entry", {})),
        )


def _use(line: WeighLine, number: str, seq: int, asset: str) -> None:
    step = line.step(number, seq)
    with line.uow(line.op) as uow:
        step_equipment.use_equipment(uow, step.id, asset, step.version)
        uow.commit()


def test_the_class_is_in_the_routing_content_and_the_lock(line: WeighLine) -> None:
    number = line.new_work_order()
    with line.uow(line.plant.qa) as uow:
        lock = str(scalar(uow, "SELECT lock_content::text FROM workcell.work_order WHERE number = :n",
                          {"n": number}))  # fmt: skip
        valid = scalar(uow, "SELECT workcell.work_order_lock_valid(id) FROM workcell.work_order"
                       " WHERE number = :n", {"n": number})  # fmt: skip
        step = execution.steps_of(uow, number)[0]
    assert f'"equipment_class": "{line.room.balance_class}"' in lock and valid
    assert step.equipment_class == line.room.balance_class and step.unit is None
    assert any("used not recorded" in b for b in step.blocking)


def test_a_usable_unit_is_recorded_with_its_calibration(line: WeighLine) -> None:
    number = line.new_work_order()
    asset = _balance(line)
    _use(line, number, 1, asset.lower())
    step = line.step(number, 1)
    assert step.unit is not None and step.unit.asset_id == asset and step.unit.balance
    assert step.unit.calibration_due == line.room.today + dt.timedelta(days=90)
    assert not any("used not recorded" in b for b in step.blocking)
    with line.uow(line.plant.qa) as uow:
        content = str(
            scalar(uow, "SELECT workcell.step_instance_content(:s)::text", {"s": step.id})
        )
        summary = str(
            scalar(uow, "SELECT workcell.step_instance_summary(:s)::text", {"s": step.id})
        )
    assert asset in content and f"{line.room.balance_class} used: {asset}" in summary


@pytest.mark.parametrize("problem", ["expired", "out_of_service", "wrong_class", "unknown"])
def test_an_unusable_unit_is_refused_with_why_and_nothing_recorded(
    line: WeighLine, problem: str
) -> None:
    number = line.new_work_order()
    asset = _balance(line)
    expected: tuple[type[Exception], str]
    if problem == "expired":
        due = line.room.today - dt.timedelta(days=2)
        line.room.pass_time(asset, calibration_due=due)
        expected = (
            EquipmentOutOfCalibration,
            f"{asset} is out of calibration: it was due on {due}",
        )
    elif problem == "out_of_service":
        with line.uow(line.op) as uow:
            equipment.set_status(uow, asset, "out_of_service", "pan damaged")
            uow.commit()
        expected = (EquipmentOutOfService, "out of service (pan damaged)")
    elif problem == "wrong_class":
        asset = line.room.unit(line.room.driver_class)
        line.room.calibrate(asset)
        expected = (WrongEquipment, f"this step needs a {line.room.balance_class}")
    else:
        asset, expected = "NO-SUCH-UNIT", (EquipmentUnknown, "There is no equipment NO-SUCH-UNIT")
    before, step = _counts(line), line.step(number, 1)
    with line.uow(line.op) as uow, pytest.raises(expected[0], match=re.escape(expected[1])):
        step_equipment.use_equipment(uow, step.id, asset, step.version)
    assert _counts(line) == before
    after = line.step(number, 1)
    assert after.unit is None and after.version == step.version and after.status == "pending"


def test_performed_and_close_are_refused_without_the_unit(line: WeighLine) -> None:
    number = line.new_work_order()
    step = line.step(number, 2)
    with line.uow(line.op) as uow:
        step = execution.enter_value(uow, step.id, TORQUE, "2.0", step.version)
        uow.commit()
    with (
        line.uow(line.op) as uow,
        pytest.raises(SignatureRefused, match="equipment used is recorded"),
    ):
        execution.sign_step(uow, step.id, "performed", line.plant.signing(line.op))
    with line.uow(line.op) as uow, pytest.raises(StepBlocked, match="used not recorded"):
        execution.finish_step(uow, step.id, step.version)
    driver = line.room.unit(line.room.driver_class)
    line.room.calibrate(driver)
    _use(line, number, 2, driver)
    with line.uow(line.op) as uow:
        signed = execution.sign_step(uow, step.id, "performed", line.plant.signing(line.op))
        done = execution.finish_step(uow, step.id, signed.version)
        uow.commit()
    assert done.status == "done"


def test_a_stable_reading_is_recorded_with_tare_serial_and_calibration(
    line: WeighLine, sim: BalanceSimulator
) -> None:
    number = line.new_work_order()
    asset = _balance(line)
    _use(line, number, 1, asset)
    client = _client(sim)
    sim.load(Decimal("2.5000"))
    client.tare()
    sim.load(Decimal("7.5012"))
    step = line.step(number, 1)
    with line.uow(line.op) as uow:
        after = step_equipment.weigh_value(uow, step.id, RESIN, client, step.version)
        uow.commit()
    client.close()
    entry = after.fields[0].current
    assert entry is not None and entry.value == "5.0012" and entry.value_source == "balance"
    assert entry.read_from == asset and entry.tare == Decimal("2.5")
    with line.uow(line.plant.qa) as uow:
        row = uow.session.execute(text(
            "SELECT x.reading_value, x.tare_value, x.device_serial, x.calibration_due, x.actor_id = e.entered_by"
            "  FROM workcell.step_entry e JOIN workcell.equipment_use x ON x.id = e.equipment_use_id"
            " WHERE e.id = :e"), {"e": entry.id}).one()  # fmt: skip
        exceptions = review.review_by_exception(uow, number)
    assert row == (
        Decimal("5.0012"),
        Decimal("2.5"),
        SERIAL,
        line.room.today + dt.timedelta(days=90),
        True,
    )
    assert not [x for x in exceptions if x.kind == "typed_value"]


def test_an_out_of_limit_reading_opens_a_deviation_and_a_reweigh_is_a_correction(
    line: WeighLine, sim: BalanceSimulator
) -> None:
    number = line.new_work_order()
    _use(line, number, 1, _balance(line))
    client = _client(sim)
    sim.load(Decimal("5.4"))
    step = line.step(number, 1)
    with line.uow(line.op) as uow:
        step = step_equipment.weigh_value(uow, step.id, RESIN, client, step.version)
        uow.commit()
    assert step.fields[0].current is not None and step.fields[0].current.out_of_limit
    assert [d.kind for d in step.deviations] == ["out_of_limit"]
    assert "read from" in step.deviations[0].actual
    sim.load(Decimal("5.0"))
    with line.uow(line.op) as uow, pytest.raises(InvalidInput, match="say why"):
        step_equipment.weigh_value(uow, step.id, RESIN, client, step.version)
    with line.uow(line.op) as uow:
        step = step_equipment.weigh_value(uow, step.id, RESIN, client, step.version, "spilled")
        uow.commit()
    client.close()
    history = step.fields[0].history
    assert [e.value for e in history] == ["5.4", "5"] and history[1].reason == "spilled"
    assert history[1].value_source == "balance" and history[0].superseded


@pytest.mark.parametrize("failure", ["unstable", "offline", "other_balance"])
def test_a_balance_failure_records_nothing(
    line: WeighLine, sim: BalanceSimulator, failure: str
) -> None:
    number = line.new_work_order()
    asset = _balance(line, SERIAL if failure != "other_balance" else "B0000OTHER")
    _use(line, number, 1, asset)
    client = _client(sim)
    sim.load(Decimal("5"))
    expected: type[Exception] = BalanceUnstable
    if failure == "unstable":
        sim.stable = False
    elif failure == "offline":
        sim.stop()
        expected = BalanceUnavailable
    else:
        expected = DeviceMismatch
    before, step = _counts(line), line.step(number, 1)
    with line.uow(line.op) as uow, pytest.raises(expected):
        step_equipment.weigh_value(uow, step.id, RESIN, client, step.version)
    client.close()
    assert _counts(line) == before
    with line.uow(line.op) as uow:  # the typed fallback still works, and is marked typed
        typed = execution.enter_value(uow, step.id, RESIN, "5.01", line.step(number, 1).version)
        uow.commit()
        rows = review.review_by_exception(uow, number)
    assert typed.fields[0].current is not None and typed.fields[0].current.value_source == "typed"
    flagged = [x for x in rows if x.kind == "typed_value"]
    assert len(flagged) == 1 and "typed" in flagged[0].title and asset in flagged[0].detail


def test_a_unit_that_is_not_a_balance_cannot_be_read(line: WeighLine) -> None:
    number = line.new_work_order()
    driver = line.room.unit(line.room.driver_class)
    line.room.calibrate(driver)
    _use(line, number, 2, driver)
    step = line.step(number, 2)
    with line.uow(line.op) as uow, pytest.raises(InvalidInput, match="is not a balance"):
        step_equipment.weigh_value(uow, step.id, TORQUE, _NoScale(), step.version)


def test_the_pick_list_says_which_units_are_usable(line: WeighLine) -> None:
    number = line.new_work_order()
    good = _balance(line)
    never = line.room.balance()
    step = line.step(number, 1)
    with line.uow(line.op) as uow:
        units = {u.asset_id: u for u in step_equipment.units_for(uow, step.id)}
    assert units[good].usable and not units[never].usable
    assert units[never].refusal is not None and "never been calibrated" in units[never].refusal


class _NoScale:
    tare_weight = None

    def serial_number(self) -> str:
        raise AssertionError("a unit that is not a balance is never asked")

    def stable_weight(self) -> object:
        raise AssertionError("a unit that is not a balance is never asked")
