"""Inspections at a routing step (issue 16 item 3, migration 0030), through the services on
the real database: the database opens the in-process inspection of the work order's output
lot when the work order reaches the step (sample size from the lot size by the template's
plan); the step is neither signed nor closed until QA's disposition accepts it; QA's release
signs the inspection and leaves the work order's lot in quarantine; a rejecting inspection
goes to an NCR whose use-as-is disposition lets the step go on, while scrap stops the work
order there (completed short, a deviation naming the NCR, migration 0035); a work order whose routing
names an inspection the item has no template for is not released; the step's inspection is
inside the routing's signed content and the step's."""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import InspectionRefused, RuleViolation, SignatureRefused, StepBlocked
from domain.records import collect, render
from domain.services.materials import lots
from domain.services.materials.db import scalar
from domain.services.quality import inspections, ncr, step_inspections
from domain.services.work_orders import deviations, execution, planning, review
from tests.conftest import TestDatabase
from tests.integration.step_inspection_helpers import (
    SAMPLES,
    InspectedLine,
    build_inspected_line,
)

pytestmark = [pytest.mark.pg18, pytest.mark.requirement("11.10(f)")]


@pytest.fixture(scope="module")
def line(database: TestDatabase, session_factory: sessionmaker[Session]) -> InspectedLine:
    return build_inspected_line(database, session_factory)


def _sign_and_finish(line: InspectedLine, wo: str) -> None:
    s = line.step(wo, 2)
    with line.uow(line.op) as uow:
        execution.sign_step(uow, s.id, "performed", line.plant.signing(line.op))
        uow.commit()
    s = line.step(wo, 2)
    with line.uow(line.op) as uow:
        execution.finish_step(uow, s.id, s.version)
        uow.commit()


def test_the_inspection_opens_when_the_work_order_reaches_the_step(line: InspectedLine) -> None:
    """Not at the release (step 2 is not reached); when step 1 is done: the output lot's
    in-process inspection on the released template, lot size 10, fixed plan n 3."""
    wo = line.new_work_order()
    s2 = line.step(wo, 2)
    assert s2.inspection_type == "in_process" and s2.inspection is None
    assert any("not opened yet" in b for b in s2.blocking)
    line.run_first_step(wo)
    insp = line.step(wo, 2).inspection
    assert insp is not None
    with line.uow(line.plant.qa) as uow:
        view = inspections.get_inspection(uow, insp.number)
        output = scalar(uow, "SELECT l.lot_number FROM workcell.work_order w JOIN workcell.lot l"
                             " ON l.id = w.output_lot_id WHERE w.number = :n", {"n": wo})  # fmt: skip
    assert (view.inspection_type, view.status, view.lot_number) == ("in_process", "open", output)
    assert (view.lot_size, view.sample_size, view.step) == (10, SAMPLES, f"{wo} step 2")
    assert (insp.results, insp.needed, insp.accepted) == (0, SAMPLES, False)


def test_a_step_started_out_of_order_opens_its_inspection(line: InspectedLine) -> None:
    """An entry at step 2 before step 1 is done starts it: the inspection opens with it."""
    wo = line.new_work_order()
    s2 = line.step(wo, 2)
    with line.uow(line.op) as uow:
        execution.enter_value(uow, s2.id, "LEAK", "pass", s2.version)
        uow.commit()
    insp = line.step(wo, 2).inspection
    assert insp is not None and insp.status == "open"


def test_the_step_waits_for_the_accepted_disposition(line: InspectedLine) -> None:
    """Open, then completed: "performed" refused (WC191) and the step not closed (WC192),
    each saying what is waited for; QA's release: signed, closed; the output lot stays in
    quarantine (its release waits for the work order's review)."""
    wo = line.new_work_order()
    line.run_first_step(wo)
    s = line.step(wo, 2)
    with line.uow(line.op) as uow:
        execution.enter_value(uow, s.id, "LEAK", "pass", s.version)
        uow.commit()
    s = line.step(wo, 2)
    assert s.inspection is not None
    with line.uow(line.op) as uow, pytest.raises(SignatureRefused, match="accepted disposition"):
        execution.sign_step(uow, s.id, "performed", line.plant.signing(line.op))
    with (
        line.uow(line.op) as uow,
        pytest.raises(StepBlocked, match=f"inspection {s.inspection.number} is open"),
    ):
        execution.finish_step(uow, s.id, s.version)
    line.inspect(wo)
    s = line.step(wo, 2)
    assert any("waits for QA" in b for b in s.blocking)
    with line.uow(line.op) as uow, pytest.raises(SignatureRefused, match="waits for QA"):
        execution.sign_step(uow, s.id, "performed", line.plant.signing(line.op))
    number = s.inspection.number
    with line.uow(line.plant.qa) as uow:
        released = inspections.release_inspection(uow, number, line.plant.signing(line.plant.qa))
        uow.commit()
    assert released.status == "released"
    with line.uow(line.plant.qa) as uow:
        assert lots.get_lot(uow, released.lot_number).status == "quarantine"
    assert line.step(wo, 2).inspection.accepted  # type: ignore[union-attr]
    _sign_and_finish(line, wo)
    assert line.step(wo, 2).status == "done"


def test_a_rejecting_inspection_goes_to_an_ncr(line: InspectedLine) -> None:
    """A failed sample: the database's decision is reject. QA's outright rejection is
    refused (the service, and the database: WC193); referred to an NCR (the lot on NCR
    hold), the step waits for the NCR; dispositioned use as is: the step goes on."""
    wo = line.new_work_order()
    line.run_first_step(wo)
    line.inspect(wo, fail=1)
    number = line.step(wo, 2).inspection.number  # type: ignore[union-attr]
    p = line.plant
    with line.uow(p.qa) as uow, pytest.raises(RuleViolation, match="refer it to an NCR"):
        inspections.reject_inspection(uow, number, p.signing(p.qa, "seal broken"))
    with (
        pytest.raises(InspectionRefused, match="referred to an NCR"),
        line.uow(p.qa, "test: outright rejection") as uow,
    ):
        uow.session.execute(text("UPDATE workcell.inspection SET status = 'rejected', version = version + 1"
                                 " WHERE number = :n"), {"n": number})  # fmt: skip
    with line.uow(p.qa) as uow:
        report = ncr.refer_inspection(
            uow, number, ncr.NewNcr("Seal broken in process", "1 of 3 samples leaked", 2, 2),
            p.signing(p.qa),
        )  # fmt: skip
        uow.commit()
    s = line.step(wo, 2)
    assert s.inspection is not None and s.inspection.ncr_number == report.number
    assert any(f"referred to NCR {report.number}" in b for b in s.blocking)
    with line.uow(p.qa) as uow:
        ncr.choose_disposition(uow, report.number, "use_as_is", "leak within the customer's margin")
        uow.commit()
    with line.uow(line.qa2) as uow:
        ncr.approve_ncr(uow, report.number, "qa_approved", p.signing(line.qa2))
        uow.commit()
    with line.uow(p.qa) as uow:
        ncr.disposition_ncr(uow, report.number, p.signing(p.qa))
        uow.commit()
    assert line.step(wo, 2).inspection.accepted  # type: ignore[union-attr]
    s = line.step(wo, 2)
    with line.uow(line.op) as uow:
        execution.enter_value(uow, s.id, "LEAK", "pass", s.version)
        uow.commit()
    _sign_and_finish(line, wo)
    assert line.step(wo, 2).status == "done"


def test_scrap_stops_the_work_order_at_the_step(line: InspectedLine) -> None:
    """Scrapped by the NCR: the step never goes on (not signed, not closed) and the lot is
    rejected; the work order is completed short (before 0035 it could neither complete nor
    be cancelled); the completion opens a deviation naming the inspection and the NCR that
    QA approves before the review; reviewed and closed, the step stays not done."""
    p = line.plant
    wo = line.new_work_order()
    line.run_first_step(wo)
    line.inspect(wo, fail=2)
    with line.uow(line.op) as uow, pytest.raises(RuleViolation, match="step\\(s\\) 2 are not done"):
        planning.complete_work_order(uow, wo)
    report = line.refer_and_disposition(wo, "scrap")
    s = line.step(wo, 2)
    assert any(f"NCR {report}, dispositioned scrap" in b for b in s.blocking)
    with (  # the stopped step takes no entry (migration 0036; it did before, changing nothing)
        line.uow(line.op) as uow,
        pytest.raises(
            StepBlocked, match=f"stops at step 2 \\(NCR {report}, dispositioned scrap\\)"
        ),
    ):
        execution.enter_value(uow, s.id, "LEAK", "fail", s.version)
    with (
        line.uow(line.op) as uow,
        pytest.raises(SignatureRefused, match=r"missing: Leak test|dispositioned scrap"),
    ):
        execution.sign_step(uow, s.id, "performed", p.signing(line.op))
    with line.uow(line.op) as uow:
        done = planning.complete_work_order(uow, wo)
        uow.commit()
    assert done.status == "complete"
    with line.uow(p.qa) as uow:
        devs = deviations.deviations_of(uow, wo)
        assert lots.get_lot(uow, done.output_lot or "").status == "rejected"
    short = [d for d in devs if "completed short" in d.what]
    assert len(short) == 1 and short[0].step_seq == 2 and short[0].status == "open"
    assert report in short[0].why and "dispositioned scrap" in short[0].why
    assert short[0].actual == "step(s) 2 not done" and short[0].expected == "steps 1 to 2 done"
    with line.uow(line.qa2) as uow, pytest.raises(RuleViolation, match="open deviations"):
        review.review_work_order(uow, wo, p.signing(line.qa2))
    with line.uow(line.qa2) as uow:
        for d in devs:
            deviations.approve_deviation(uow, d.number, p.signing(line.qa2, "scrapped by the NCR"))
        uow.commit()
    with line.uow(line.qa2) as uow:
        review.review_work_order(uow, wo, p.signing(line.qa2))
        uow.commit()
    with line.uow(p.qa) as uow:
        closed = planning.close_work_order(uow, wo)
        uow.commit()
    assert closed.status == "closed" and line.step(wo, 2).status != "done"
    with line.uow(p.qa) as uow:  # the batch record shows the step not done and why
        record = collect.collect(uow, wo, render.templates().sha256)
    step2 = record.steps[1].step
    assert step2.status != "done" and step2.inspection is not None
    assert (step2.inspection.ncr_number, step2.inspection.ncr_disposition) == (report, "scrap")
    assert any("completed short" in d.deviation.what for d in record.deviations)


def test_a_work_order_stopped_ahead_of_an_open_step_is_not_completed(line: InspectedLine) -> None:
    """Step 2 started before step 1 was done, then scrapped by its NCR: the completion is
    refused naming step 1 (the steps before the stop are done first), and nothing moved."""
    wo = line.new_work_order()
    s2 = line.step(wo, 2)
    with line.uow(line.op) as uow:
        execution.enter_value(uow, s2.id, "LEAK", "fail", s2.version)
        uow.commit()
    line.inspect(wo, fail=2)
    line.refer_and_disposition(wo, "scrap")
    with (
        line.uow(line.op) as uow,
        pytest.raises(RuleViolation, match="step\\(s\\) 1 are not done") as refused,
    ):
        planning.complete_work_order(uow, wo)
    assert "It stops at step 2" in str(refused.value)  # what to do, said to the operator
    with line.uow(line.plant.qa) as uow:
        assert planning.get_work_order(uow, wo).status == "in_progress"
        assert not [d for d in deviations.deviations_of(uow, wo) if "completed short" in d.what]


def test_no_release_without_the_template_the_routing_names(line: InspectedLine) -> None:
    """The device's routing names a final inspection at its first step and the device has
    none released: refused. Once QA releases one, the work order is released; no output lot
    exists yet, so the inspection opens when the operator starts the step (the output lot
    made then)."""
    with pytest.raises(InspectionRefused, match="no released final inspection template"):
        line.new_work_order(line.device)
    p = line.plant
    line.release_device_template()
    wo = line.new_work_order(line.device)
    s1 = line.step(wo, 1)
    assert s1.status == "pending" and s1.inspection is None  # no output lot yet: at its start
    assert any("Start step" in b for b in s1.blocking)
    with line.uow(line.op) as uow:
        step_inspections.start_step(uow, s1.id, s1.version)
        uow.commit()
    s1 = line.step(wo, 1)
    assert s1.status == "in_progress" and s1.inspection is not None
    assert (s1.inspection.inspection_type, s1.inspection.status, s1.inspection.needed) == (
        "final",
        "open",
        2,
    )
    with line.uow(p.qa) as uow:
        view = inspections.get_inspection(uow, s1.inspection.number)
    assert (view.lot_size, view.step) == (10, f"{wo} step 1")


def test_the_inspection_is_in_the_signed_content(line: InspectedLine) -> None:
    """The routing's signed content (and so the lock) names the step's inspection; the
    step's content carries its inspection's number and disposition."""
    wo = line.new_work_order()
    line.run_first_step(wo)
    s = line.step(wo, 2)
    with line.uow(line.plant.qa) as uow:
        lock = scalar(
            uow, "SELECT lock_content::text FROM workcell.work_order WHERE number = :n", {"n": wo}
        )
        content = scalar(uow, "SELECT workcell.step_instance_content(:id)::text", {"id": s.id})
    assert '"inspection": "in_process"' in lock
    assert s.inspection is not None and s.inspection.number in content
