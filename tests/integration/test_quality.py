"""Quality services on the real database (issue 16): a template released by signature, a
receipt that opens its Z1.4 inspection, results entered and invalidated, the database's
decision, QA's disposition moving the lot, a failed inspection referred to an NCR whose risk
class decides the approvals, the NCR hold over the forward trace."""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import (
    InspectionRefused,
    LotOnHold,
    PermissionDenied,
    PlanNotAvailable,
    RecordLocked,
    RuleViolation,
    SignatureRefused,
    WorkCellError,
)
from domain.quality import z14
from domain.services.materials import inventory, lots
from domain.services.materials.db import run
from domain.services.materials.inventory import Input, Production
from domain.services.quality import inspections, ncr, switching, templates
from domain.services.quality.templates import Characteristic, NewTemplate
from tests.conftest import TestDatabase
from tests.integration.engineering_helpers import make_signer
from tests.integration.materials_helpers import D, Plant, build_plant

pytestmark = pytest.mark.pg18
SNAKE_OK = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")


@dataclass(frozen=True)
class Quality:
    plant: Plant
    qe: str  # quality engineer: writes templates
    inspector: str
    engineer: str
    qa2: str


@pytest.fixture(scope="module")
def q(database: TestDatabase, session_factory: sessionmaker[Session]) -> Quality:
    plant = build_plant(database, session_factory)
    qe = make_signer(database, session_factory, "qe", "engineer")
    inspector = make_signer(database, session_factory, "insp", "operator")
    engineer = make_signer(database, session_factory, "eng", "engineer")
    qa2 = make_signer(database, session_factory, "qa2", "qa")
    quality = Quality(plant, qe, inspector, engineer, qa2)
    _release_template(quality, "cap")
    return quality


CHARS = (
    Characteristic("Diameter", "variable", "major", "mm", D("10.00"), D("9.90"), D("10.10")),
    Characteristic("Thread gauge", "attribute", "major"),
    Characteristic("Flash", "visual", "minor", instruction="No flash over 0.2 mm"),
)


def _release_template(
    q: Quality, role: str, title: str = "Cap receiving"
) -> templates.TemplateView:
    p = q.plant
    with p.uow(q.qe) as uow:
        t = templates.create_template(uow, NewTemplate(
            p.items[role], "receiving", title, "z14", CHARS, level="II",
            aql={"major": D("1.0"), "minor": D("4.0")},
        ))  # fmt: skip
        templates.submit_template(uow, t.id, p.signing(q.qe))
        uow.commit()
    with p.uow(p.qa) as uow:
        released = templates.release_template(uow, t.id, p.signing(p.qa))
        uow.commit()
    return released


def _fill(q: Quality, number: str, fails: dict[int, str] | None = None) -> None:
    """Every sample passes, except samples named in ``fails`` (which characteristic fails)."""
    fails = fails or {}
    with q.plant.uow(q.inspector) as uow:
        view = inspections.get_inspection(uow, number)
        for sample in range(1, (view.sample_size or 0) + 1):
            bad = fails.get(sample)
            inspections.record_result(uow, number, sample, 1,
                                      value=D("10.30") if bad == "diameter" else D("10.02"))  # fmt: skip
            inspections.record_result(uow, number, sample, 2, passed=bad != "thread")
            inspections.record_result(uow, number, sample, 3, passed=bad != "flash")
        uow.commit()


def _receive(q: Quality, quantity: str = "500") -> tuple[str, str]:
    lot = q.plant.receive("cap", quantity)
    with q.plant.uow(q.plant.qa) as uow:
        (number,) = inspections.inspections_of_lot(uow, lot)
    return lot, number


def test_a_template_is_released_by_someone_other_than_its_author(q: Quality) -> None:
    """Author signs "authored"; the author's approval is refused; QA releases; the content
    of a released revision is fixed; a new revision supersedes the old."""
    p = q.plant
    with p.uow(q.qe) as uow:
        t = templates.create_template(uow, NewTemplate(
            p.items["sub"], "final", "Sub final", "fixed", CHARS[1:], fixed_count=5,
        ))  # fmt: skip
        templates.submit_template(uow, t.id, p.signing(q.qe))
        uow.commit()
    with p.uow(q.qe) as uow, pytest.raises(RuleViolation, match="someone else"):
        templates.release_template(uow, t.id, p.signing(q.qe))
    with p.uow(p.qa) as uow:
        released = templates.release_template(uow, t.id, p.signing(p.qa))
        uow.commit()
    assert released.status == "released" and released.describe_sampling() == "5 units per lot"
    with p.uow(q.qe, "test: edit") as uow, pytest.raises(RecordLocked):
        run(
            uow,
            "UPDATE workcell.inspection_template SET title = 'x', version = version + 1 WHERE id = :id",
            {"id": t.id},
        )
    with p.uow(q.qe) as uow:
        t2 = templates.create_template(uow, NewTemplate(
            p.items["sub"], "final", "Sub final rev 2", "fixed", CHARS[1:], fixed_count=8,
        ))  # fmt: skip
        templates.submit_template(uow, t2.id, p.signing(q.qe))
        uow.commit()
    with p.uow(p.qa) as uow:
        templates.release_template(uow, t2.id, p.signing(p.qa))
        uow.commit()
    with p.uow(p.qa) as uow:
        assert templates.template_view(uow, t.id).status == "superseded"
        assert templates.get_template(uow, p.items["sub"], "final").revision == 2


def test_a_receipt_opens_its_inspection_with_the_table_plans(q: Quality) -> None:
    """Lot 500, level II: H; major AQL 1.0 -> n 50 Ac 1 Re 2, minor AQL 4.0 -> n 50 Ac 5
    Re 6, as the engine computes, with the data's version and source; the lot stays in
    quarantine and its release waits for the disposition."""
    lot, number = _receive(q)
    with q.plant.uow(q.plant.qa) as uow:
        view = inspections.get_inspection(uow, number)
        assert (view.status, view.severity, view.lot_size, view.sample_size) == (
            "open",
            "normal",
            500,
            50,
        )
        for plan in view.plans:
            engine = z14.plan(500, "II", plan.aql or "0", "normal")
            assert (plan.code_letter, plan.sample_size, plan.ac, plan.re) == (
                engine.code_letter,
                engine.sample_size,
                engine.ac,
                engine.re,
            )
        assert [(p.defect_class, p.ac, p.re) for p in view.plans] == [
            ("major", 1, 2),
            ("minor", 5, 6),
        ]
        assert view.data_version == z14.reference().version and "Planesmuestra" in view.data_source
        assert lots.get_lot(uow, lot).status == "quarantine"
    with q.plant.uow(q.plant.qa) as uow, pytest.raises(RuleViolation, match="inspection"):
        lots.release_lot(uow, lot, q.plant.signing(q.plant.qa))


def test_an_accepted_inspection_is_released_by_qa_not_the_inspector(q: Quality) -> None:
    """One nonconforming major unit (Ac 1): accepted. A wrong entry is invalidated with its
    reason and kept. The inspector's disposition is refused; QA's releases the lot."""
    p = q.plant
    lot, number = _receive(q)
    with p.uow(q.inspector) as uow:
        wrong = inspections.record_result(uow, number, 1, 1, value=D("12.0"))
        uow.commit()
    with p.uow(q.inspector) as uow, pytest.raises(InspectionRefused, match="already has a result"):
        inspections.record_result(uow, number, 1, 1, value=D("10.0"))
    with p.uow(q.inspector) as uow:
        inspections.invalidate_result(uow, wrong, "typed 12.0 for 10.0")
        uow.commit()
    with p.uow(q.inspector) as uow:
        inspections.record_result(uow, number, 1, 1, value=D("10.00"))
        for s in range(2, 51):
            inspections.record_result(uow, number, s, 1, value=D("10.30") if s == 7 else D("10.01"))
        for s in range(1, 51):
            inspections.record_result(uow, number, s, 2, passed=True)
            inspections.record_result(uow, number, s, 3, passed=True)
        uow.commit()
    with p.uow(q.inspector) as uow, pytest.raises(InspectionRefused, match="outside the plan"):
        inspections.record_result(uow, number, 51, 2, passed=True)
    with p.uow(q.inspector) as uow:
        done = inspections.complete_inspection(uow, number, p.signing(q.inspector))
        uow.commit()
    assert (done.status, done.decision) == ("completed", "accept")
    assert "major: 1 nonconforming in 50 (Ac 1, Re 2)" in done.decision_note
    assert [r.invalidated for r in done.results if r.id == wrong] == ["typed 12.0 for 10.0"]
    with p.uow(q.inspector) as uow, pytest.raises(WorkCellError):
        inspections.release_inspection(uow, number, p.signing(q.inspector))
    with p.uow(p.qa) as uow:
        released = inspections.release_inspection(uow, number, p.signing(p.qa))
        uow.commit()
        assert released.status == "released"
    with p.uow(p.qa) as uow:
        assert lots.get_lot(uow, lot).status == "released"


def test_the_database_refuses_the_inspectors_disposition(q: Quality) -> None:
    """Bypassing the service's check: the signing rule (distinct from "inspected") refuses."""
    p = q.plant
    _lot, number = _receive(q)
    _fill(q, number)
    with p.uow(q.inspector) as uow:
        inspections.complete_inspection(uow, number, p.signing(q.inspector))
        uow.commit()
    from domain.services.quality.signing import sign_records

    with p.uow(q.inspector) as uow:
        view = inspections.get_inspection(uow, number)
        with pytest.raises((SignatureRefused, WorkCellError)):
            sign_records(
                uow, [("inspection", view.id, view.version)], "released", p.signing(q.inspector)
            )


def test_a_failed_inspection_goes_to_an_ncr_whose_risk_class_decides_the_approvals(
    q: Quality,
) -> None:
    """Two major nonconforming (Re 2): rejected. QA refers it to an NCR (severity 4 x
    occurrence 2: major); the lot goes on NCR hold. Use as is on a major needs QA and
    engineering: with QA's alone the disposition is refused; with both, the hold closes and
    the lot can be released."""
    p = q.plant
    lot, number = _receive(q)
    _fill(q, number, {3: "thread", 9: "diameter"})
    with p.uow(q.inspector) as uow:
        done = inspections.complete_inspection(uow, number, p.signing(q.inspector))
        uow.commit()
    assert done.decision == "reject"
    with p.uow(p.qa) as uow, pytest.raises(RuleViolation, match="rejected the lot"):
        inspections.release_inspection(uow, number, p.signing(p.qa))
    with p.uow(p.qa) as uow:
        n = ncr.refer_inspection(
            uow,
            number,
            ncr.NewNcr("Thread and diameter out", "2 of 50 major", 4, 2),
            p.signing(p.qa),
        )
        uow.commit()
    assert (n.risk_class, n.origin, [x.lot_number for x in n.lots]) == (
        "major",
        "inspection",
        [lot],
    )
    with p.uow(p.qa) as uow:
        assert lots.get_lot(uow, lot).held
        ncr.choose_disposition(
            uow, n.number, "use_as_is", "within functional tolerance per drawing note 4"
        )
        uow.commit()
    with p.uow(p.qa) as uow:
        ncr.approve_ncr(uow, n.number, "qa_approved", p.signing(p.qa))
        uow.commit()
    with p.uow(p.qa) as uow, pytest.raises(RuleViolation, match="engineering_approved"):
        ncr.disposition_ncr(uow, n.number, p.signing(p.qa))
    with (
        p.uow(p.qa, "test: straight to the table") as uow,
        pytest.raises(RuleViolation, match="engineering_approved"),
    ):
        run(
            uow,
            "UPDATE workcell.ncr SET status = 'dispositioned', version = version + 1 WHERE number = :n",
            {"n": n.number},
        )
    with p.uow(q.engineer) as uow:
        ncr.approve_ncr(uow, n.number, "engineering_approved", p.signing(q.engineer))
        uow.commit()
    with p.uow(p.qa) as uow:
        done_ncr = ncr.disposition_ncr(uow, n.number, p.signing(p.qa))
        uow.commit()
    assert done_ncr.status == "dispositioned" and all(
        x.hold_status == "closed" for x in done_ncr.lots
    )
    with p.uow(q.qa2) as uow:
        lots.release_lot(uow, lot, p.signing(q.qa2))
        ncr.close_ncr(uow, n.number, p.signing(q.qa2))
        uow.commit()


def test_rework_is_refused_without_a_rework_routing(q: Quality) -> None:
    """A purchased resin lot has no BOM and no rework routing: the database refuses the rework
    disposition (whoever writes it) and says what is missing (tests/integration/test_rework.py
    has the rework itself)."""
    p = q.plant
    lot = p.stocked("resin", "10")
    with p.uow(p.qa) as uow:
        n = ncr.raise_ncr(uow, ncr.NewNcr("Moisture", "KF over spec", 2, 1, (lot,)))
        ncr.choose_disposition(uow, n.number, "rework", "dry and retest")
        ncr.approve_ncr(uow, n.number, "qa_approved", p.signing(p.qa))
        uow.commit()
    with (
        p.uow(p.qa, "test: rework") as uow,
        pytest.raises(
            RuleViolation,
            match="rework needs a BOM and a rework routing revision in effect for",
        ),
    ):
        run(
            uow,
            "UPDATE workcell.ncr SET status = 'dispositioned', version = version + 1 WHERE number = :n",
            {"n": n.number},
        )


def test_an_ncr_holds_the_forward_trace_and_blocks_consumption(q: Quality) -> None:
    """Resin used in a sub-assembly: an NCR on the resin holds both; neither is consumed; the
    holds are refused release by hand; scrap rejects both through the disposition."""
    p = q.plant
    resin = p.stocked("resin", "20", on_line="10")
    with p.uow(p.clerk) as uow:
        sub = inventory.record_production(uow, Production(
            p.items["sub"], D(4), p.bins["QUA"], (Input(resin, p.bins["LINE"], D("2")),),
        )).lot_number  # fmt: skip
        uow.commit()
    with p.uow(p.qa) as uow:
        n = ncr.raise_ncr(uow, ncr.NewNcr("Contaminated resin", "supplier notice", 3, 3, (resin,)))
        uow.commit()
    assert {(x.lot_number, x.via) for x in n.lots} == {(resin, "direct"), (sub, "forward_trace")}
    assert n.risk_class == "major"
    with p.uow(p.clerk) as uow, pytest.raises(LotOnHold):
        inventory.record_production(uow, Production(
            p.items["sub"], D(1), p.bins["QUA"], (Input(resin, p.bins["LINE"], D("1")),),
        ))  # fmt: skip
    from domain.services.materials import holds

    with p.uow(p.qa) as uow, pytest.raises(RuleViolation):
        holds.release_hold(uow, n.lots[0].hold_id or 0, p.signing(p.qa))
    with p.uow(p.qa) as uow:
        ncr.choose_disposition(uow, n.number, "scrap", "supplier recall")
        ncr.approve_ncr(uow, n.number, "qa_approved", p.signing(p.qa))
        uow.commit()
    with p.uow(q.qa2) as uow:
        done = ncr.disposition_ncr(uow, n.number, p.signing(q.qa2))
        uow.commit()
    assert {x.lot_status for x in done.lots} == {"rejected"}


SCRIPTS = {
    # (results on normal, expected status after, rule fragment)
    "normal_to_tightened": ("ARAAR", "tightened", "2 lots rejected"),
    "stays_normal": ("ARAAAAR", "normal", None),
}


def _script(q: Quality, history: str) -> list[tuple[str, str]]:
    """Run a scripted history through switching_next (the function the completion uses)."""
    out = []
    state = ("normal", 0, "", 0)
    with q.plant.uow(q.plant.qa) as uow:
        for mark in history:
            row = uow.session.execute(text(
                "SELECT * FROM workcell.switching_next(:s, :sc, :r, :t, :d, :g, :inc)"),
                {"s": state[0], "sc": state[1], "r": state[2], "t": state[3],
                 "d": "accept" if mark in "AG" else "reject", "g": mark == "G",
                 "inc": 3 if mark == "A" else None}).one()  # fmt: skip
            state = (row.status, row.score, row.recent, row.tightened_rejects)
            out.append((row.status, row.rule or ""))
    return out


@pytest.mark.parametrize(
    ("history", "status", "rule"),
    [
        ("ARAAR", "tightened", "normal -> tightened: 2 lots rejected within the last 5"),
        ("RAAAAAR", "normal", ""),  # the two rejects are 6 lots apart
        ("RR" + "A" * 5, "normal", "tightened -> normal: 5 consecutive lots accepted"),
        ("RR" + "AAAAR" + "AAAA", "tightened", ""),  # the reject breaks the run of 5
        ("RR" + "RARARARAR", "discontinued", "tightened -> discontinued: 5 lots not accepted"),
    ],
)
def test_switching_follows_a_scripted_history(
    q: Quality, history: str, status: str, rule: str
) -> None:
    """Each transition from a scripted history of lots, with the rule that moved it."""
    steps = _script(q, history)
    assert steps[-1][0] == status
    if rule:
        assert any(rule in r for _, r in steps)


def test_the_switching_score_and_reduced_inspection(q: Quality) -> None:
    """Ten +3 lots reach 30; QA moves to reduced (refused before 30); on reduced a lot in the
    gap or a rejection reinstates normal."""
    with q.plant.uow(q.plant.qa) as uow:

        def step(
            s: tuple[str, int, str, int], d: str, gap: bool, inc: int | None
        ) -> tuple[str, int, str, int, str]:
            r = uow.session.execute(text("SELECT * FROM workcell.switching_next(:s, :sc, :r, :t, :d, :g, :inc)"),
                                    {"s": s[0], "sc": s[1], "r": s[2], "t": s[3], "d": d, "g": gap, "inc": inc}).one()  # fmt: skip
            return (r.status, r.score, r.recent, r.tightened_rejects, r.rule or "")

        s: tuple[str, int, str, int] = ("normal", 0, "", 0)
        for _ in range(10):
            s = step(s, "accept", False, 3)[:4]  # type: ignore[assignment]
        assert s[:2] == ("normal", 30)
        assert step(s, "accept", False, None)[1] == 0  # accepted but not at the tighter AQL: reset
        reduced = ("reduced", 0, "", 0)
        assert step(reduced, "accept", True, None)[0::4] == (
            "normal",
            "reduced -> normal: lot accepted with a count between Ac and Re of the reduced plan",
        )
        assert step(reduced, "reject", False, None)[0] == "normal"
        assert step(reduced, "accept", False, None)[0] == "reduced"


def test_the_real_lots_move_the_state_and_qa_reduces_only_at_30(
    q: Quality, database: TestDatabase, session_factory: sessionmaker[Session]
) -> None:
    """Two rejected receipts in a row tighten inspection for the item and supplier: the next
    receipt is planned on the tightened table, and the rule is shown; QA cannot reduce."""
    # a plant of its own: the switching state it moves is the cap's, which other tests read
    q = Quality(build_plant(database, session_factory), q.qe, q.inspector, q.engineer, q.qa2)
    _release_template(q, "cap")
    p = q.plant
    for _ in range(2):
        _lot, number = _receive(q, "500")
        with p.uow(q.inspector) as uow:
            if inspections.get_inspection(uow, number).severity == "tightened":
                break
        _fill(q, number, {1: "thread", 2: "thread"})
        with p.uow(q.inspector) as uow:
            inspections.complete_inspection(uow, number, p.signing(q.inspector))
            uow.commit()
    with p.uow(p.qa) as uow:
        state = switching.get_switching(uow, p.items["cap"], p.supplier)
        assert state.status == "tightened" and "2 lots rejected" in state.last_rule
        assert state.events[-1].to_status == "tightened"
    _lot, number = _receive(q, "500")
    with p.uow(p.qa) as uow:
        view = inspections.get_inspection(uow, number)
        assert view.severity == "tightened"
        major = next(x for x in view.plans if x.defect_class == "major")
        assert (major.table_cell, major.plan_letter, major.sample_size, major.ac) == (
            "down",
            "J",
            80,
            1,
        )
        assert view.switching_rule and "tightened" in view.switching_rule
    with p.uow(p.qa) as uow, pytest.raises(RuleViolation, match="cannot move it to reduced"):
        switching.move_switching(uow, p.items["cap"], p.supplier, "reduced", "steady")


def test_a_plan_the_tables_do_not_give_waits_for_qa(
    q: Quality, database: TestDatabase, session_factory: sessionmaker[Session]
) -> None:
    """Resin received by weight (25.5 kg) is not counted in units: the inspection opens
    without a plan, results are refused until QA enters and approves one, and the plan keeps
    who approved it and why. No guess is made."""
    # a plant of its own: a released resin template would gate every other test's resin
    q = Quality(build_plant(database, session_factory), q.qe, q.inspector, q.engineer, q.qa2)
    p = q.plant
    _release_template(q, "resin", "Resin receiving")
    lot = p.receive("resin", "25.5")
    with p.uow(p.qa) as uow:
        (number,) = inspections.inspections_of_lot(uow, lot)
        view = inspections.get_inspection(uow, number)
    assert view.lot_size is None and view.sample_size is None
    assert {x.source for x in view.plans} == {"manual_required"}
    with p.uow(q.inspector) as uow, pytest.raises(PlanNotAvailable, match="waits for QA"):
        inspections.record_result(uow, number, 1, 2, passed=True)
    with p.uow(q.inspector) as uow, pytest.raises(PermissionDenied):
        inspections.set_manual_plan(uow, number, "major", 5, 0, 1, "five grab samples")
    with p.uow(p.qa) as uow:
        inspections.set_manual_plan(uow, number, "major", 5, 0, 1, "five grab samples, SOP QC-12")
        view = inspections.set_manual_plan(
            uow, number, "minor", 3, 0, 1, "three grab samples, SOP QC-12"
        )
        uow.commit()
    assert view.sample_size == 5 and {x.source for x in view.plans} == {"manual"}
    assert "entered by QA" in view.plans[0].describe()
