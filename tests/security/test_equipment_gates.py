"""Equipment gates as a plain station login (issue 14 item 7): status moves, calibration and
cleaning records, the record of use and the unit's due dates. Each attack is refused by the
database and changes nothing.

The world is built at the station: a supervisor registers a balance class, a torque-driver
class and a cleaned class with a unit of each; QA calibrates the balance and the driver
(signed "calibrated"); an operator cleans the mixer. Owner-side, time passes for a second
driver (its calibration overdue); a third driver is retired.
"""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from tests.security.attack import Lab, Person, refused, run, sign_in, unique
from tests.security.test_lifecycle_gates import acting_as, one, sign_then

pytestmark = pytest.mark.requirement("11.10(f)", "11.10(h)")

EQUIPMENT = (
    "workcell.equipment_class",
    "workcell.equipment",
    "workcell.equipment_calibration",
    "workcell.equipment_cleaning",
    "workcell.equipment_use",
    "workcell.status_transition",
    "workcell.signature",
    "audit.entry",
)


@dataclass(frozen=True)
class World:
    qa: Person
    supervisor: Person
    operator: Person
    balance_class: str
    driver_class: str
    mixer_class: str
    balance: int
    balance_serial: str
    driver: int
    overdue: int
    retired: int
    mixer: int
    calibration_signature: int


def _calibrate(
    conn: psycopg.Connection[Any], qa: Person, unit: int, due: str = "workcell.plant_today() + 30"
) -> None:
    sign_then(conn, qa, "calibrated", [("equipment", unit)], [
        f"SELECT workcell.record_calibration({unit}, 'pass', '{unique('CERT-')}', 'Metrology Lab', {due},"
        f" (SELECT max(id) FROM workcell.signature WHERE record_type = 'equipment' AND record_id = {unit}), '')"
    ])  # fmt: skip


def _register(
    conn: psycopg.Connection[Any], token: str, cls: str, serial: str | None = None
) -> int:
    balance = serial is not None
    with conn.transaction():
        acting_as(conn, token, "equipment registered (test)")
        return int(one(
            conn,
            "INSERT INTO workcell.equipment (asset_id, class_code, description, device_serial, readability,"
            " capacity, weighing_unit, version) VALUES (%s, %s, 'unit under attack', %s, %s, %s, %s, 1) RETURNING id",
            (unique("SEC-EQ-").upper(), cls, serial, "0.0001" if balance else None,
             "220" if balance else None, "g" if balance else None),
        ))  # fmt: skip


@pytest.fixture(scope="module")
def world(lab: Lab) -> Iterator[World]:
    qa, supervisor = lab.person(["qa"], prefix="qa"), lab.person(["supervisor"], prefix="sup")
    operator = lab.person(["operator"], prefix="op")
    names = [unique(p).upper() for p in ("SBAL-", "STQ-", "SMIX-")]
    serial = unique("SN").upper()
    conn = lab.station()
    try:
        token = sign_in(conn, supervisor)
        with conn.transaction():
            acting_as(conn, token, "equipment classes (test)")
            for name, cal, cleaning, weighing in zip(
                names, (365, 180, None), (None, None, 7), (True, False, False), strict=True
            ):
                conn.execute(
                    "INSERT INTO workcell.equipment_class (name, description, calibration_interval_days,"
                    " cleaning_interval_days, weighing, version) VALUES (%s, 'test class', %s, %s, %s, 1)",
                    (name, cal, cleaning, weighing),
                )
        balance = _register(conn, token, names[0], serial)
        driver, overdue, retired = (_register(conn, token, names[1]) for _ in range(3))
        mixer = _register(conn, token, names[2])
        for unit in (balance, driver, overdue, retired):
            _calibrate(conn, qa, unit)
        run(conn, "SELECT workcell.record_cleaning(%s, 'SOP-CLN-1', '')", (mixer,),
            token=sign_in(conn, operator))  # fmt: skip
        run(conn, "UPDATE workcell.equipment SET status = 'retired', status_reason = 'worn out',"
            " version = version + 1 WHERE id = %s", (retired,), token=token,
            settings=[("workcell.reason", "retired (test)")])  # fmt: skip
    finally:
        conn.close()
    with lab.superuser() as su, su.transaction():
        su.execute("ALTER TABLE workcell.equipment DISABLE TRIGGER equipment_equipment_guard")
        su.execute("SET LOCAL workcell.reason = 'security test: time passes'")
        su.execute("SET LOCAL ROLE workcell_owner")
        su.execute("SELECT set_config('workcell.system_actor', 'system', true)")
        su.execute("UPDATE workcell.equipment SET calibration_due = workcell.plant_today() - 1,"
                   " version = version + 1 WHERE id = %s", (overdue,))  # fmt: skip
        su.execute("RESET ROLE")
        su.execute("ALTER TABLE workcell.equipment ENABLE ALWAYS TRIGGER equipment_equipment_guard")
        signature = int(one(su, "SELECT signature_id FROM workcell.equipment_calibration"
                                " WHERE equipment_id = %s", (driver,)))  # fmt: skip
    yield World(qa, supervisor, operator, names[0], names[1], names[2], balance, serial, driver,
                overdue, retired, mixer, signature)  # fmt: skip


def _token(lab: Lab, person: Person) -> str:
    with lab.station() as conn:
        return sign_in(conn, person)


def _value(lab: Lab, sql: str, params: Sequence[Any] = ()) -> Any:
    with lab.superuser() as conn:
        return one(conn, sql, params)


def _bump(unit: int, assignment: str) -> str:
    return f"UPDATE workcell.equipment SET {assignment}, version = version + 1 WHERE id = {unit}"


def test_the_world_was_built_through_the_gates(lab: Lab, world: World) -> None:
    """Calibrations are signed and move the due date; the retirement is logged."""
    due = _value(
        lab,
        "SELECT calibration_due - workcell.plant_today() FROM workcell.equipment WHERE id = %s",
        (world.driver,),
    )
    assert due == 30
    moves = _value(lab, "SELECT array_agg(action ORDER BY id) FROM workcell.status_transition"
                        " WHERE record_type = 'equipment' AND record_id = %s", (world.retired,))  # fmt: skip
    assert moves == ["retire"]
    with lab.station() as conn:
        assert one(conn, "SELECT workcell.equipment_usable(%s, %s)",
                   (_value(lab, "SELECT asset_id FROM workcell.equipment WHERE id = %s", (world.driver,)),
                    world.driver_class)) == world.driver  # fmt: skip


STATUS_ATTACKS = {
    "taken out without a session": (None, "driver", "status = 'out_of_service', status_reason = 'x'", ("WC001", "WC002")),
    "taken out without a reason": ("operator", "driver", "status = 'out_of_service'", "WC024"),
    "returned to service by an operator": ("operator", "retired", "status = 'in_service', status_reason = 'x'", ("WC024", "WC039")),
    "retired by an operator": ("operator", "driver", "status = 'retired', status_reason = 'x'", "WC039"),
    "retired unit back in service": ("supervisor", "retired", "status = 'in_service', status_reason = 'x'", "WC024"),
    "status reason rewritten": ("supervisor", "retired", "status_reason = 'never retired'", "WC105"),
    "retired unit's record edited": ("supervisor", "retired", "description = 'renamed'", "WC105"),
    "description changed by an operator": ("operator", "driver", "description = 'renamed'", "WC039"),
    "invented status": ("supervisor", "driver", "status = 'calibrated', status_reason = 'x'", ("23514", "WC024")),
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(STATUS_ATTACKS))
def test_a_status_change_without_its_rule_is_refused(lab: Lab, world: World, attack: str) -> None:
    who, unit, assignment, code = STATUS_ATTACKS[attack]
    token = None if who is None else _token(lab, getattr(world, who))
    with lab.untouched(EQUIPMENT), lab.station() as conn:
        refused(code, conn, _bump(getattr(world, unit), assignment), token=token,
                settings=[("workcell.reason", "attack")])  # fmt: skip


DIRECT_WRITES = {
    "calibration due moved": "UPDATE workcell.equipment SET calibration_due = '2099-01-01', version = version + 1",
    "cleaning faked": "UPDATE workcell.equipment SET last_cleaned_at = now(), cleaning_due = '2099-01-01', version = version + 1",
    "serial rewritten": "UPDATE workcell.equipment SET device_serial = 'OTHER', version = version + 1",
    "asset tag rewritten": "UPDATE workcell.equipment SET asset_id = 'X-1', version = version + 1",
    "unit registered out of service": (
        "INSERT INTO workcell.equipment (asset_id, class_code, description, status, version)"
        " SELECT 'SEC-NEW', class_code, 'x', 'out_of_service', 1 FROM workcell.equipment LIMIT 1"),
    "unit registered calibrated": (
        "INSERT INTO workcell.equipment (asset_id, class_code, description, calibration_due, version)"
        " SELECT 'SEC-NEW', class_code, 'x', '2099-01-01', 1 FROM workcell.equipment LIMIT 1"),
    "backdated calibration inserted": (
        "INSERT INTO workcell.equipment_calibration (equipment_id, result, certificate, next_due, signature_id, calibrated_at)"
        " SELECT equipment_id, 'pass', 'FORGED', '2099-01-01', signature_id, '2020-01-01' FROM workcell.equipment_calibration LIMIT 1"),
    "calibration inserted": (
        "INSERT INTO workcell.equipment_calibration (equipment_id, result, certificate, next_due, signature_id)"
        " SELECT equipment_id, 'pass', 'FORGED', '2099-01-01', signature_id FROM workcell.equipment_calibration LIMIT 1"),
    "calibration extended": "UPDATE workcell.equipment_calibration SET next_due = '2099-01-01', version = version + 1",
    "calibration deleted": "DELETE FROM workcell.equipment_calibration",
    "cleaning inserted": (
        "INSERT INTO workcell.equipment_cleaning (equipment_id, procedure, next_due)"
        " SELECT id, 'FORGED', '2099-01-01' FROM workcell.equipment LIMIT 1"),
    "cleaning deleted": "DELETE FROM workcell.equipment_cleaning",
    "use inserted": (
        "INSERT INTO workcell.equipment_use (equipment_id, context, context_id)"
        " SELECT id, 'step_entry', 1 FROM workcell.equipment LIMIT 1"),
    "use rewritten": "UPDATE workcell.equipment_use SET equipment_id = 1, version = version + 1",
    "class turned into balances": "UPDATE workcell.equipment_class SET weighing = true, version = version + 1",
    "class renamed": "UPDATE workcell.equipment_class SET name = 'X', version = version + 1",
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(DIRECT_WRITES))
def test_records_and_due_dates_cannot_be_written_directly(
    lab: Lab, world: World, attack: str
) -> None:
    """Stations hold no grant on the records, the due dates or a unit's identity (42501)."""
    token = _token(lab, world.supervisor)
    with lab.untouched(EQUIPMENT), lab.station() as conn:
        refused("42501", conn, DIRECT_WRITES[attack], token=token,
                settings=[("workcell.reason", "attack")])  # fmt: skip


def _signed_calibration(
    lab: Lab,
    who: Person,
    unit: int,
    due: str,
    signature: str | None = None,
    signed: int | None = None,
) -> psycopg.Error:
    """A calibration of ``unit`` in one signing transaction (the signature on ``signed``,
    by default the unit); returns the refusal."""
    signed = signed or unit
    sig = (
        signature
        or f"(SELECT max(id) FROM workcell.signature WHERE record_type = 'equipment' AND record_id = {signed})"
    )
    with lab.station() as conn, pytest.raises(psycopg.Error) as caught:
        sign_then(conn, who, "calibrated", [("equipment", signed)], [
            f"SELECT workcell.record_calibration({unit}, 'pass', 'CERT-X', '', {due}, {sig}, '')"])  # fmt: skip
    return caught.value


CALIBRATION_ATTACKS = {
    "backdated next due": ("workcell.plant_today() - 1", None, "WC106"),
    "due today": ("workcell.plant_today()", None, "WC106"),
    "beyond the class's interval": ("workcell.plant_today() + 181", None, "WC106"),
    "an old signature reused": ("workcell.plant_today() + 30", "signature", ("WC106", "23505")),
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(CALIBRATION_ATTACKS))
def test_a_calibration_outside_its_rules_is_refused(lab: Lab, world: World, attack: str) -> None:
    due, signature, code = CALIBRATION_ATTACKS[attack]
    sig = str(world.calibration_signature) if signature else None
    with lab.untouched(EQUIPMENT):
        err = _signed_calibration(lab, world.qa, world.driver, due, sig)
    codes = {code} if isinstance(code, str) else set(code)
    assert err.sqlstate in codes, err


def test_a_calibration_by_someone_without_the_permission_or_unsigned_is_refused(
    lab: Lab, world: World
) -> None:
    """An operator cannot sign "calibrated" (WC012); QA without a signature made now, or
    with a signature on another unit, is refused (WC106); nobody without a session (WC001)."""
    with lab.untouched(EQUIPMENT):
        assert (
            _signed_calibration(
                lab, world.operator, world.driver, "workcell.plant_today() + 30"
            ).sqlstate
            == "WC012"
        )
        err = _signed_calibration(
            lab, world.qa, world.balance, "workcell.plant_today() + 30", signed=world.driver
        )
        assert err.sqlstate == "WC106", err
    call = "SELECT workcell.record_calibration(%s, 'pass', 'CERT-Y', '', workcell.plant_today() + 30, %s, '')"
    qa, operator = _token(lab, world.qa), _token(lab, world.operator)
    with lab.untouched(EQUIPMENT), lab.station() as conn:
        refused(("WC001", "WC002"), conn, call, (world.driver, world.calibration_signature))
        refused(("WC106", "23505"), conn, call, (world.driver, world.calibration_signature),
                token=qa, settings=[("workcell.reason", "attack")])  # fmt: skip
        refused("WC039", conn, call, (world.driver, world.calibration_signature),
                token=operator, settings=[("workcell.reason", "attack")])  # fmt: skip


def _use(unit: int, reading: dict[str, str] | None = None) -> tuple[str, tuple[Any, ...]]:
    return ("SELECT workcell.record_equipment_use(%s, 'step_entry', 1, %s::jsonb)",
            (unit, None if reading is None else json.dumps(reading)))  # fmt: skip


def test_a_use_of_a_unit_that_may_not_be_used_is_refused(lab: Lab, world: World) -> None:
    """Overdue (WC103), retired (WC102), a reading from another balance (WC109), over the
    capacity or on a unit that is not a balance (WC107), no session (WC001), a person
    without the permission (QA may use, an auditor-less station login may not)."""
    good = {"value": "1.2345", "unit": "g", "tare": "0", "device_serial": world.balance_serial}
    attacks = [
        ("WC103", _use(world.overdue)),
        ("WC102", _use(world.retired)),
        ("WC109", _use(world.balance, {**good, "device_serial": "SOMEONE-ELSES"})),
        ("WC107", _use(world.balance, {**good, "value": "250"})),
        ("WC107", _use(world.balance, {**good, "unit": "kg"})),
        ("WC107", _use(world.driver, good)),
    ]
    token = _token(lab, world.operator)
    with lab.untouched(EQUIPMENT), lab.station() as conn:
        for code, (statement, params) in attacks:
            refused(
                code, conn, statement, params, token=token, settings=[("workcell.reason", "attack")]
            )
        statement, params = _use(world.driver)
        refused(("WC001", "WC002"), conn, statement, params)


def test_a_cleaning_needs_its_permission_and_a_procedure(lab: Lab, world: World) -> None:
    qa, operator = _token(lab, world.qa), _token(lab, world.operator)
    with lab.untouched(EQUIPMENT), lab.station() as conn:
        refused("WC039", conn, "SELECT workcell.record_cleaning(%s, 'SOP-1', '')", (world.mixer,),
                token=qa, settings=[("workcell.reason", "attack")])  # fmt: skip
        refused("WC106", conn, "SELECT workcell.record_cleaning(%s, '  ', '')", (world.mixer,),
                token=operator, settings=[("workcell.reason", "attack")])  # fmt: skip
        refused(
            ("WC001", "WC002"),
            conn,
            "SELECT workcell.record_cleaning(%s, 'SOP-1', '')",
            (world.mixer,),
        )


def test_the_usable_check_refuses_and_writes_nothing(lab: Lab, world: World) -> None:
    asset = {u: _value(lab, "SELECT asset_id FROM workcell.equipment WHERE id = %s", (getattr(world, u),))
             for u in ("driver", "overdue", "retired")}  # fmt: skip
    checks = [
        ("WC100", ("NOSUCH", world.driver_class)),
        ("WC100", (asset["driver"], "NO-SUCH-CLASS")),
        ("WC101", (asset["driver"], world.balance_class)),
        ("WC102", (asset["retired"], world.driver_class)),
        ("WC103", (asset["overdue"], world.driver_class)),
    ]
    with lab.untouched(EQUIPMENT), lab.station() as conn:
        for code, params in checks:
            refused(code, conn, "SELECT workcell.equipment_usable(%s, %s)", params)


def test_a_legitimate_use_is_recorded_with_the_server_facts(lab: Lab, world: World) -> None:
    """The path that works: an operator records the driver's use; time, actor, station and
    the calibration in force are the server's."""
    token = _token(lab, world.operator)
    with lab.station() as conn:
        statement, params = _use(world.driver)
        use = run(conn, statement, params, token=token, settings=[("workcell.reason", "step 1")])[
            0
        ][0]
    row = _value(lab, "SELECT concat_ws('|', u.username, x.station, x.calibration_id IS NOT NULL) FROM workcell.equipment_use x"
                      " JOIN workcell.users u ON u.id = x.actor_id WHERE x.id = %s", (use,))  # fmt: skip
    assert row == f"{world.operator.username}|station_pytest|t"
