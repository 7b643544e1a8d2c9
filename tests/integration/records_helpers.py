"""A completed, reviewed and released work order for the batch record tests, made through
the work order services on the work order test line: component scans, an out-of-limit value
with its deviation approved by QA, a corrected value, every signature the routing asks for,
the output lot, the QA review and the lot's release."""

from __future__ import annotations

from decimal import Decimal

from domain.services.work_orders import deviations, execution, planning, review
from tests.integration.work_order_helpers import Line

D = Decimal


def _sign(line: Line, who: str, wo: str, seq: int, meaning: str) -> None:
    s = line.step(wo, seq)
    with line.uow(who) as uow:
        execution.sign_step(uow, s.id, meaning, line.plant.signing(who))
        uow.commit()


def _finish(line: Line, who: str, wo: str, seq: int) -> None:
    s = line.step(wo, seq)
    with line.uow(who) as uow:
        execution.finish_step(uow, s.id, s.version)
        uow.commit()


def _enter(line: Line, who: str, wo: str, seq: int, code: str, value: str) -> None:
    s = line.step(wo, seq)
    with line.uow(who) as uow:
        execution.enter_value(uow, s.id, code, value, s.version)
        uow.commit()


def completed_work_order(line: Line, *, released: bool = True) -> str:
    """A work order run to complete (reviewed and its lot released when ``released``)."""
    wo = line.new_work_order()
    cap, resin = line.plant.stocked("cap", "50"), line.plant.stocked("resin", "5")
    s = line.step(wo, 1)
    for lot, qty in ((cap, "10"), (resin, "0.5")):
        with line.uow(line.op1) as uow:
            execution.consume(uow, s.id, lot, line.plant.bins["LINE"], D(qty))
            uow.commit()
    _sign(line, line.op1, wo, 1, "performed")
    _finish(line, line.op1, wo, 1)
    _enter(line, line.op1, wo, 2, "LENGTH", "10.62")  # out of limit: a deviation opens
    _enter(line, line.op1, wo, 2, "VISUAL", "fail")
    s = line.step(wo, 2)
    visual = next(f for f in s.fields if f.code == "VISUAL").history[0]
    with line.uow(line.op2) as uow:
        execution.correct_value(uow, visual.id, "pass", "tapped the wrong key", s.version)
        uow.commit()
    _sign(line, line.op1, wo, 2, "performed")
    _sign(line, line.sup, wo, 2, "verified")
    for deviation in line.step(wo, 2).deviations:  # the length's, and the failed visual's
        with line.uow(line.qa2) as uow:
            deviations.approve_deviation(
                uow, deviation.number, line.plant.signing(line.qa2, "use as is")
            )
            uow.commit()
    _finish(line, line.op1, wo, 2)
    s = line.step(wo, 3)
    with line.uow(line.op1) as uow:
        execution.enter_value(uow, s.id, "FINAL", "pass", s.version)
        execution.produce(uow, s.id, D(10), line.plant.bins["QUA"], expected_version=s.version + 1)
        uow.commit()
    _sign(line, line.op1, wo, 3, "performed")
    _sign(line, line.sup, wo, 3, "verified")
    _sign(line, line.plant.qa, wo, 3, "reviewed")
    _finish(line, line.op1, wo, 3)
    with line.uow(line.op1) as uow:
        planning.set_label_counts(uow, wo, 12, 10, 2)
        planning.complete_work_order(uow, wo)
        uow.commit()
    if released:
        with line.uow(line.qa2) as uow:
            review.review_work_order(uow, wo, line.plant.signing(line.qa2, "reviewed by exception"))
            uow.commit()
        with line.uow(line.qa2) as uow:
            review.release_output(uow, wo, line.plant.signing(line.qa2))
            uow.commit()
    return wo
