"""QA at an operator's station, and scans in another unit, as a plain station login (issue
14): the operator stays signed in (their session names the transaction) while QA signs a
deviation's approval with their own credentials; the performer and non-QA signers are
refused, the operator cannot ride on a QA signature made earlier, and a consumption whose
unit has no conversion, or would need rounding, is refused. Every refusal changes nothing.

The world is test_work_order_gates.py's (built again for this module): op1 runs work order
A, "dual" (operator + QA) performed its step 2, qa2 is an uninvolved QA."""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from domain.services.materials import units
from tests.security.attack import acting, challenge, proof, run
from tests.security.test_work_order_gates import WATCHED, World, _attack, _one, _token, world

__all__ = ["world"]  # the fixture, built for this module

D = Decimal


def _open_deviation(w: World, step: int) -> int:
    """op1 raises a deviation at a step of A (through its function, as the station does)."""
    with w.lab.station() as conn:
        rows = run(conn, "SELECT workcell.wo_open_deviation(%s, 'substitution', 'other cap', 'MCAP', 'MCAP2', 'out of stock')",
                   (step,), token=_token(w, "op1"), settings=[("workcell.reason", "deviation")])  # fmt: skip
    return int(rows[0][0])


def _approve_at(w: World, token: str, signer: str, dev: int, *, move: bool = True) -> None:
    """One transaction at a station where someone is signed in (``token``): ``signer``
    signs the deviation "approved" with their own credentials, then (``move``) its status
    moves."""
    person = w.people[signer]
    with w.lab.station() as conn:
        ch = challenge(conn, person, "sign", "username+pin")
        with conn.transaction():
            acting(conn, token)
            conn.execute("SELECT set_config('workcell.reason', 'deviation approval', true)")
            shown = _shown(conn, [("deviation", dev)])
            conn.execute(
                "SELECT * FROM workcell.sign(%s, %s, 'approved', %s::jsonb, 'use as is')",
                (ch.id, proof(ch, person.pin), json.dumps(shown)),
            )
            if move:
                conn.execute(
                    "UPDATE workcell.deviation SET status = 'approved', version = version + 1 WHERE id = %s",
                    (dev,),
                )


def _shown(
    conn: psycopg.Connection[Any], records: Sequence[tuple[str, int]]
) -> list[dict[str, Any]]:
    return [
        {"type": t, "id": i,
         "version": conn.execute(f"SELECT version FROM workcell.{t} WHERE id = %s", (i,)).fetchone()[0],  # type: ignore[index]
         "hash": conn.execute("SELECT workcell.record_content_hash(%s, %s)", (t, i)).fetchone()[0]}  # type: ignore[index]
        for t, i in records
    ]  # fmt: skip


def test_qa_approves_at_the_operators_station(world: World) -> None:
    """op1 signed in, qa2 signs: approved, the move attributed to qa2 (the signer), the
    signature qa2's, made at the operator's station."""
    dev = _open_deviation(world, world.step2_a)
    _approve_at(world, _token(world, "op1"), "qa2", dev)
    with world.lab.superuser() as conn:
        row = conn.execute(
            "SELECT v.status, du.username, s.signer_id, t.actor_id"
            "  FROM workcell.deviation v JOIN workcell.users du ON du.id = v.decided_by"
            "  JOIN workcell.signature s ON s.record_type = 'deviation' AND s.record_id = v.id"
            "  JOIN workcell.status_transition t ON t.record_type = 'deviation' AND t.record_id = v.id"
            " WHERE v.id = %s",
            (dev,),
        ).fetchone()
    qa2 = world.people["qa2"]
    assert row == ("approved", qa2.username, qa2.id, qa2.id)


@pytest.mark.parametrize(
    ("signer", "code"),
    [
        ("dual", "WC089"),  # QA, but performed step 2: never approves its deviation
        ("sup", "WC012"),  # no deviation.approve (a supervisor is not QA)
        ("op1", "WC012"),  # the operator signed in at the station, signing themselves
    ],
)
def test_the_performer_and_non_qa_signers_are_refused_at_the_station(
    world: World, signer: str, code: str
) -> None:
    """Refused when the signature is made; the deviation stays open, nothing written."""
    dev = _open_deviation(world, world.step2_a)
    token = _token(world, "op1")  # signed in before: the sign-in is audited
    with world.lab.untouched(WATCHED), pytest.raises(psycopg.Error) as caught:
        _approve_at(world, token, signer, dev)
    assert caught.value.sqlstate == code, caught.value
    assert _one(world.lab, "SELECT status FROM workcell.deviation WHERE id = %s", (dev,)) == "open"


def test_the_operator_cannot_ride_on_an_earlier_qa_signature(world: World) -> None:
    """qa2's approval signature committed without the move (a station that stopped
    half-way): the operator's own status move afterwards is refused (WC039: the move is
    the session holder's, and op1 holds no deviation.approve)."""
    dev = _open_deviation(world, world.step2_a)
    _approve_at(world, _token(world, "op1"), "qa2", dev, move=False)
    _attack(world, "op1", "WC039",
            "UPDATE workcell.deviation SET status = 'approved', version = version + 1 WHERE id = %s", (dev,))  # fmt: skip
    assert _one(world.lab, "SELECT status FROM workcell.deviation WHERE id = %s", (dev,)) == "open"


# -- consumption in another unit ---------------------------------------------------------------


@pytest.fixture(scope="module")
def grams(world: World) -> str:
    """The world's resin gets a conversion from g (1 decimal); returns a stocked resin lot."""
    line = world.line
    with line.uow(line.plant.qa, "resin in grams") as uow:
        units.add_conversion(uow, line.resin, "g", D("0.001"), decimals=1)
        uow.commit()
    return line.plant.stocked("resin", "5")


def _running_step(world: World) -> int:
    number = world.line.new_work_order()
    return world.line.step(number, 1).id


UNIT_ATTACKS = {
    "no conversion for the unit": (D(5), "mL", "WC073"),
    "more decimals than the unit is counted in": (D("0.05"), "g", "WC073"),
    "a unit the item never heard of": (D(1), "ton", "WC073"),
    "a negative quantity": (D(-250), "g", "WC085"),
}


@pytest.mark.parametrize("attack", sorted(UNIT_ATTACKS))
def test_a_consumption_without_an_exact_conversion_is_refused(
    world: World, grams: str, attack: str
) -> None:
    """Refused by the database (nothing consumed, linked or recorded)."""
    quantity, unit, code = UNIT_ATTACKS[attack]
    step = _running_step(world)
    wo = _one(world.lab, "SELECT work_order_id FROM workcell.step_instance WHERE id = %s", (step,))
    lot = _one(world.lab, "SELECT id FROM workcell.lot WHERE lot_number = %s", (grams,))
    _attack(world, "op1", code, "SELECT workcell.wo_consume(%s, %s, %s, NULL, %s, %s, %s)",
            (wo, step, lot, quantity, unit, world.line_bin))  # fmt: skip


def test_a_station_cannot_rewrite_what_was_entered(world: World, grams: str) -> None:
    """The entered quantity and unit are the record's: no grant (42501)."""
    _attack(world, "sup", "42501",
            "UPDATE workcell.step_entry SET entered_quantity = 1, entered_unit = 'kg' WHERE entered_unit IS NOT NULL")  # fmt: skip


def test_grams_at_the_station_are_kilograms_in_the_ledger(world: World, grams: str) -> None:
    """The positive control: 250 g through the station's function is 0.25 kg everywhere."""
    step = _running_step(world)
    wo = _one(world.lab, "SELECT work_order_id FROM workcell.step_instance WHERE id = %s", (step,))
    lot = _one(world.lab, "SELECT id FROM workcell.lot WHERE lot_number = %s", (grams,))
    with world.lab.station() as conn:
        run(conn, "SELECT workcell.wo_consume(%s, %s, %s, NULL, 250, 'g', %s)",
            (wo, step, lot, world.line_bin), token=_token(world, "op1"),
            settings=[("workcell.reason", "scan")])  # fmt: skip
    with world.lab.superuser() as conn:
        row = conn.execute(
            "SELECT e.quantity, e.unit, e.entered_quantity, e.entered_unit, t.quantity, g.quantity"
            "  FROM workcell.step_entry e JOIN workcell.inventory_txn t ON t.id = e.inventory_txn_id"
            "  JOIN workcell.genealogy_edge g ON g.consume_txn_id = t.id WHERE e.step_instance_id = %s",
            (step,),
        ).fetchone()
    assert row == (D("0.25"), "kg", D(250), "g", D("0.25"), D("0.25"))
