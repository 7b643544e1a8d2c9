"""Equipment at the work-order steps as a plain station login (issue 14 item 7, migration
0021): an unusable unit (out of calibration, out of service, wrong class, unknown) is never
recorded as used; "balance" values without the balance's reading are refused however they
are sent; "performed" is not signed and the step not closed without the unit; the routing
step's class is under change control. Each attack is refused and changes nothing.

The world is built through the services (tests/integration/step_equipment_helpers.py) in a
database of this module's own: a routing weighing resin on a balance class and torquing a
cap with a torque-driver class; a usable balance recorded at work order A's weighing step;
A's torque value typed without any unit recorded; work order B untouched.
"""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from domain.db import make_engine, make_session_factory
from domain.services import equipment, scram
from domain.services.work_orders import execution, step_equipment
from tests.conftest import bootstrap_test_admin, create_test_database, drop_test_database
from tests.integration.engineering_helpers import ENGINEER, PIN
from tests.integration.identity_fixtures import busy_station_policy
from tests.integration.step_equipment_helpers import RESIN, TORQUE, WeighLine, build_weigh_line
from tests.security.attack import CHEAP, Lab, Person, challenge, proof, refused, sign_in

SERIAL = "B1495SECUR"
WATCHED = (
    "workcell.step_equipment", "workcell.equipment_use", "workcell.step_entry",
    "workcell.step_instance", "workcell.deviation", "workcell.signature", "workcell.work_order",
    "workcell.routing_step", "audit.entry",
)  # fmt: skip


@dataclass(frozen=True)
class World:
    lab: Lab
    line: WeighLine
    op: Person
    weigh_a: int  # A's weighing step: the good balance recorded
    torque_a: int  # A's torque step: value typed, no unit
    weigh_b: int  # B's weighing step: nothing recorded
    output_b: int  # B's output step (names no equipment)
    units: dict[str, int]  # good, expired, out_of_service, driver, uncalibrated_driver
    assets: dict[str, str]


def _one(lab: Lab, sql: str, params: Sequence[Any] = ()) -> Any:
    with lab.superuser() as conn:
        row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


def _units(line: WeighLine) -> dict[str, str]:
    room = line.room
    assets = {"good": room.balance(SERIAL), "expired": room.balance(), "out_of_service": room.balance(),
              "driver": room.unit(room.driver_class), "uncalibrated_driver": room.unit(room.driver_class)}  # fmt: skip
    for name in ("good", "expired", "out_of_service", "driver"):
        room.calibrate(assets[name], days=60)
    room.pass_time(assets["expired"], calibration_due=room.today.replace(day=1))
    with line.uow(line.op) as uow:
        equipment.set_status(uow, assets["out_of_service"], "out_of_service", "dropped")
        uow.commit()
    return assets


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    db = create_test_database("wcsteq")
    try:
        bootstrap_test_admin(db)
        busy_station_policy(db.admin)
        lab = Lab(
            db,
            scram.Cost(
                CHEAP["argon2_memory_kib"], CHEAP["argon2_time_cost"], CHEAP["argon2_parallelism"]
            ),
        )
        engine = make_engine(db.station)
        line = build_weigh_line(db, make_session_factory(engine))
        assets = _units(line)
        a, b = line.new_work_order(), line.new_work_order()
        weigh_a, torque_a = line.step(a, 1), line.step(a, 2)
        with line.uow(line.op) as uow:
            step_equipment.use_equipment(uow, weigh_a.id, assets["good"], weigh_a.version)
            execution.enter_value(uow, torque_a.id, TORQUE, "2.0", torque_a.version)
            uow.commit()
        engine.dispose()
        op = _one(lab, "SELECT id FROM workcell.users WHERE username = %s", (line.op,))
        units = {
            k: _one(lab, "SELECT id FROM workcell.equipment WHERE asset_id = %s", (v,))
            for k, v in assets.items()
        }
        yield World(lab, line, Person(int(op), line.op, line.op, PIN, None), weigh_a.id, torque_a.id,
                    line.step(b, 1).id, line.step(b, 3).id, units, assets)  # fmt: skip
    finally:
        drop_test_database(db)


def _version(w: World, step: int) -> int:
    return int(_one(w.lab, "SELECT version FROM workcell.step_instance WHERE id = %s", (step,)))


def _attack(
    w: World,
    code: str | tuple[str, ...],
    sql: str,
    params: Sequence[Any] = (),
    who: Person | None = None,
) -> psycopg.Error:
    with w.lab.station() as conn:
        token = sign_in(conn, who or w.op, "username+pin")
    with w.lab.untouched(WATCHED), w.lab.station() as conn:
        return refused(
            code, conn, sql, params, token=token, settings=[("workcell.reason", "attack")]
        )


def _reading(value: str = "5.0000", serial: str = SERIAL, unit: str = "g") -> str:
    return json.dumps({"value": value, "unit": unit, "tare": "2.5", "device_serial": serial})


@pytest.mark.parametrize(("unit", "code", "says"), [
    ("expired", "WC103", "is out of calibration: it was due on"),
    ("out_of_service", "WC102", "is out of service (dropped)"),
    ("driver", "WC101", "this step needs a"),
])  # fmt: skip
def test_an_unusable_unit_is_not_recorded_at_the_step(
    world: World, unit: str, code: str, says: str
) -> None:
    """The scan of a unit out of calibration, out of service or of another class is refused
    by the database with the reason, naming the unit; nothing is recorded."""
    err = _attack(world, code, "SELECT workcell.wo_use_equipment(%s, %s, %s)",
                  (world.weigh_b, world.assets[unit], _version(world, world.weigh_b)))  # fmt: skip
    assert world.assets[unit] in str(err) and says in str(err)


def test_an_uncalibrated_torque_driver_and_an_unknown_tag_are_refused(world: World) -> None:
    """Never calibrated (WC103) at the torque step; a tag nobody registered (WC100)."""
    v = _version(world, world.torque_a)
    _attack(
        world,
        "WC103",
        "SELECT workcell.wo_use_equipment(%s, %s, %s)",
        (world.torque_a, world.assets["uncalibrated_driver"], v),
    )
    _attack(
        world,
        "WC100",
        "SELECT workcell.wo_use_equipment(%s, 'NO-SUCH-TAG', %s)",
        (world.torque_a, v),
    )


def test_a_step_naming_no_equipment_takes_no_unit(world: World) -> None:
    """WC150: the output step names no class."""
    _attack(world, "WC150", "SELECT workcell.wo_use_equipment(%s, %s, %s)",
            (world.output_b, world.assets["good"], _version(world, world.output_b)))  # fmt: skip


@pytest.mark.parametrize("sql", [
    "INSERT INTO workcell.step_equipment (step_instance_id, equipment_id, equipment_use_id, class_code) SELECT step_instance_id, equipment_id, equipment_use_id, class_code FROM workcell.step_equipment LIMIT 1",
    "UPDATE workcell.step_equipment SET equipment_id = equipment_id",
    "DELETE FROM workcell.step_equipment",
    "UPDATE workcell.step_entry SET value_source = 'balance'",
])  # fmt: skip
def test_direct_writes_are_refused(world: World, sql: str) -> None:
    """Stations hold no grant on the unit-used record or on entries (42501)."""
    _attack(world, "42501", sql)


def test_a_typed_value_cannot_be_marked_as_read_from_the_balance(world: World) -> None:
    """wo_enter with value_source 'balance' and the step's balance: there is no reading
    behind it (WC153)."""
    _attack(world, "WC153", "SELECT workcell.wo_enter(%s, %s, '5.0', %s, %s, 'balance')",
            (world.weigh_a, RESIN, _version(world, world.weigh_a), world.units["good"]))  # fmt: skip


def test_a_reading_recorded_beside_a_typed_value_does_not_make_it_a_balance_value(
    world: World,
) -> None:
    """A use with a reading recorded first by the station, then wo_enter 'balance': the
    entry names no reading of its own (WC153); the whole transaction is refused."""
    _attack(world, "WC153",
            "SELECT workcell.record_equipment_use(%s, 'step_instance', %s, %s::jsonb),"
            " workcell.wo_enter(%s, %s, '5.0', %s, %s, 'balance')",
            (world.units["good"], world.weigh_a, _reading(), world.weigh_a, RESIN,
             _version(world, world.weigh_a), world.units["good"]))  # fmt: skip


@pytest.mark.parametrize(("reading", "code"), [
    (_reading(serial="B9999OTHER"), "WC109"),  # another balance than the one recorded
    (_reading(unit="mg"), "WC107"),  # not in the balance's unit
    (_reading(value="500"), "WC107"),  # over its capacity with the tare? 500 g > 220 g
])  # fmt: skip
def test_a_reading_not_from_the_recorded_balance_is_refused(
    world: World, reading: str, code: str
) -> None:
    _attack(world, code, "SELECT workcell.wo_weigh(%s, %s, %s::jsonb, '', %s)",
            (world.weigh_a, RESIN, reading, _version(world, world.weigh_a)))  # fmt: skip


def test_no_reading_before_the_balance_used_is_recorded(world: World) -> None:
    """WC153 at B's weighing step (no unit recorded)."""
    _attack(world, "WC153", "SELECT workcell.wo_weigh(%s, %s, %s::jsonb, '', %s)",
            (world.weigh_b, RESIN, _reading(), _version(world, world.weigh_b)))  # fmt: skip


def test_a_reading_of_a_torque_value_is_refused(world: World) -> None:
    """WC153: no balance recorded at the torque step (its class is not a balance)."""
    _attack(world, "WC153", "SELECT workcell.wo_weigh(%s, %s, %s::jsonb, '', %s)",
            (world.torque_a, TORQUE, _reading(), _version(world, world.torque_a)))  # fmt: skip


def test_performed_is_not_signed_without_the_unit(world: World) -> None:
    """The torque step's value is recorded but no driver: the "performed" signature is
    refused (WC151) and nothing is written."""
    person = world.op
    with world.lab.untouched(WATCHED), world.lab.station() as conn:
        ch = challenge(conn, person, "sign", "username+pin")
        with pytest.raises(psycopg.Error) as caught, conn.transaction():
            conn.execute("SELECT set_config('workcell.reason', 'attack', true)")
            shown = [{"type": "step_instance", "id": world.torque_a, "version": _version(world, world.torque_a),
                      "hash": conn.execute("SELECT workcell.record_content_hash('step_instance', %s)", (world.torque_a,)).fetchone()[0]}]  # type: ignore[index]  # fmt: skip
            conn.execute("SELECT * FROM workcell.sign(%s, %s, 'performed', %s::jsonb, NULL)",
                         (ch.id, proof(ch, person.pin), json.dumps(shown)))  # fmt: skip
    assert caught.value.sqlstate == "WC151" and "equipment used is recorded" in str(caught.value)


def test_the_step_is_not_closed_without_the_unit(world: World) -> None:
    """wo_step_done on the torque step: refused (its signature is missing too: WC088, or
    the equipment rule: WC152)."""
    _attack(world, ("WC088", "WC152"), "SELECT workcell.wo_step_done(%s, %s)",
            (world.torque_a, _version(world, world.torque_a)))  # fmt: skip


def test_the_class_of_a_released_routing_step_does_not_change(world: World) -> None:
    """Change control: the station's column grant meets the engineering guard: an operator
    may not edit routings (WC039), an engineer only a draft revision (WC021)."""
    sql = ("UPDATE workcell.routing_step SET equipment_class = NULL, version = version + 1"
           " WHERE id = (SELECT routing_step_id FROM workcell.step_instance WHERE id = %s)")  # fmt: skip
    _attack(world, "WC039", sql, (world.weigh_a,))
    engineer = _one(world.lab, "SELECT id FROM workcell.users WHERE username = %s", (ENGINEER,))
    _attack(
        world, "WC021", sql, (world.weigh_a,), Person(int(engineer), ENGINEER, ENGINEER, PIN, None)
    )


def test_the_owner_cannot_forge_a_balance_value_either(world: World) -> None:
    """The weighing check is ENABLE ALWAYS: an owner-side insert of a 'balance' value
    without its reading is refused too (WC153)."""
    with (
        world.lab.untouched(WATCHED),
        pytest.raises(psycopg.Error) as caught,
        world.lab.owner("attack: forged balance value") as conn,
    ):
        conn.execute(
            "INSERT INTO workcell.step_entry (step_instance_id, step_data_id, kind, value_numeric, equipment_id, value_source)"
            " SELECT %s, d.id, 'value', 5, %s, 'balance' FROM workcell.routing_step_data d WHERE d.code = %s LIMIT 1",
            (world.weigh_b, world.units["good"], RESIN),
        )
    assert caught.value.sqlstate == "WC153"
