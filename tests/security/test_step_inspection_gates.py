"""Inspections at a routing step as a plain station login (issue 16 item 3, migration 0030):
the step is neither signed nor closed around its inspection, the link between a step and its
inspection is the database's alone, a disposition is not faked (no release without QA's
signature, none by the inspector, none of a rejecting inspection, no outright rejection of a
step's inspection), QA does not open an in-process inspection by hand, the routing step's
inspection is under change control, and a work order is completed short only when its NCR
stopped it (migration 0035), the stopped step staying shut. Each attack is refused and
changes nothing.

The world is built through the services (tests/integration/step_inspection_helpers.py) in a
database of this module's own: work order A's in-process inspection is open (its step 2
started), B's completed and rejecting (a failed leak test at the step opened a deviation), C's completed and accepting (waiting for QA), D's
referred to an NCR dispositioned scrap (stopped at step 2), E's dispositioned rework (migration
0036: its rework work order released on the rework routing, not started), and a released
work order of the device (its BOM takes the sub-assembly).
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
from domain.services import scram
from domain.services.work_orders import execution, planning
from tests.conftest import bootstrap_test_admin, create_test_database, drop_test_database
from tests.integration.engineering_helpers import ENGINEER, PIN
from tests.integration.identity_fixtures import busy_station_policy
from tests.integration.step_inspection_helpers import (
    InspectedLine,
    build_inspected_line,
    release_rework_routing,
)
from tests.security.attack import CHEAP, Lab, Person, challenge, proof, refused, sign_in

pytestmark = pytest.mark.requirement("11.10(f)", "11.10(g)")

WATCHED = (
    "workcell.step_inspection", "workcell.inspection", "workcell.inspection_plan",
    "workcell.inspection_result", "workcell.step_instance", "workcell.step_entry",
    "workcell.signature", "workcell.work_order", "workcell.lot", "workcell.ncr", "workcell.hold",
    "workcell.routing_step", "workcell.routing_revision", "workcell.inventory_txn",
    "workcell.genealogy_edge", "workcell.status_transition", "audit.entry",
)  # fmt: skip


@dataclass(frozen=True)
class World:
    lab: Lab
    line: InspectedLine
    op: Person
    inspector: Person
    qa: Person
    engineer: Person
    step_a: int  # A's step 2: inspection open
    step1_a: int  # A's step 1 (done; names no inspection)
    step_c: int  # C's step 2: inspection completed, accepted, waiting for QA
    insp: dict[str, int]  # a, b, c
    lot_a: int
    wo: dict[str, str]  # a, b, c, d: work order numbers
    step_d: int  # D's step 2: stopped by its NCR (scrap)
    lot_e: int  # E's output lot: its NCR dispositioned rework (quarantine, 10 in stock)
    rework_step: int  # the rework work order's only step (scans the lot reworked)
    device_step: int  # a standard device work order's step (scans a sub-assembly lot)


def _one(lab: Lab, sql: str, params: Sequence[Any] = ()) -> Any:
    with lab.superuser() as conn:
        row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


def _person(lab: Lab, username: str) -> Person:
    uid = _one(lab, "SELECT id FROM workcell.users WHERE username = %s", (username,))
    return Person(int(uid), username, username, PIN, None)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    db = create_test_database("wcstin")
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
        line = build_inspected_line(db, make_session_factory(engine))
        a, b, c, d, e = (line.new_work_order() for _ in range(5))
        for wo in (a, b, c, d, e):
            line.run_first_step(wo)
        for wo in (a, d):  # D: everything recorded, so only the stop keeps it shut
            s = line.step(wo, 2)
            with line.uow(line.op) as uow:
                execution.enter_value(uow, s.id, "LEAK", "pass", s.version)
                uow.commit()
        line.inspect(b, fail=1)
        s = line.step(b, 2)
        with line.uow(line.op) as uow:  # B's failed leak test opens a deviation
            execution.enter_value(uow, s.id, "LEAK", "fail", s.version)
            uow.commit()
        line.inspect(c)
        line.inspect(d, fail=2)
        line.refer_and_disposition(d, "scrap")
        release_rework_routing(line, db, make_session_factory(engine))
        line.inspect(e, fail=2)
        report = line.refer_and_disposition(e, "rework")
        rework = str(
            _one(
                lab,
                "SELECT w.number FROM workcell.work_order w JOIN workcell.ncr n ON n.id = w.ncr_id WHERE n.number = %s",
                (report,),
            )
        )
        with line.uow(line.planner) as uow:
            planning.release_work_order(uow, rework)
            uow.commit()
        line.release_device_template()
        device = line.new_work_order(line.device)
        insp = {k: int(_one(lab, "SELECT i.id FROM workcell.inspection i JOIN workcell.work_order w ON w.output_lot_id = i.lot_id WHERE w.number = %s", (wo,)))
                for k, wo in (("a", a), ("b", b), ("c", c))}  # fmt: skip
        world = World(
            lab, line, _person(lab, line.op), _person(lab, line.inspector),
            _person(lab, line.plant.qa), _person(lab, ENGINEER),
            line.step(a, 2).id, line.step(a, 1).id, line.step(c, 2).id, insp,
            int(_one(lab, "SELECT output_lot_id FROM workcell.work_order WHERE number = %s", (a,))),
            {"a": a, "b": b, "c": c, "d": d, "e": e, "rework": rework}, line.step(d, 2).id,
            int(_one(lab, "SELECT output_lot_id FROM workcell.work_order WHERE number = %s", (e,))),
            line.step(rework, 1).id, line.step(device, 1).id,
        )  # fmt: skip
        engine.dispose()
        yield world
    finally:
        drop_test_database(db)


def _version(w: World, table: str, rid: int) -> int:
    return int(_one(w.lab, f"SELECT version FROM workcell.{table} WHERE id = %s", (rid,)))


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


def _signed(
    w: World,
    who: Person,
    meaning: str,
    records: Sequence[tuple[str, int]],
    then: Sequence[str] = (),
    comment: str | None = None,
) -> psycopg.Error:
    """A real signature (username + PIN) on ``records`` and the moves after it, in one
    transaction; returns the refusal (nothing of it stays)."""
    with w.lab.untouched(WATCHED), w.lab.station() as conn:
        ch = challenge(conn, who, "sign", "username+pin")
        with pytest.raises(psycopg.Error) as caught, conn.transaction():
            conn.execute("SELECT set_config('workcell.reason', 'attack', true)")
            shown = [{"type": t, "id": r, "version": _version(w, t, r),
                      "hash": conn.execute("SELECT workcell.record_content_hash(%s, %s)", (t, r)).fetchone()[0]}  # type: ignore[index]
                     for t, r in records]  # fmt: skip
            conn.execute("SELECT * FROM workcell.sign(%s, %s, %s, %s::jsonb, %s)",
                         (ch.id, proof(ch, who.pin), meaning, json.dumps(shown), comment))  # fmt: skip
            for statement in then:
                conn.execute(statement)
    return caught.value


def test_the_step_is_not_closed_around_its_inspection(world: World) -> None:
    """wo_step_done on A's step (inspection open) and on C's (completed, not dispositioned):
    WC192, naming what is waited for."""
    err = _attack(
        world,
        "WC192",
        "SELECT workcell.wo_step_done(%s, %s)",
        (world.step_a, _version(world, "step_instance", world.step_a)),
    )
    assert "is open" in str(err)
    err = _attack(
        world,
        "WC192",
        "SELECT workcell.wo_step_done(%s, %s)",
        (world.step_c, _version(world, "step_instance", world.step_c)),
    )
    assert "waits for QA" in str(err)


def test_the_step_is_not_signed_around_its_inspection(world: World) -> None:
    """A real "performed" signature of A's step: WC191."""
    err = _signed(world, world.op, "performed", [("step_instance", world.step_a)])
    assert err.sqlstate == "WC191" and "accepted disposition" in str(err)


WRITES = {
    "link inserted": "INSERT INTO workcell.step_inspection (step_instance_id, inspection_id) SELECT {step1_a}, {c}",
    "link moved": "UPDATE workcell.step_inspection SET inspection_id = {c} WHERE inspection_id = {a}",
    "link deleted": "DELETE FROM workcell.step_inspection",
    "inspection's decision forged": "UPDATE workcell.inspection SET decision = 'accept' WHERE id = {b}",
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(WRITES))
def test_direct_writes_are_refused(world: World, attack: str) -> None:
    """Stations hold no grant on the link or the decision (42501)."""
    sql = WRITES[attack].format(step1_a=world.step1_a, **world.insp)
    _attack(world, "42501", sql)


MOVES = {
    # (who, inspection, status, codes)
    "released by the operator without a signature": ("op", "c", "released", ("WC013", "WC039")),
    "released by QA without a signature": ("qa", "c", "released", ("WC013",)),
    "a rejecting inspection released": ("qa", "b", "released", ("WC013", "WC024")),
    "an open inspection released": ("qa", "a", "released", ("WC013", "WC024")),
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(MOVES))
def test_a_disposition_is_not_faked(world: World, attack: str) -> None:
    who, key, status, codes = MOVES[attack]
    rid = world.insp[key]
    _attack(world, codes, f"UPDATE workcell.inspection SET status = '{status}', version = version + 1 WHERE id = {rid}",
            who=getattr(world, who))  # fmt: skip


def test_the_inspector_does_not_disposition_their_own_inspection(world: World) -> None:
    """A real "released" signature by the inspector of C: refused (distinct from inspected)."""
    err = _signed(world, world.inspector, "released", [("inspection", world.insp["c"])],
                  [f"UPDATE workcell.inspection SET status = 'released', version = version + 1 WHERE id = {world.insp['c']}"])  # fmt: skip
    assert err.sqlstate in ("WC012", "WC039"), err


def test_a_steps_inspection_is_not_rejected_outright(world: World) -> None:
    """QA's real "rejected" signature on B and the move: WC193 (it goes to an NCR)."""
    rid = world.insp["b"]
    err = _signed(world, world.qa, "rejected", [("inspection", rid)],
                  [f"UPDATE workcell.inspection SET status = 'rejected', version = version + 1 WHERE id = {rid}"],
                  comment="attack: leak")  # fmt: skip
    assert err.sqlstate == "WC193" and "referred to an NCR" in str(err)


def test_a_step_is_started_only_as_an_entry_would_be(world: World) -> None:
    """wo_start_step: a done step (WC084), a step changed since it was read (WC081)."""
    _attack(world, "WC084", "SELECT workcell.wo_start_step(%s, %s)",
            (world.step1_a, _version(world, "step_instance", world.step1_a)))  # fmt: skip
    _attack(world, "WC081", "SELECT workcell.wo_start_step(%s, %s)",
            (world.step_c, _version(world, "step_instance", world.step_c) - 1))  # fmt: skip


def test_qa_does_not_open_an_in_process_inspection_by_hand(world: World) -> None:
    err = _attack(
        world,
        "WC119",
        "SELECT workcell.create_inspection(%s, 'in_process')",
        (world.lot_a,),
        who=world.qa,
    )
    assert "routing step" in str(err)


def test_the_owner_cannot_forge_a_link_either(world: World) -> None:
    """The link's check is ENABLE ALWAYS: an owner-side link of C's inspection to A's step 1
    (names none) is refused (WC194)."""
    with (
        world.lab.untouched(WATCHED),
        pytest.raises(psycopg.Error) as caught,
        world.lab.owner("attack: forged link") as conn,
    ):
        conn.execute("INSERT INTO workcell.step_inspection (step_instance_id, inspection_id) VALUES (%s, %s)",
                     (world.step1_a, world.insp["c"]))  # fmt: skip
    assert caught.value.sqlstate == "WC194"


def test_the_inspection_of_a_released_routing_step_does_not_change(world: World) -> None:
    """Change control: an operator may not edit routings (WC039), an engineer only a draft
    revision (WC021)."""
    sql = ("UPDATE workcell.routing_step SET inspection_type = NULL, version = version + 1"
           " WHERE id = (SELECT routing_step_id FROM workcell.step_instance WHERE id = %s)")  # fmt: skip
    _attack(world, "WC039", sql, (world.step_a,))
    _attack(world, "WC021", sql, (world.step_a,), who=world.engineer)


@pytest.mark.parametrize("key", ["a", "b", "c"])
def test_a_work_order_is_not_completed_short_unless_its_ncr_stopped_it(
    world: World, key: str
) -> None:
    """A's inspection open, B's rejecting (not referred), C's waiting for QA: the move to
    complete by a signed-in operator is refused (WC090, step 2 not done)."""
    err = _attack(world, "WC090", "UPDATE workcell.work_order SET status = 'complete', version = version + 1 WHERE number = %s",
                  (world.wo[key],))  # fmt: skip
    assert "step(s) 2 are not done" in str(err)


def test_the_stop_is_the_databases_reading_of_the_ncr(world: World) -> None:
    """workcell.work_order_stop (a station may call it): D stopped at step 2 by its scrap
    NCR, A not stopped."""
    with world.lab.station() as conn:
        stop = conn.execute("SELECT workcell.work_order_stop(id) FROM workcell.work_order WHERE number = %s",
                            (world.wo["d"],)).fetchone()[0]  # type: ignore[index]  # fmt: skip
        none = conn.execute("SELECT workcell.work_order_stop(id) FROM workcell.work_order WHERE number = %s",
                            (world.wo["a"],)).fetchone()[0]  # type: ignore[index]  # fmt: skip
    assert (
        stop["seq"] == 2
        and stop["disposition"] == "scrap"
        and stop["step_instance_id"] == world.step_d
    )
    assert none is None


def test_the_stopped_step_stays_shut(world: World) -> None:
    """D's step 2 is neither closed (WC192) nor signed (WC191): its NCR scrapped the work."""
    err = _attack(world, "WC192", "SELECT workcell.wo_step_done(%s, %s)",
                  (world.step_d, _version(world, "step_instance", world.step_d)))  # fmt: skip
    assert "dispositioned scrap" in str(err)
    err = _signed(world, world.op, "performed", [("step_instance", world.step_d)])
    assert err.sqlstate == "WC191" and "dispositioned scrap" in str(err), err


def test_the_stopped_step_takes_no_entry(world: World) -> None:
    """An entry at D's step 2 (stopped by its scrap NCR), as a plain station: WC195, naming
    the NCR (migration 0036; it was accepted before, changing nothing)."""
    err = _attack(world, "WC195", "SELECT workcell.wo_enter(%s, 'LEAK', 'fail', %s)",
                  (world.step_d, _version(world, "step_instance", world.step_d)))  # fmt: skip
    assert "stops at step 2" in str(err) and "dispositioned scrap" in str(err)


def _consume(w: World, step: int, lot: int) -> tuple[str, tuple[Any, ...]]:
    wo = _one(w.lab, "SELECT work_order_id FROM workcell.step_instance WHERE id = %s", (step,))
    bin_ = _one(
        w.lab,
        "SELECT bin_id FROM workcell.on_hand WHERE lot_id = %s AND quantity > 0 LIMIT 1",
        (lot,),
    )
    return ("SELECT workcell.wo_consume(%s, %s, %s, NULL, 1, NULL, %s, %s)",
            (wo, step, lot, bin_, _version(w, "step_instance", step)))  # fmt: skip


def test_only_its_rework_consumes_the_ncr_lot(world: World) -> None:
    """E's lot, in quarantine after its rework disposition: a standard work order's scan of it
    is refused (WC064, only a released lot), and the rework work order scans no other lot of
    the item (WC082: A's output lot)."""
    sql, params = _consume(world, world.device_step, world.lot_e)
    err = _attack(world, "WC064", sql, params)
    assert "only a released lot" in str(err)
    sql, params = _consume(world, world.rework_step, world.lot_a)
    err = _attack(world, "WC082", sql, params)
    assert "not the lot" in str(err)


REWORK_WRITES = {
    "work order's NCR dropped": "UPDATE workcell.work_order SET ncr_id = NULL, rework_lot_id = NULL WHERE number = '{rework}'",
    "another lot reworked": "UPDATE workcell.work_order SET rework_lot_id = {lot_a} WHERE number = '{rework}'",
    "rework work order planned by hand": "INSERT INTO workcell.work_order (item_id, quantity, unit, due_date, ncr_id, rework_lot_id) SELECT item_id, 1, unit, current_date + 1, ncr_id, {lot_a} FROM workcell.work_order WHERE number = '{rework}'",
    "routing made standard": "UPDATE workcell.routing_revision SET purpose = 'standard' WHERE purpose = 'rework'",
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(REWORK_WRITES))
def test_rework_links_are_the_databases(world: World, attack: str) -> None:
    """Stations hold no grant on a work order's NCR and lot, nor on a routing's purpose after
    its creation (42501)."""
    _attack(
        world,
        "42501",
        REWORK_WRITES[attack].format(lot_a=world.lot_a, **world.wo),
        who=world.engineer,
    )


@pytest.mark.parametrize("draft", [False, True])
def test_the_owner_cannot_change_a_routings_purpose(world: World, draft: bool) -> None:
    """ENABLE ALWAYS: the owner's change of the released rework routing's purpose is refused
    (the released revision's guard, WC021), and of a draft's too (WC196: the purpose is
    fixed from the creation, drafts included)."""
    with (
        world.lab.untouched(WATCHED),
        pytest.raises(psycopg.Error) as caught,
        world.lab.owner("attack: purpose") as conn,
    ):
        if draft:
            conn.execute("INSERT INTO workcell.routing_revision (item_id, revision, purpose)"
                         " SELECT item_id, 'ZZ', 'rework' FROM workcell.routing_revision WHERE purpose = 'rework'")  # fmt: skip
            conn.execute(
                "UPDATE workcell.routing_revision SET purpose = 'standard' WHERE revision = 'ZZ'"
            )
        else:
            conn.execute(
                "UPDATE workcell.routing_revision SET purpose = 'standard' WHERE purpose = 'rework'"
            )
    assert caught.value.sqlstate == ("WC196" if draft else "WC021")


def test_the_ncr_lot_is_not_used_up_by_hand(world: World) -> None:
    """QA moves E's lot (quarantine, stock left) to consumed: refused by the rule's condition
    (it still has stock; only its rework work order uses it up)."""
    err = _attack(world, "WC024",
                  "UPDATE workcell.lot SET status = 'consumed', version = version + 1 WHERE id = %s",
                  (world.lot_e,), who=world.qa)  # fmt: skip
    assert "still has stock" in str(err)


def test_a_running_rework_is_not_planned_twice(world: World) -> None:
    """wo_replan_rework as a plain station: an operator may not plan (WC039); a planner may
    not plan again a rework work order that is not cancelled (WC197), nor a standard one."""
    rework = _one(
        world.lab, "SELECT id FROM workcell.work_order WHERE number = %s", (world.wo["rework"],)
    )
    standard = _one(
        world.lab, "SELECT id FROM workcell.work_order WHERE number = %s", (world.wo["a"],)
    )
    sql = "SELECT workcell.wo_replan_rework(%s, current_date + 3)"
    _attack(world, "WC039", sql, (rework,))
    planner = _person(world.lab, world.line.planner)
    assert "released" in str(_attack(world, "WC197", sql, (rework,), who=planner))
    assert "not a rework" in str(_attack(world, "WC197", sql, (standard,), who=planner))


DEVIATION_RAISES = {
    "a deviation origin naming none": ("SELECT workcell.raise_ncr('deviation', NULL, NULL, ARRAY[{lot_a}]::bigint[], 't', 'd', 2, 2)", "WC123"),
    "a deviation that does not exist": ("SELECT workcell.raise_ncr('deviation', NULL, -1, ARRAY[{lot_a}]::bigint[], 't', 'd', 2, 2)", "WC123"),
    "a manual NCR naming a deviation": ("SELECT workcell.raise_ncr('manual', NULL, (SELECT min(id) FROM workcell.deviation), ARRAY[{lot_a}]::bigint[], 't', 'd', 2, 2)", "WC123"),
    "an NCR's deviation written by hand": ("UPDATE workcell.ncr SET deviation_id = (SELECT min(id) FROM workcell.deviation)", "42501"),
    "the old seven-argument raise": ("SELECT workcell.raise_ncr('deviation', NULL, ARRAY[{lot_a}]::bigint[], 't', 'd', 2, 2)", "42883"),
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(DEVIATION_RAISES))
def test_an_ncr_from_a_deviation_names_a_real_one(world: World, attack: str) -> None:
    """As QA at a plain station login (migration 0036): an NCR's deviation origin always names
    a deviation that exists, only that origin names one, stations never write the link, and
    0018's raise without the deviation argument is gone (42883: no such function)."""
    sql, code = DEVIATION_RAISES[attack]
    _attack(world, code, sql.format(lot_a=world.lot_a), who=world.qa)
