"""What the new quality screens rest on, on the real database as station logins: a manual
sampling plan is signed by QA "plan_approved" and an inspection with an unsigned one cannot
be completed (migration 0033); the NCR risk matrix is proposed as a draft and released by
another QA person's signature, superseding the one before (never by its author); switching
states are listed with their moves."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import PermissionDenied, RuleViolation, WorkCellError
from domain.services.quality import inspections, matrix, switching, templates
from domain.services.quality.templates import Characteristic, NewTemplate
from tests.conftest import TestDatabase
from tests.integration.engineering_helpers import make_signer
from tests.integration.materials_helpers import D, Plant, build_plant

pytestmark = pytest.mark.pg18

CHARS = (Characteristic("Viscosity", "attribute", "major"),)


@pytest.fixture(scope="module")
def plant(database: TestDatabase, session_factory: sessionmaker[Session]) -> Plant:
    """A plant of its own: its released resin template opens plan-less inspections."""
    p = build_plant(database, session_factory)
    qe = make_signer(database, session_factory, "qe", "engineer")
    with p.uow(qe) as uow:
        t = templates.create_template(uow, NewTemplate(
            p.items["resin"], "receiving", "Resin receiving", "z14", CHARS, level="II",
            aql={"major": D("1.0")},
        ))  # fmt: skip
        templates.submit_template(uow, t.id, p.signing(qe))
        uow.commit()
    with p.uow(p.qa) as uow:
        templates.release_template(uow, t.id, p.signing(p.qa))
        uow.commit()
    return p


@pytest.fixture(scope="module")
def qa2(database: TestDatabase, session_factory: sessionmaker[Session]) -> str:
    return make_signer(database, session_factory, "qa2", "qa")


def _resin_inspection(p: Plant) -> str:
    lot = p.receive("resin", "25.5")  # by weight: no lot size in units, no table cell
    with p.uow(p.qa) as uow:
        (number,) = inspections.inspections_of_lot(uow, lot)
    return number


def _fill(p: Plant, number: str, n: int) -> None:
    with p.uow(p.qa) as uow:
        for sample in range(1, n + 1):
            inspections.record_result(uow, number, sample, 1, passed=True)
        uow.commit()


@pytest.mark.requirement("11.10(f)", "11.70")
def test_a_manual_plan_is_signed_by_qa_before_the_inspection_completes(
    plant: Plant, qa2: str
) -> None:
    p = plant
    unsigned = _resin_inspection(p)
    with p.uow(p.qa) as uow:  # entered, but not signed (the function alone)
        inspections.set_manual_plan(uow, unsigned, "major", 2, 0, 1, "two grab samples, QC-12")
        uow.commit()
    _fill(p, unsigned, 2)
    with p.uow(qa2) as uow, pytest.raises(WorkCellError, match="not signed as approved"):
        inspections.complete_inspection(uow, unsigned, p.signing(qa2))
    assert _status(p, unsigned) == "open"

    signed = _resin_inspection(p)
    with p.uow(p.qa) as uow:
        view = inspections.approve_manual_plan(
            uow, signed, "major", 2, 0, 1, "two grab samples, QC-12",
            p.signing(p.qa, "Plan major: n=2 Ac 0 Re 1"),
        )  # fmt: skip
        uow.commit()
    assert view.sample_size == 2 and view.plans[0].source == "manual"
    _fill(p, signed, 2)
    with p.uow(qa2) as uow:
        done = inspections.complete_inspection(uow, signed, p.signing(qa2))
        uow.commit()
    assert done.status == "completed" and done.decision == "accept"
    with p.factory() as s:
        who = s.execute(
            text(
                "SELECT u.username FROM workcell.signature g"
                " JOIN workcell.users u ON u.id = g.signer_id"
                " JOIN workcell.inspection i ON i.id = g.record_id"
                " WHERE g.record_type = 'inspection' AND g.meaning = 'plan_approved'"
                " AND i.number = :n"
            ),
            {"n": signed},
        ).scalar_one()
    assert who == p.qa


def test_the_plan_signature_needs_quality_plan(plant: Plant) -> None:
    p = plant
    number = _resin_inspection(p)
    with p.uow(p.clerk) as uow, pytest.raises(PermissionDenied):
        inspections.approve_manual_plan(uow, number, "major", 2, 0, 1, "x", p.signing(p.clerk))
    with p.uow(p.qa) as uow:
        assert inspections.get_inspection(uow, number).plans[0].source == "manual_required"


def _status(p: Plant, number: str) -> str:
    with p.uow(p.qa) as uow:
        return inspections.get_inspection(uow, number).status


@pytest.mark.requirement("11.10(g)", "11.10(f)")
def test_a_risk_matrix_revision_is_released_by_another_qa_signature(
    plant: Plant, database: TestDatabase, session_factory: sessionmaker[Session]
) -> None:
    """Proposed by one QA person (a draft: not in force), refused for its author, released by
    another, superseding the one before; then the original cells restored the same way (the
    database is shared: other tests class NCRs on it)."""
    p = plant
    qa3 = make_signer(database, session_factory, "qa3", "qa")
    with p.uow(p.qa) as uow:
        before = matrix.get_matrix(uow)
    changed = dict(before.cells)
    changed[(3, 3)] = "critical" if before.cells[(3, 3)] != "critical" else "minor"
    with p.uow(p.clerk) as uow, pytest.raises(PermissionDenied):
        matrix.propose_matrix(uow, "by the clerk", changed)
    with p.uow(p.qa) as uow, pytest.raises(WorkCellError, match="Every cell"):
        matrix.propose_matrix(uow, "half a matrix", {(1, 1): "minor"})
    with p.uow(p.qa) as uow:
        draft = matrix.propose_matrix(uow, "Severity 3 x occurrence 3 re-classed", changed)
        uow.commit()
    assert draft.status == "draft" and draft.cells[(3, 3)] == changed[(3, 3)]
    assert draft.approvals == before.approvals  # copied from the released revision
    with p.uow(p.qa) as uow:
        assert matrix.get_matrix(uow).revision == before.revision  # not in force yet
    with p.uow(p.qa) as uow, pytest.raises(RuleViolation, match="someone else"):
        matrix.release_matrix(uow, draft.revision, p.signing(p.qa))
    with p.uow(qa3) as uow:
        released = matrix.release_matrix(uow, draft.revision, p.signing(qa3))
        uow.commit()
    assert released.status == "released"
    with p.uow(p.qa) as uow:
        assert matrix.get_matrix(uow, before.revision).status == "superseded"
        rows = {r.revision: r.status for r in matrix.matrices(uow)}
    assert rows[draft.revision] == "released" and rows[before.revision] == "superseded"
    # restore the cells every other test classes its NCRs on
    with p.uow(qa3) as uow:
        back = matrix.propose_matrix(uow, "Restored", dict(before.cells))
        uow.commit()
    with p.uow(p.qa) as uow:
        matrix.release_matrix(uow, back.revision, p.signing(p.qa))
        uow.commit()
    with p.uow(p.qa) as uow:
        assert matrix.get_matrix(uow).cells == before.cells


@pytest.mark.requirement("11.10(e)")
def test_switching_states_are_listed_with_their_moves(plant: Plant, qa2: str) -> None:
    """Two lots rejected of the last five: normal → tightened, the move listed with its rule
    and the inspection that made it (the database's, at completion)."""
    p = plant
    numbers = []
    for _ in range(2):
        number = _resin_inspection(p)
        with p.uow(p.qa) as uow:
            inspections.approve_manual_plan(uow, number, "major", 1, 0, 1, "one grab sample",
                                            p.signing(p.qa))  # fmt: skip
            inspections.record_result(uow, number, 1, 1, passed=False)
            uow.commit()
        with p.uow(qa2) as uow:
            assert inspections.complete_inspection(uow, number, p.signing(qa2)).decision == "reject"
            uow.commit()
        numbers.append(number)
    with p.uow(p.qa) as uow:
        supplier = inspections.get_inspection(uow, numbers[0]).supplier
        assert supplier is not None
        rows = {r.number: r for r in switching.switching_states(uow)}
        state = switching.get_switching(uow, p.items["resin"], supplier)
    row = rows[f"{p.items['resin']}/{supplier}"]
    assert row.status == state.status == "tightened" and row.moves == len(state.events) >= 1
    move = next(e for e in state.events if e.inspection == numbers[1])
    assert (move.from_status, move.to_status) == ("normal", "tightened") and move.rule
    assert row.last_rule == state.last_rule == move.rule
