"""A sampling plan entered by QA by hand is signed (migration 0033), as a plain station
login: an inspection whose manual plan has no "plan_approved" signature by the person who
entered it cannot be completed — not with every result in, not with another QA person's
signature, not with one made by someone without quality.plan — and nothing changes; signed
by its approver after the plan, it completes.

The world is test_quality_gates' (a cap template, an inspector, QA); this module adds powder
received by weight (kg: no lot size in units, so no table cell) under a Z1.4 template."""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest

from tests.security.attack import Lab, refused, sign_in
from tests.security.test_lifecycle_gates import acting_as, one, sign_then
from tests.security.test_materials_gates import _bump, receive
from tests.security.test_quality_gates import (
    QUALITY,
    REASON,
    World,
    _complete,
    _fill,
    _item,
    _token,
    world,
)

__all__ = ["world"]  # the module fixture, built for this module too

pytestmark = pytest.mark.requirement("11.10(f)", "11.10(g)", "11.70")


@dataclass(frozen=True)
class Powder:
    item: int
    char: int


@pytest.fixture(scope="module")
def powder(lab: Lab, world: World) -> Iterator[Powder]:
    with lab.owner("security test: powder master data") as conn:
        item = _item(conn, "powder", "kg")
        conn.execute("INSERT INTO workcell.approved_supplier (item_id, supplier_id) VALUES (%s, %s)",
                     (item, world.acme))  # fmt: skip
    conn = lab.station()
    try:
        sign_then(conn, world.qa, "approved", [("item", item)],
                  [_bump("item", item, "status = 'approved'")])  # fmt: skip
        qe = sign_in(conn, world.qe)
        with conn.transaction():
            acting_as(conn, qe, "template (test)")
            template = int(one(conn,
                "INSERT INTO workcell.inspection_template (item_id, inspection_type, revision, title, sampling, inspection_level, version)"
                " VALUES (%s, 'receiving', 1, 'Powder receiving', 'z14', 'II', 1) RETURNING id", (item,)))  # fmt: skip
            conn.execute("INSERT INTO workcell.inspection_template_class (template_id, defect_class, aql, version) VALUES (%s, 'major', 1.0, 1)",
                         (template,))  # fmt: skip
            char = int(one(conn,
                "INSERT INTO workcell.inspection_characteristic (template_id, seq, name, kind, defect_class, version)"
                " VALUES (%s, 1, 'Colour', 'attribute', 'major', 1) RETURNING id", (template,)))  # fmt: skip
        sign_then(conn, world.qe, "authored", [("inspection_template", template)],
                  [_bump("inspection_template", template, "status = 'in_review'")])  # fmt: skip
        sign_then(conn, world.qa, "approved", [("inspection_template", template)],
                  [_bump("inspection_template", template, "status = 'released'")])  # fmt: skip
    finally:
        conn.close()
    yield Powder(item, char)


def _planned(lab: Lab, world: World, powder: Powder) -> int:
    """A powder lot received (its inspection waits for QA's plan), the plan entered by QA
    with the function alone (no signature), every sample passed by the inspector."""
    with lab.station() as conn:
        lot = receive(
            conn, sign_in(conn, world.receiver), powder.item, world.acme, world.bins["RCV"], "12.5"
        )
        inspection = int(one(conn, "SELECT id FROM workcell.inspection WHERE lot_id = %s", (lot,)))
        assert (
            one(
                conn,
                "SELECT source FROM workcell.inspection_plan WHERE inspection_id = %s",
                (inspection,),
            )
            == "manual_required"
        )
        qa = sign_in(conn, world.qa)
        with conn.transaction():
            acting_as(conn, qa, "plan (test)")
            conn.execute(
                "SELECT workcell.set_manual_plan(%s, 'major', 2, 0, 1, 'two grab samples')",
                (inspection,),
            )
        _fill(conn, sign_in(conn, world.inspector), inspection, powder.char, 0)
    return inspection


def _status(lab: Lab, inspection: int) -> str:
    with lab.superuser() as conn:
        return str(one(conn, "SELECT status FROM workcell.inspection WHERE id = %s", (inspection,)))


def test_an_unsigned_manual_plan_blocks_completion(lab: Lab, world: World, powder: Powder) -> None:
    inspection = _planned(lab, world, powder)
    with lab.untouched(QUALITY), lab.station() as conn, pytest.raises(psycopg.Error) as caught:
        _complete(conn, world.inspector, inspection)
    assert caught.value.sqlstate == "WC024" and "not signed as approved" in str(caught.value)
    assert _status(lab, inspection) == "open"


def test_another_qa_persons_plan_signature_does_not_count(
    lab: Lab, world: World, powder: Powder
) -> None:
    """qa2 may sign plan_approved (quality.plan), but the plan is qa's: completion is still
    refused."""
    inspection = _planned(lab, world, powder)
    with lab.station() as conn:
        sign_then(conn, world.qa2, "plan_approved", [("inspection", inspection)], [])
    with lab.untouched(QUALITY), lab.station() as conn, pytest.raises(psycopg.Error) as caught:
        _complete(conn, world.inspector, inspection)
    assert caught.value.sqlstate == "WC024" and "not signed as approved" in str(caught.value)
    assert _status(lab, inspection) == "open"


def test_the_inspector_cannot_sign_the_plan(lab: Lab, world: World, powder: Powder) -> None:
    inspection = _planned(lab, world, powder)
    with lab.untouched(QUALITY), lab.station() as conn, pytest.raises(psycopg.Error) as caught:
        sign_then(conn, world.inspector, "plan_approved", [("inspection", inspection)], [])
    assert caught.value.sqlstate in ("WC012", "WC039"), caught.value


def test_the_plan_cannot_be_changed_once_entered(lab: Lab, world: World, powder: Powder) -> None:
    """Entered (not yet signed): a second plan over it and a direct edit are both refused."""
    inspection = _planned(lab, world, powder)
    token = _token(lab, world.qa)
    with lab.untouched(QUALITY), lab.station() as conn:
        refused("WC116", conn, "SELECT workcell.set_manual_plan(%s, 'major', 1, 0, 1, 'fewer')", (inspection,),
                token=token, settings=REASON)  # fmt: skip
        refused("42501", conn, "UPDATE workcell.inspection_plan SET sample_size = 1 WHERE inspection_id = %s",
                (inspection,), token=token, settings=REASON)  # fmt: skip


def test_signed_by_its_approver_the_inspection_completes(
    lab: Lab, world: World, powder: Powder
) -> None:
    inspection = _planned(lab, world, powder)
    with lab.station() as conn:
        sign_then(conn, world.qa, "plan_approved", [("inspection", inspection)], [])
        _complete(conn, world.inspector, inspection)
    assert _status(lab, inspection) == "completed"
