"""Work order gates as a plain station login (issue 14): the performer cannot verify their
step or release its lot, direct writes of entries, deviations, the lock and the lifecycle
are refused, invented times and actors are ignored. Each attack is refused by the database
and changes nothing.

The world is built through the services (tests/integration/work_order_helpers.py) in a
database of this module's own: a released sub-assembly BOM and routing, qualified
operators, stocked component lots. Work order A runs: step 1 done, step 2 recorded and
signed "performed" by a person holding both the operator and the QA role (dual). Work
order B ran to completion and was reviewed by a second QA.
"""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from domain.db import make_engine, make_session_factory
from domain.services import scram
from domain.services.work_orders import execution, planning, review, training
from tests.conftest import bootstrap_test_admin, create_test_database, drop_test_database
from tests.integration.engineering_helpers import PIN, make_signer
from tests.integration.identity_fixtures import busy_station_policy
from tests.integration.work_order_helpers import Line, build_line
from tests.security.attack import CHEAP, Lab, Person, challenge, proof, refused, run, sign_in

pytestmark = pytest.mark.requirement("11.10(f)", "11.10(g)", "11.10(i)")

D = Decimal
WATCHED = (
    "workcell.work_order", "workcell.step_instance", "workcell.step_entry", "workcell.deviation",
    "workcell.person_qualification", "workcell.qualification", "workcell.lot", "workcell.on_hand",
    "workcell.inventory_txn", "workcell.genealogy_edge", "workcell.production_record",
    "workcell.signature", "workcell.status_transition", "audit.entry",
)  # fmt: skip


@dataclass(frozen=True)
class World:
    lab: Lab
    line: Line
    people: dict[str, Person]
    wo_a: int
    wo_b: int
    step1_a: int
    step2_a: int
    step3_a: int
    output_b: int  # WO B's output lot (quarantine; WO reviewed)
    other_lot: int  # a released lot of an item not on the BOM, on the line
    line_bin: int


def _person(lab: Lab, username: str) -> Person:
    with lab.superuser() as conn:
        row = conn.execute(
            "SELECT id, printed_name FROM workcell.users WHERE username = %s", (username,)
        ).fetchone()
    assert row is not None
    return Person(int(row[0]), username, str(row[1]), PIN, None)


def _one(lab: Lab, sql: str, params: Sequence[Any] = ()) -> Any:
    with lab.superuser() as conn:
        row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    db = create_test_database("wcwo")
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
        factory = make_session_factory(engine)
        line = build_line(db, factory)
        plant = line.plant
        dual = make_signer(db, factory, "dual", "operator", "qa")
        with line.uow(line.sup) as uow:
            training.grant_qualification(
                uow, dual, line.qualification, plant.today, None, plant.signing(line.sup)
            )
            uow.commit()
        cap, resin = plant.stocked("cap", "50"), plant.stocked("resin", "5")
        other = plant.stocked("sub", "5")
        # work order A: step 1 done by op1, step 2 recorded and performed by dual
        a = line.new_work_order()
        s1, s2, s3 = line.steps(a)
        with line.uow(line.op1) as uow:
            execution.consume(uow, s1.id, cap, plant.bins["LINE"], D(10))
            execution.consume(uow, s1.id, resin, plant.bins["LINE"], D("0.5"))
            execution.sign_step(uow, s1.id, "performed", plant.signing(line.op1))
            uow.commit()
        with line.uow(line.op1) as uow:
            execution.finish_step(uow, s1.id, execution.step_view(uow, s1.id).version)
            uow.commit()
        with line.uow(dual) as uow:
            v = execution.enter_value(uow, s2.id, "LENGTH", "10", s2.version)
            v = execution.enter_value(uow, s2.id, "VISUAL", "pass", v.version)
            execution.sign_step(uow, s2.id, "performed", plant.signing(dual))
            uow.commit()
        # work order B: op1 scans (the output lot is theirs), dual performs steps 2 and 3,
        # qa2 reviews it
        b = line.new_work_order()
        b1, b2, b3 = line.steps(b)
        with line.uow(line.op1) as uow:
            execution.consume(uow, b1.id, cap, plant.bins["LINE"], D(10))
            execution.consume(uow, b1.id, resin, plant.bins["LINE"], D("0.5"))
            execution.sign_step(uow, b1.id, "performed", plant.signing(line.op1))
            uow.commit()
        with line.uow(line.op1) as uow:
            execution.finish_step(uow, b1.id, execution.step_view(uow, b1.id).version)
            uow.commit()
        with line.uow(dual) as uow:
            v = execution.enter_value(uow, b2.id, "LENGTH", "10", b2.version)
            execution.enter_value(uow, b2.id, "VISUAL", "pass", v.version)
            execution.sign_step(uow, b2.id, "performed", plant.signing(dual))
            uow.commit()
        with line.uow(line.sup) as uow:
            execution.sign_step(uow, b2.id, "verified", plant.signing(line.sup))
            uow.commit()
        with line.uow(dual) as uow:
            execution.finish_step(uow, b2.id, execution.step_view(uow, b2.id).version)
            v = execution.enter_value(uow, b3.id, "FINAL", "pass", b3.version)
            execution.produce(uow, b3.id, D(10), plant.bins["QUA"], expected_version=v.version)
            execution.sign_step(uow, b3.id, "performed", plant.signing(dual))
            uow.commit()
        with line.uow(line.sup) as uow:
            execution.sign_step(uow, b3.id, "verified", plant.signing(line.sup))
            uow.commit()
        with line.uow(line.qa2) as uow:
            execution.sign_step(uow, b3.id, "reviewed", plant.signing(line.qa2))
            uow.commit()
        with line.uow(dual) as uow:
            execution.finish_step(uow, b3.id, execution.step_view(uow, b3.id).version)
            planning.complete_work_order(uow, b)
            uow.commit()
        with line.uow(line.qa2) as uow:
            review.review_work_order(uow, b, plant.signing(line.qa2))
            uow.commit()
        engine.dispose()
        names = {"op1": line.op1, "op2": line.op2, "untrained": line.untrained, "sup": line.sup,
                 "qa": plant.qa, "qa2": line.qa2, "dual": dual, "planner": line.planner}  # fmt: skip
        people = {k: _person(lab, v) for k, v in names.items()}
        wo_id = {
            n: _one(lab, "SELECT id FROM workcell.work_order WHERE number = %s", (n,))
            for n in (a, b)
        }
        yield World(
            lab, line, people, wo_id[a], wo_id[b], s1.id, s2.id, s3.id,
            _one(lab, "SELECT output_lot_id FROM workcell.work_order WHERE number = %s", (b,)),
            _one(lab, "SELECT id FROM workcell.lot WHERE lot_number = %s", (other,)),
            _one(lab, "SELECT id FROM workcell.bin WHERE code = %s", (plant.bins["LINE"],)),
        )  # fmt: skip
    finally:
        drop_test_database(db)


def _token(w: World, who: str) -> str:
    with w.lab.station() as conn:
        return sign_in(conn, w.people[who], "username+pin")


def _sign(
    w: World, who: str, meaning: str, records: Sequence[tuple[str, int]], then: Sequence[str] = ()
) -> None:
    """One signing transaction at the station (username + PIN), then the moves."""
    person = w.people[who]
    with w.lab.station() as conn:
        ch = challenge(conn, person, "sign", "username+pin")
        with conn.transaction():
            conn.execute("SELECT set_config('workcell.reason', 'attack', true)")
            shown = [
                {"type": t, "id": i,
                 "version": conn.execute(f"SELECT version FROM workcell.{t} WHERE id = %s", (i,)).fetchone()[0],  # type: ignore[index]
                 "hash": conn.execute("SELECT workcell.record_content_hash(%s, %s)", (t, i)).fetchone()[0]}  # type: ignore[index]
                for t, i in records
            ]  # fmt: skip
            conn.execute(
                "SELECT * FROM workcell.sign(%s, %s, %s, %s::jsonb, NULL)",
                (ch.id, proof(ch, person.pin), meaning, json.dumps(shown)),
            )
            for statement in then:
                conn.execute(statement)


def _attack(
    w: World, who: str | None, code: str | tuple[str, ...], sql: str, params: Sequence[Any] = ()
) -> psycopg.Error:
    token = _token(w, who) if who else None
    with w.lab.untouched(WATCHED), w.lab.station() as conn:
        return refused(
            code, conn, sql, params, token=token, settings=[("workcell.reason", "attack")]
        )


DIRECT_WRITES = {
    "entry inserted": "INSERT INTO workcell.step_entry (step_instance_id, step_data_id, kind, value_text) SELECT id, NULL, 'value', 'x' FROM workcell.step_instance LIMIT 1",
    "entry edited": "UPDATE workcell.step_entry SET value_numeric = 10, version = version + 1",
    "entry deleted": "DELETE FROM workcell.step_entry",
    "entry backdated": "UPDATE workcell.step_entry SET entered_at = '2020-01-01'",
    "deviation inserted": "INSERT INTO workcell.deviation (work_order_id, kind, what) SELECT id, 'other', 'x' FROM workcell.work_order LIMIT 1",
    "deviation rewritten": "UPDATE workcell.deviation SET what = 'nothing happened', version = version + 1",
    "deviation deleted": "DELETE FROM workcell.deviation",
    "step instance inserted": "INSERT INTO workcell.step_instance (work_order_id, routing_step_id, seq) SELECT work_order_id, routing_step_id, 99 FROM workcell.step_instance LIMIT 1",
    "step marked done directly": "UPDATE workcell.step_instance SET status = 'done'",
    "work order inserted": "INSERT INTO workcell.work_order (item_id, quantity, unit, due_date) SELECT item_id, 1, unit, due_date FROM workcell.work_order LIMIT 1",
    "lock rewritten": "UPDATE workcell.work_order SET lock_hash = repeat('0', 64), version = version + 1",
    "locked BOM swapped": "UPDATE workcell.work_order SET bom_revision_id = bom_revision_id, version = version + 1",
    "output lot swapped": "UPDATE workcell.work_order SET output_lot_id = NULL",
    "yield written": "UPDATE workcell.work_order SET actual_quantity = 10",
    "qualification record backdated": "UPDATE workcell.person_qualification SET expires_on = '2100-01-01'",
    "trainer forged": "UPDATE workcell.person_qualification SET attested_by = 1",
    "yield tolerance widened": "UPDATE workcell.work_order_policy SET yield_tolerance_pct = 100",
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(DIRECT_WRITES))
def test_direct_writes_are_refused(world: World, attack: str) -> None:
    """Stations hold no grant on entries, step instances, deviations' content, the lock or
    the server's facts (42501)."""
    _attack(world, "sup", "42501", DIRECT_WRITES[attack])


def test_the_lock_is_immutable_even_for_the_owner(world: World) -> None:
    """The owner is refused too (the guard, ENABLE ALWAYS): WC083."""
    with world.lab.untouched(WATCHED), world.lab.superuser() as conn:
        with pytest.raises(psycopg.Error) as caught, conn.transaction():
            conn.execute("SET LOCAL ROLE workcell_owner")
            conn.execute(
                "SELECT set_config('workcell.system_actor', 'system', true), set_config('workcell.reason', 'attack', true)"
            )
            conn.execute(
                "UPDATE workcell.work_order SET lock_hash = repeat('0', 64), version = version + 1 WHERE id = %s",
                (world.wo_a,),
            )
        assert caught.value.sqlstate == "WC083"


MOVES = {
    "complete with steps open": ("op1", "wo_a", "status = 'complete'", "WC090"),
    "closed with its lot in quarantine": ("qa2", "wo_b", "status = 'closed'", "WC024"),
    "in progress back to released": ("planner", "wo_a", "status = 'released'", "WC024"),
    "closed from in progress": ("qa2", "wo_a", "status = 'closed'", "WC024"),
    "cancelled with entries (no rule from in progress)": ("planner", "wo_a", "status = 'cancelled'", "WC024"),
    "completed by someone without the permission": ("planner", "wo_a", "status = 'complete'", "WC039"),
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(MOVES))
def test_work_order_moves_without_their_rule_are_refused(world: World, attack: str) -> None:
    who, wo, assignment, code = MOVES[attack]
    rid = getattr(world, wo)
    _attack(
        world,
        who,
        code,
        f"UPDATE workcell.work_order SET {assignment}, version = version + 1 WHERE id = {rid}",
    )


def test_the_performer_cannot_verify_their_own_step(world: World) -> None:
    """Dual (operator + QA, holds step.verify) performed step 2 of A: their "verified" is
    refused by the signing rules, and so is their "reviewed"; nothing is written."""
    for meaning in ("verified", "reviewed"):
        with world.lab.untouched(WATCHED), pytest.raises(psycopg.Error) as caught:
            _sign(world, "dual", meaning, [("step_instance", world.step2_a)])
        assert caught.value.sqlstate in ("WC012", "WC087"), caught.value


def test_the_performer_cannot_release_the_output_lot(world: World) -> None:
    """Dual performed steps 2 and 3 of B: the QA release of its lot is refused (WC092) even
    though dual holds lot.release and did not create the lot."""
    with world.lab.untouched(WATCHED), pytest.raises(psycopg.Error) as caught:
        _sign(world, "dual", "released", [("lot", world.output_b)],
              [f"UPDATE workcell.lot SET status = 'released', version = version + 1 WHERE id = {world.output_b}"])  # fmt: skip
    assert caught.value.sqlstate == "WC092", caught.value


def test_the_step_closes_only_with_its_signatures(world: World) -> None:
    """Step 2 of A lacks its supervisor's "verified": refused (WC088)."""
    version = _one(
        world.lab, "SELECT version FROM workcell.step_instance WHERE id = %s", (world.step2_a,)
    )
    _attack(world, "op1", "WC088", "SELECT workcell.wo_step_done(%s, %s)", (world.step2_a, version))


def test_an_unqualified_person_is_refused_naming_the_qualification(world: World) -> None:
    version = _one(
        world.lab, "SELECT version FROM workcell.step_instance WHERE id = %s", (world.step2_a,)
    )
    err = _attack(
        world,
        "untrained",
        "WC086",
        "SELECT workcell.wo_enter(%s, 'REMARK', 'x', %s)",
        (world.step2_a, version),
    )
    assert world.line.qualification in str(err)


def test_a_stale_version_is_refused(world: World) -> None:
    version = _one(
        world.lab, "SELECT version FROM workcell.step_instance WHERE id = %s", (world.step2_a,)
    )
    _attack(
        world,
        "op1",
        "WC081",
        "SELECT workcell.wo_enter(%s, 'REMARK', 'x', %s)",
        (world.step2_a, version - 1),
    )


def test_a_component_not_on_the_locked_bom_is_refused(world: World) -> None:
    _attack(world, "op1", "WC082", "SELECT workcell.wo_consume(%s, %s, %s, NULL, 1, 'ea', %s)",
            (world.wo_a, world.step3_a, world.other_lot, world.line_bin))  # fmt: skip


def test_no_token_no_entry(world: World) -> None:
    version = _one(
        world.lab, "SELECT version FROM workcell.step_instance WHERE id = %s", (world.step2_a,)
    )
    _attack(
        world,
        None,
        ("WC001", "WC002", "WC039"),
        "SELECT workcell.wo_enter(%s, 'REMARK', 'x', %s)",
        (world.step2_a, version),
    )


def test_invented_times_and_actors_are_ignored(world: World) -> None:
    """Whatever the station sets, the entry is the token holder's, at the server's time."""
    version = _one(
        world.lab, "SELECT version FROM workcell.step_instance WHERE id = %s", (world.step2_a,)
    )
    token = _token(world, "op2")
    with world.lab.station() as conn:
        run(conn, "SELECT workcell.wo_enter(%s, 'REMARK', 'all fine', %s)", (world.step2_a, version), token=token,
            settings=[("workcell.reason", "remark"), ("workcell.actor", world.people["qa"].username),
                      ("workcell.system_actor", "system"), ("timezone", "Pacific/Kiritimati")])  # fmt: skip
    row = None
    with world.lab.superuser() as conn:
        row = conn.execute(
            "SELECT u.username, now() - e.entered_at < interval '1 minute', e.station FROM workcell.step_entry e"
            " JOIN workcell.users u ON u.id = e.entered_by WHERE e.step_instance_id = %s ORDER BY e.id DESC LIMIT 1",
            (world.step2_a,),
        ).fetchone()
    assert row == (world.people["op2"].username, True, "station_pytest")


def test_nobody_attests_their_own_training(world: World) -> None:
    """The supervisor records training for themselves: refused (WC094), nothing written."""
    sup = world.people["sup"]
    qual = _one(
        world.lab,
        "SELECT id FROM workcell.qualification WHERE code = %s",
        (world.line.qualification,),
    )
    _attack(world, "sup", "WC094",
            "INSERT INTO workcell.person_qualification (user_id, qualification_id, trained_on) VALUES (%s, %s, workcell.plant_today())",
            (sup.id, qual))  # fmt: skip


def test_a_deviation_is_approved_only_with_a_qa_signature(world: World) -> None:
    """Opened by op1 at step 3 of A; approved without a signature: WC013; by op1: no
    permission; nothing written either time."""
    token = _token(world, "op1")
    with world.lab.station() as conn:
        rows = run(conn, "SELECT workcell.wo_open_deviation(%s, 'substitution', 'other cap', 'MCAP', 'MCAP2', 'out of stock')",
                   (world.step3_a,), token=token, settings=[("workcell.reason", "deviation")])  # fmt: skip
    dev = int(rows[0][0])
    _attack(
        world,
        "qa2",
        "WC013",
        f"UPDATE workcell.deviation SET status = 'approved', version = version + 1 WHERE id = {dev}",
    )
    _attack(
        world,
        "op1",
        "WC039",
        f"UPDATE workcell.deviation SET status = 'approved', version = version + 1 WHERE id = {dev}",
    )
    with world.lab.untouched(WATCHED), pytest.raises(psycopg.Error) as caught:
        _sign(world, "op1", "approved", [("deviation", dev)])
    assert caught.value.sqlstate == "WC012"
