"""QA's switching moves on the real database (issue 16): normal -> reduced only at a score of
30 (the state's score set owner-side: the lots that earn it are scripted in test_quality's
switching_next tests), a reduced receipt planned on the reduced table, a lot in the gap
reinstating normal, discontinued -> tightened by QA; each move an event with its rule."""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import RuleViolation
from domain.services.quality import inspections, switching
from tests.conftest import TestDatabase
from tests.integration.engineering_helpers import make_signer
from tests.integration.materials_helpers import build_plant
from tests.integration.test_quality import Quality, _fill, _receive, _release_template

pytestmark = pytest.mark.pg18


@pytest.fixture  # per test: each moves the cap's switching state the other starts from
def q(database: TestDatabase, session_factory: sessionmaker[Session]) -> Quality:
    plant = build_plant(database, session_factory)
    people = [make_signer(database, session_factory, p, r)
              for p, r in (("qe", "engineer"), ("insp", "operator"), ("eng", "engineer"), ("qa2", "qa"))]  # fmt: skip
    quality = Quality(plant, *people)
    _release_template(quality, "cap")
    return quality


def _owner_sets(database: TestDatabase, q: Quality, assignment: str) -> None:
    """Owner-side: stands in for the lots that would have moved the state (a test's only way
    to let a quarter of receipts pass)."""
    with psycopg.connect(database.dsn("admin")) as conn:
        conn.execute("SET ROLE workcell_owner")
        conn.execute(
            "SELECT set_config('workcell.system_actor', 'system', true), set_config('workcell.reason', 'test: history', true)"
        )
        conn.execute(
            f"UPDATE workcell.switching_state s SET {assignment}, version = s.version + 1 FROM workcell.item i, workcell.supplier p"
            " WHERE i.id = s.item_id AND p.id = s.supplier_id AND i.item_number = %s AND p.code = %s",
            (q.plant.items["cap"], q.plant.supplier),
        )
        conn.commit()


def test_qa_reduces_at_30_and_a_lot_in_the_gap_reinstates_normal(
    database: TestDatabase, q: Quality
) -> None:
    p = q.plant
    _receive(q)  # creates the state on normal
    with p.uow(p.qa) as uow, pytest.raises(RuleViolation, match="30 or more"):
        switching.move_switching(uow, p.items["cap"], p.supplier, "reduced", "steady production")
    _owner_sets(database, q, "score = 30")
    with p.uow(p.qa) as uow:
        state = switching.move_switching(
            uow, p.items["cap"], p.supplier, "reduced", "steady production, 3 months"
        )
        uow.commit()
    assert state.status == "reduced" and "switching score 30" in state.last_rule
    assert state.events[-1].rule == state.last_rule and state.events[-1].actor == p.qa
    # lot 2000 caps: K; reduced major AQL 1.0 -> n 50 Ac 1 Re 4 (the gap is 2..3)
    _lot, number = _receive(q, "2000")
    with p.uow(p.qa) as uow:
        view = inspections.get_inspection(uow, number)
    major = next(x for x in view.plans if x.defect_class == "major")
    assert (view.severity, major.sample_size, major.ac, major.re) == ("reduced", 50, 1, 4)
    _fill(q, number, {4: "thread", 8: "thread"})
    with p.uow(q.inspector) as uow:
        done = inspections.complete_inspection(uow, number, p.signing(q.inspector))
        uow.commit()
    assert done.decision == "accept" and "gap" in done.decision_note
    with p.uow(p.qa) as uow:
        state = switching.get_switching(uow, p.items["cap"], p.supplier)
    assert state.status == "normal" and "between Ac and Re" in state.last_rule
    assert [e.to_status for e in state.events] == ["reduced", "normal"]
    assert state.events[-1].inspection == number


def test_a_discontinued_supplier_is_resumed_on_tightened_by_qa(
    database: TestDatabase, q: Quality
) -> None:
    p = q.plant
    _receive(q)  # the state exists from the first receipt (on normal), whichever test runs first
    _owner_sets(database, q, "status = 'tightened'")  # along the rules, as the guard wants
    _owner_sets(database, q, "status = 'discontinued', tightened_rejects = 5")
    _lot, number = _receive(q)
    _fill(q, number)
    with p.uow(q.inspector) as uow, pytest.raises(RuleViolation, match="discontinued"):
        inspections.complete_inspection(uow, number, p.signing(q.inspector))
    with p.uow(p.qa) as uow:
        state = switching.move_switching(
            uow, p.items["cap"], p.supplier, "tightened", "supplier 8D accepted"
        )
        uow.commit()
    assert state.status == "tightened" and state.tightened_rejects == 0
    assert "supplier corrective action accepted" in state.last_rule
