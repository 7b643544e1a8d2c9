"""Equipment services on the real database (issue 14 item 7): the usable check refuses an
unknown unit, one of another class, out of service, out of calibration or not cleaned, each
with its own error; calibration and cleaning records move the due dates; a failed
calibration takes the unit out of service; a use records the calibration in force; a
weighing from the simulated balance over a real socket carries the balance's serial."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import (
    DeviceMismatch,
    EquipmentNotClean,
    EquipmentOutOfCalibration,
    EquipmentOutOfService,
    EquipmentUnknown,
    PermissionDenied,
    RecordLocked,
    RuleViolation,
    SignatureRefused,
    WrongEquipment,
)
from domain.services import equipment
from domain.services.equipment import Calibration, Registration
from domain.services.materials.db import run, scalar
from hardware.balance import BalanceUnstable, MtSicsBalance, TcpTransport
from hardware.balance_sim import BalanceSimulator
from tests.conftest import TestDatabase, unique
from tests.integration.equipment_helpers import Room, build_room

pytestmark = pytest.mark.pg18


@pytest.fixture(scope="module")
def room(database: TestDatabase, session_factory: sessionmaker[Session]) -> Room:
    return build_room(database, session_factory)


def _usable(room: Room, asset: str, class_name: str | None) -> int:
    with room.uow(room.operator) as uow:
        return equipment.check_usable(uow, asset, class_name)


def test_an_unknown_unit_and_a_unit_of_another_class_are_refused(room: Room) -> None:
    driver = room.unit(room.driver_class, "Torque driver 0.5-5 Nm")
    room.calibrate(driver)
    with pytest.raises(EquipmentUnknown, match="There is no equipment nosuch"):
        _usable(room, "nosuch", room.driver_class)
    with pytest.raises(WrongEquipment, match=f"this step needs a {room.balance_class}"):
        _usable(room, driver, room.balance_class)
    assert _usable(room, driver.lower(), room.driver_class) > 0  # the tag as typed


def test_a_unit_is_usable_only_once_calibrated_and_until_its_due_date(room: Room) -> None:
    driver = room.unit(room.driver_class)
    with pytest.raises(EquipmentOutOfCalibration, match="never been calibrated"):
        _usable(room, driver, room.driver_class)
    room.calibrate(driver, days=30)
    unit_id = _usable(room, driver, room.driver_class)
    room.pass_time(driver, calibration_due=room.today)  # due today: still usable today
    assert _usable(room, driver, room.driver_class) == unit_id
    room.pass_time(driver, calibration_due=room.today - dt.timedelta(days=1))
    with pytest.raises(EquipmentOutOfCalibration, match="it was due on"):
        _usable(room, driver, room.driver_class)
    with room.uow(room.operator) as uow:
        view = equipment.get_unit(uow, driver)
    assert not view.usable and view.refusal and "out of calibration" in view.refusal


def test_a_failed_calibration_takes_the_unit_out_of_service(room: Room) -> None:
    driver = room.unit(room.driver_class)
    room.calibrate(driver)
    room.calibrate(driver, result="fail")
    with room.uow(room.operator) as uow:
        view = equipment.get_unit(uow, driver)
        assert (view.status, view.calibration_due) == ("out_of_service", None)
        assert view.status_reason.startswith("calibration failed")
    with pytest.raises(EquipmentOutOfService):
        _usable(room, driver, room.driver_class)
    with room.uow(room.supervisor) as uow:
        equipment.set_status(uow, driver, "in_service", "adjusted by the vendor")
        uow.commit()
    with pytest.raises(EquipmentOutOfCalibration, match="last calibration failed"):
        _usable(room, driver, room.driver_class)


def test_taking_out_returning_and_retiring_follow_their_rules(room: Room) -> None:
    driver = room.unit(room.driver_class)
    room.calibrate(driver)
    with room.uow(room.operator) as uow:
        equipment.set_status(uow, driver, "out_of_service", "bit slips")
        uow.commit()
    with pytest.raises(EquipmentOutOfService, match=r"out of service \(bit slips\)"):
        _usable(room, driver, room.driver_class)
    with (
        room.uow(room.operator) as uow,
        pytest.raises(PermissionDenied, match=r"equipment\.manage"),
    ):
        equipment.set_status(uow, driver, "in_service", "looks fine to me")
    with room.uow(room.supervisor) as uow:
        equipment.set_status(uow, driver, "retired", "worn out")
        uow.commit()
    with room.uow(room.supervisor) as uow, pytest.raises(RuleViolation, match="cannot move"):
        equipment.set_status(uow, driver, "in_service", "again")
    with room.uow(room.qa) as uow, pytest.raises(RuleViolation, match="retired"):
        due = room.today + dt.timedelta(days=5)
        equipment.calibrate(uow, driver, Calibration("pass", "C-1", due), room.signing(room.qa))
    with room.uow(room.operator) as uow:
        history = equipment.get_equipment(uow, driver).history
    assert [h.kind for h in history if h.kind == "status"] == ["status", "status"]


def test_cleaning_is_required_where_the_class_says_so(room: Room) -> None:
    mixer = room.unit(room.mixer_class, "Mixing vessel 50 L")
    with pytest.raises(EquipmentNotClean, match="no cleaning record"):
        _usable(room, mixer, room.mixer_class)
    room.clean(mixer)
    assert _usable(room, mixer, room.mixer_class) > 0
    with room.uow(room.operator) as uow:
        assert equipment.get_unit(uow, mixer).cleaning_due == room.today + dt.timedelta(days=7)
    room.pass_time(mixer, cleaning_due=room.today - dt.timedelta(days=1))
    with pytest.raises(EquipmentNotClean, match="cleaning was due on"):
        _usable(room, mixer, room.mixer_class)


def test_calibration_due_dates_and_signers_are_checked(room: Room) -> None:
    driver = room.unit(room.driver_class)
    cases = [
        (room.today, "after today"),  # due today: not a new calibration
        (room.today - dt.timedelta(days=400), "after today"),  # backdated certificate
        (room.today + dt.timedelta(days=181), "at most 180 days"),  # beyond the interval
    ]
    for due, message in cases:
        with room.uow(room.qa) as uow, pytest.raises(RuleViolation, match=message):
            equipment.calibrate(uow, driver, Calibration("pass", "C-9", due), room.signing(room.qa))
    with room.uow(room.operator) as uow, pytest.raises(SignatureRefused):
        due = room.today + dt.timedelta(days=9)
        equipment.calibrate(
            uow, driver, Calibration("pass", "C-9", due), room.signing(room.operator)
        )
    with room.uow(room.operator) as uow:
        assert equipment.get_unit(uow, driver).last_calibration_id is None


def test_registration_facts_never_change(room: Room) -> None:
    balance = room.balance()
    with room.uow(room.supervisor) as uow, pytest.raises(RecordLocked):
        equipment.register(uow, Registration(unique("BAL-").upper(), room.balance_class,
                                             "a balance without its data"))  # fmt: skip
    with room.uow(room.supervisor) as uow, pytest.raises(PermissionDenied):
        run(uow, "UPDATE workcell.equipment SET device_serial = 'OTHER' WHERE asset_id = :a",
            {"a": balance})  # fmt: skip


def test_a_use_records_the_calibration_in_force(room: Room) -> None:
    driver = room.unit(room.driver_class)
    calibration = room.calibrate(driver, days=90)
    with room.uow(room.operator, "step 12: torque 2.5 Nm") as uow:
        unit_id = equipment.check_usable(uow, driver, room.driver_class)
        use = equipment.record_use(uow, unit_id, "step_entry", 12)
        row = uow.session.execute(
            text(
                "SELECT calibration_id, calibration_due, context, context_id"
                " FROM workcell.equipment_use WHERE id = :id"
            ),
            {"id": use},
        ).one()
        uow.commit()
    assert tuple(row) == (calibration, room.today + dt.timedelta(days=90), "step_entry", 12)


@pytest.fixture
def sim() -> Iterator[BalanceSimulator]:
    with BalanceSimulator(serial=unique("SN").upper(), decimals=4) as running:
        yield running


def _client(sim: BalanceSimulator) -> MtSicsBalance:
    return MtSicsBalance(TcpTransport("127.0.0.1", sim.port), timeout_s=2, retry_pause_s=0.01)


def test_a_weighing_from_the_balance_is_stored_with_its_serial_and_calibration(
    room: Room, sim: BalanceSimulator
) -> None:
    balance = room.balance(serial=sim.serial)
    calibration = room.calibrate(balance)
    scale = _client(sim)
    sim.load(Decimal("2.5"))
    scale.tare()
    sim.load(Decimal("14.84567"))
    with room.uow(room.operator, "step 7: weigh API") as uow:
        weighing = equipment.weigh(uow, balance, scale, room.balance_class)
        use = equipment.record_use(uow, weighing.equipment_id, "step_entry", 7, weighing)
        stored = uow.session.execute(
            text(
                "SELECT reading_value, reading_unit, tare_value, device_serial, calibration_id"
                " FROM workcell.equipment_use WHERE id = :id"
            ),
            {"id": use},
        ).one()
        uow.commit()
    scale.close()
    assert (weighing.value, weighing.unit, weighing.tare) == (
        Decimal("12.3457"),
        "g",
        Decimal("2.5000"),
    )
    assert tuple(stored) == (Decimal("12.3457"), "g", Decimal("2.5"), sim.serial, calibration)


def test_a_reading_from_another_balance_or_unsettled_is_refused(
    room: Room, sim: BalanceSimulator
) -> None:
    balance = room.balance()  # registered with another serial than the simulator's
    room.calibrate(balance)
    scale = _client(sim)
    with room.uow(room.operator) as uow, pytest.raises(DeviceMismatch, match="reports serial"):
        equipment.weigh(uow, balance, scale, room.balance_class)
    right = room.balance(serial=sim.serial)
    room.calibrate(right)
    sim.stable = False
    with room.uow(room.operator) as uow, pytest.raises(BalanceUnstable):
        equipment.weigh(uow, right, scale, room.balance_class)
    sim.stable = True
    with room.uow(room.operator) as uow:
        weighing = equipment.weigh(uow, right, scale, room.balance_class)
        other = scalar(uow, "SELECT id FROM workcell.equipment WHERE asset_id = :a", {"a": balance})
        forged = replace(weighing, equipment_id=int(other))
        with pytest.raises(DeviceMismatch, match="reports serial"):
            equipment.record_use(uow, forged.equipment_id, "step_entry", 1, forged)
    scale.close()
