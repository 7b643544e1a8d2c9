"""Rework (issue 16 item 4, migration 0036), through the services on the real database: a
rework disposition is refused until the item has a rework routing in effect; carried out,
it plans a rework work order for the NCR's lot, released on the locked rework routing; that
work order consumes the lot from quarantine (nothing else may, and it scans no other lot of
the item), makes the reworked lot, and the NCR closes once it is closed. The work order the
failed step inspection came from stops at the step (no more entries there) and is completed
short. A cancelled rework work order is planned again by a planner."""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import PermissionDenied, RuleViolation, StepBlocked
from domain.services.materials import lots
from domain.services.materials.db import scalar
from domain.services.quality import ncr
from domain.services.work_orders import deviations, execution, planning, review
from tests.conftest import TestDatabase
from tests.integration.step_inspection_helpers import (
    InspectedLine,
    build_inspected_line,
    release_rework_routing,
)
from tests.integration.work_order_helpers import station_backend

pytestmark = [pytest.mark.pg18, pytest.mark.requirement("11.10(f)")]

D = Decimal


@pytest.fixture(scope="module")
def bare_line(database: TestDatabase, session_factory: sessionmaker[Session]) -> InspectedLine:
    return build_inspected_line(database, session_factory)


@pytest.fixture(scope="module")
def pending(bare_line: InspectedLine, database: TestDatabase,
            session_factory: sessionmaker[Session]) -> tuple[str, str]:  # fmt: skip
    """Before the item has a rework routing, a rework disposition is refused saying what is
    missing (and nothing is planned); then the rework routing is released. (work order, NCR)
    of that refused disposition, still open and approved."""
    line, p = bare_line, bare_line.plant
    wo = line.new_work_order()
    number = _failed_ncr(line, wo)
    with (
        line.uow(p.qa) as uow,
        pytest.raises(RuleViolation, match=f"rework routing revision in effect for {line.item}"),
    ):
        ncr.disposition_ncr(uow, number, p.signing(p.qa))
    with line.uow(p.qa) as uow:
        assert ncr.get_ncr(uow, number).rework == ()
    release_rework_routing(line, database, session_factory)
    return wo, number


@pytest.fixture(scope="module")
def line(bare_line: InspectedLine, pending: tuple[str, str]) -> InspectedLine:
    return bare_line  # with its rework routing released


def _carry_out(line: InspectedLine, number: str) -> ncr.NcrView:
    with line.uow(line.plant.qa) as uow:
        done = ncr.disposition_ncr(uow, number, line.plant.signing(line.plant.qa))
        uow.commit()
    return done


def _failed_ncr(line: InspectedLine, wo: str) -> str:
    """Step 1 run (10 made), the step-2 inspection failed and referred to an NCR, rework
    chosen and approved by a second QA person: the NCR's number."""
    line.run_first_step(wo)
    line.inspect(wo, fail=2)
    return line.refer_and_approve(wo, "rework")


def scalar_of(line: InspectedLine, sql: str, params: dict[str, str]) -> str:
    with line.uow(line.plant.qa) as uow:
        return str(scalar(uow, sql, params))


def _output(line: InspectedLine, wo: str) -> str:
    with line.uow(line.plant.qa) as uow:
        found = planning.get_work_order(uow, wo).output_lot
    assert found is not None
    return found


def test_rework_on_the_rework_routing(
    line: InspectedLine, pending: tuple[str, str], session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:  # fmt: skip
    p = line.plant
    wo, number = pending
    lot = _output(line, wo)
    label = scalar_of(line, "SELECT r.revision FROM workcell.routing_revision r JOIN workcell.item i ON i.id = r.item_id"
                            " WHERE i.item_number = :i AND r.purpose = 'rework' AND r.status = 'released'", {"i": line.item})  # fmt: skip
    done = _carry_out(line, number)
    assert done.status == "dispositioned" and len(done.rework) == 1
    order = done.rework[0]
    assert (order.lot_number, order.quantity, order.status) == (lot, "10 ea", "planned")

    # the work order the inspection came from stops at step 2: no more entries there
    s2 = line.step(wo, 2)
    assert any(f"NCR {number}, dispositioned rework" in b for b in s2.blocking)
    with line.uow(line.op) as uow, pytest.raises(StepBlocked, match="stops at step 2"):
        execution.enter_value(uow, s2.id, "LEAK", "fail", s2.version)
    assert line.step(wo, 2).version == s2.version

    # released on the rework routing (the standard one stays the standard work orders')
    with line.uow(line.planner) as uow:
        released = planning.release_work_order(uow, order.work_order)
        uow.commit()
    assert released.routing_revision == label and released.status == "released"
    assert "Rework of lot" in released.note and number in released.note

    # a standard work order may not consume the NCR's lot (quarantine)
    line.release_device_template()
    device_wo = line.new_work_order(line.device)
    first = line.step(device_wo, 1)
    with line.uow(line.op) as uow, pytest.raises(RuleViolation, match="only a released lot"):
        execution.record_consumption(
            uow, first.id, lot, p.bins["QUA"], D(1), expected_version=first.version
        )

    # the rework scans its own lot only
    other = line.new_work_order()
    line.run_first_step(other)
    other_lot = _output(line, other)
    rw = line.step(order.work_order, 1)
    with line.uow(line.op) as uow, pytest.raises(RuleViolation, match="not the lot"):
        execution.record_consumption(
            uow, rw.id, other_lot, p.bins["QUA"], D(10), expected_version=rw.version
        )

    # rework at the station: the lot's label scanned (the whole lot: the work order's
    # quantity) and consumed from quarantine, the reworked lot made, signed, done
    rw = line.step(order.work_order, 1)
    station = station_backend(session_factory, line.op, tmp_path)
    shown = station.scan_component(line.op, rw.id, lot)
    scanned = shown.entry("REWORK_LOT")
    assert scanned is not None and scanned.shown == f"{lot} × 10 ea", scanned
    rw = line.step(order.work_order, 1)
    with line.uow(line.op) as uow:
        execution.enter_value(uow, rw.id, "RESEALED", "pass", rw.version)
        execution.produce(uow, rw.id, D(10), p.bins["QUA"], expected_version=rw.version + 1)
        uow.commit()
    with line.uow(line.op) as uow:
        execution.sign_step(uow, rw.id, "performed", p.signing(line.op))
        uow.commit()
    rw = line.step(order.work_order, 1)
    with line.uow(line.op) as uow:
        execution.finish_step(uow, rw.id, rw.version)
        planning.complete_work_order(uow, order.work_order)
        uow.commit()
    reworked = _output(line, order.work_order)
    with line.uow(p.qa) as uow:
        assert lots.get_lot(uow, lot).status == "consumed"
        edge = scalar(uow, "SELECT count(*) FROM workcell.genealogy_edge e JOIN workcell.lot a ON a.id = e.parent_lot_id"
                           " JOIN workcell.lot b ON b.id = e.child_lot_id WHERE a.lot_number = :a AND b.lot_number = :b",
                      {"a": lot, "b": reworked})  # fmt: skip
    assert edge == 1

    # the NCR stays open until its rework work order is closed
    with (
        line.uow(p.qa) as uow,
        pytest.raises(
            RuleViolation, match=f"rework work order\\(s\\) {order.work_order} not closed"
        ),
    ):
        ncr.close_ncr(uow, number, p.signing(p.qa))
    with line.uow(line.qa2) as uow:
        review.review_work_order(uow, order.work_order, p.signing(line.qa2))
        uow.commit()
    with line.uow(p.qa) as uow:
        review.release_output(uow, order.work_order, p.signing(p.qa))
        uow.commit()
    with line.uow(p.qa) as uow:
        planning.close_work_order(uow, order.work_order)
        uow.commit()
    with line.uow(p.qa) as uow:
        closed = ncr.close_ncr(uow, number, p.signing(p.qa))
        uow.commit()
    assert closed.status == "closed" and closed.rework[0].status == "closed"

    # a released lot sent to rework stays released, and nothing but its rework uses it
    with line.uow(p.qa) as uow:
        assert lots.get_lot(uow, reworked).status == "released"
        again = ncr.raise_ncr(
            uow, ncr.NewNcr("Seal again", "found at the packing bench", 2, 2, (reworked,))
        )
        ncr.choose_disposition(uow, again.number, "rework", "reseal")
        uow.commit()
    with line.uow(line.qa2) as uow:
        ncr.approve_ncr(uow, again.number, "qa_approved", p.signing(line.qa2))
        uow.commit()
    second = _carry_out(line, again.number).rework[0].work_order
    with line.uow(p.qa) as uow:
        assert (
            lots.get_lot(uow, reworked).status == "released"
            and not lots.get_lot(uow, reworked).held
        )
    first = line.step(device_wo, 1)
    with (
        line.uow(line.op) as uow,
        pytest.raises(RuleViolation, match=f"waits for its rework \\({second}\\)"),
    ):
        execution.record_consumption(
            uow, first.id, reworked, p.bins["QUA"], D(1), expected_version=first.version
        )

    # the first work order is completed short, the deviation naming the rework
    with line.uow(line.op) as uow:
        planning.complete_work_order(uow, wo)
        uow.commit()
    with line.uow(p.qa) as uow:
        short = [d for d in deviations.deviations_of(uow, wo) if "completed short" in d.what]
    assert len(short) == 1 and "dispositioned rework" in short[0].why


def test_a_cancelled_rework_is_planned_again(line: InspectedLine) -> None:
    """The rework work order cancelled by the planner: planned again for the lot's stock (not
    by an operator: WC039; not twice: WC197; not a standard work order: WC197)."""
    wo = line.new_work_order()
    number = _failed_ncr(line, wo)
    first = _carry_out(line, number).rework[0].work_order
    with line.uow(line.planner) as uow:
        planning.cancel_work_order(uow, first, "line down: replanned next week")
        uow.commit()
    due = line.plant.today + dt.timedelta(days=10)
    with line.uow(line.op) as uow, pytest.raises(PermissionDenied):
        planning.replan_rework(uow, first, due)
    with line.uow(line.planner) as uow, pytest.raises(RuleViolation, match="not a rework"):
        planning.replan_rework(uow, wo, due)
    with line.uow(line.planner) as uow:
        again = planning.replan_rework(uow, first, due)
        uow.commit()
    assert (
        again.status == "planned"
        and again.due_date == due
        and f"{first} was cancelled" in again.note
    )
    with (
        line.uow(line.planner) as uow,
        pytest.raises(
            RuleViolation, match=f"already has a rework work order for NCR {number}: {again.number}"
        ),
    ):
        planning.replan_rework(uow, first, due)
    with line.uow(line.plant.qa) as uow:
        orders = ncr.get_ncr(uow, number).rework
    assert [(o.work_order, o.status) for o in orders] == [
        (first, "cancelled"),
        (again.number, "planned"),
    ]
    # both cancelled, the NCR closes (its lot stays in quarantine); then nothing is re-planned
    with line.uow(line.planner) as uow:
        planning.cancel_work_order(uow, again.number, "rework moved to the supplier's site")
        uow.commit()
    with line.uow(line.plant.qa) as uow:
        ncr.close_ncr(uow, number, line.plant.signing(line.plant.qa))
        uow.commit()
    with (
        line.uow(line.planner) as uow,
        pytest.raises(
            RuleViolation, match=f"NCR {number} is not reworked again: the NCR is closed"
        ),
    ):
        planning.replan_rework(uow, again.number, due)


def test_rework_needs_stock_to_rework(line: InspectedLine) -> None:
    """An NCR on a lot with nothing left (its stock all consumed by a rework already): the
    rework disposition is refused, saying so (the condition of the move, any writer)."""
    wo = line.new_work_order()
    number = _failed_ncr(line, wo)
    used = _carry_out(line, number).rework[0]
    with line.uow(line.planner) as uow:
        planning.release_work_order(uow, used.work_order)
        uow.commit()
    rw = line.step(used.work_order, 1)
    with line.uow(line.op) as uow:
        execution.record_consumption(
            uow, rw.id, used.lot_number, line.plant.bins["QUA"], D(10), expected_version=rw.version
        )
        uow.commit()
    with line.uow(line.plant.qa) as uow:
        empty = ncr.raise_ncr(
            uow, ncr.NewNcr("Seal", "seen on the record", 2, 2, (used.lot_number,))
        )
        ncr.choose_disposition(uow, empty.number, "rework", "reseal")
        uow.commit()
    with line.uow(line.qa2) as uow:
        ncr.approve_ncr(uow, empty.number, "qa_approved", line.plant.signing(line.qa2))
        uow.commit()
    with (
        line.uow(line.plant.qa) as uow,
        pytest.raises(RuleViolation, match="none of its lots has stock left to rework"),
    ):
        ncr.disposition_ncr(uow, empty.number, line.plant.signing(line.plant.qa))
    with line.uow(line.plant.qa) as uow:
        assert ncr.get_ncr(uow, empty.number).status == "open"
