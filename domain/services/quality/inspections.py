"""Inspections: the plan per defect class (with the reference data's version and source),
results per sample, the database's decision, QA's signed disposition.

API:
  get_inspection(uow, number) -> InspectionView
  inspections_of_lot(uow, lot_number) -> list[str]
  open_inspection(uow, lot_number, inspection_type) -> InspectionView   (QA: final, periodic...)
  record_result(uow, number, sample_no, characteristic_seq, value=None, passed=None,
                serial=None, note="") -> int                            (quality.inspect)
  invalidate_result(uow, result_id, reason)                              (kept, with the reason)
  set_manual_plan(uow, number, defect_class, n, ac, re, note)            (QA, missing cells)
  approve_manual_plan(uow, number, defect_class, n, ac, re, note, signing)
                                          (the same, signed "plan_approved" in one step)
  complete_inspection(uow, number, signing) -> InspectionView            (signed "inspected")
  release_inspection / reject_inspection(uow, number, signing)           (QA; moves the lot)

Receiving inspections open by themselves when a lot of an item with a released receiving
template is received (in the receipt's transaction). In-process (and final) inspections
named by a routing step open when a work order reaches that step (migration 0030; see
domain.services.quality.step_inspections): their disposition signs the inspection only (the
work order's lot is released after its review), and a rejection goes to an NCR (refer).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.services.eco import Signing
from domain.services.materials.db import lot_id, one, run, scalar
from domain.services.quality.signing import sign_records
from domain.uow import UnitOfWork
from domain.views.quality import Result

__all__ = ["InspectionView", "Plan", "Result"]  # Result: the screens' view too


@dataclass(frozen=True)
class Plan:
    defect_class: str
    source: str  # z14 | hundred_percent | fixed | full | manual_required | manual
    aql: Decimal | None
    code_letter: str | None
    table_cell: str | None
    plan_letter: str | None
    sample_size: int | None
    ac: int | None
    re: int | None
    note: str
    nonconforming: int

    def describe(self) -> str:
        if self.source == "manual_required":
            return f"{self.defect_class}: no plan — {self.note}"
        via = ""
        if self.table_cell in ("up", "down"):
            via = f" ({self.code_letter} {self.table_cell} -> {self.plan_letter})"
        elif self.code_letter:
            via = f" (letter {self.code_letter})"
        what = {
            "hundred_percent": "100 % (n reaches the lot)",
            "manual": f"entered by QA ({self.note})",
            "fixed": "fixed count",
            "full": "every unit",
        }
        aql = f" AQL {self.aql.normalize():f}" if self.aql is not None else ""
        return (
            f"{self.defect_class}:{aql}{via} n={self.sample_size} Ac {self.ac} "
            f"Re {self.re}{' — ' + what[self.source] if self.source in what else ''}"
        )


@dataclass(frozen=True)
class InspectionView:
    id: int
    number: str
    lot_number: str
    item_number: str
    supplier: str | None
    inspection_type: str
    template_id: int
    template_revision: int
    lot_size: int | None
    severity: str
    sample_size: int | None
    data_version: str
    data_source: str
    decision: str | None
    decision_note: str
    status: str
    ncr_number: str | None
    created_by: str
    version: int
    switching_status: str | None
    switching_score: int | None
    switching_rule: str | None
    plans: tuple[Plan, ...]
    results: tuple[Result, ...]
    # made at a routing step (migration 0030): "WO-000012 step 3"; its disposition does not
    # move the work order's lot, and a rejection is referred to an NCR
    step: str | None = None


_INSPECTION = """
SELECT i.id, i.number, l.lot_number, it.item_number, s.code AS supplier, i.inspection_type,
       i.template_id, t.revision AS template_revision, i.lot_size, i.severity, i.sample_size,
       i.data_version, r.source AS data_source, i.decision, i.decision_note, i.status,
       n.number AS ncr_number, u.username AS created_by, i.version,
       w.status AS switching_status, w.score AS switching_score, w.last_rule AS switching_rule,
       (SELECT o.number || ' step ' || si.seq FROM workcell.step_inspection x
          JOIN workcell.step_instance si ON si.id = x.step_instance_id
          JOIN workcell.work_order o ON o.id = si.work_order_id
         WHERE x.inspection_id = i.id) AS step
  FROM workcell.inspection i JOIN workcell.lot l ON l.id = i.lot_id
  JOIN workcell.item it ON it.id = l.item_id
  JOIN workcell.inspection_template t ON t.id = i.template_id
  JOIN workcell.z14_reference r ON r.version = i.data_version
  JOIN workcell.users u ON u.id = i.created_by
  LEFT JOIN workcell.supplier s ON s.id = l.supplier_id
  LEFT JOIN workcell.ncr n ON n.id = i.ncr_id
  LEFT JOIN workcell.switching_state w ON w.id = i.switching_id
 WHERE i.number = :number
"""
_PLANS = """
SELECT p.defect_class, p.source, p.aql, p.code_letter, p.table_cell, p.plan_letter,
       p.sample_size, p.ac, p.re, p.note,
       coalesce(workcell.inspection_nonconforming(p.inspection_id, p.defect_class,
                                                  p.sample_size), 0)
  FROM workcell.inspection_plan p WHERE p.inspection_id = :id ORDER BY p.defect_class
"""
_RESULTS = """
SELECT r.id, r.sample_no, c.name, c.seq, r.value, r.passed, s.serial_number, u.username,
       r.entered_at, x.reason
  FROM workcell.inspection_result r
  JOIN workcell.inspection_characteristic c ON c.id = r.characteristic_id
  JOIN workcell.users u ON u.id = r.entered_by
  LEFT JOIN workcell.serial s ON s.id = r.serial_id
  LEFT JOIN workcell.inspection_result_invalidation x ON x.result_id = r.id
 WHERE r.inspection_id = :id ORDER BY r.sample_no, c.seq, r.id
"""


def get_inspection(uow: UnitOfWork, number: str) -> InspectionView:
    row = one(uow, _INSPECTION, {"number": number.strip().upper()})
    if row is None:
        raise NotFound(f"There is no inspection {number.strip()!r}.")
    p = {"id": row.id}
    return InspectionView(
        **dict(row._mapping),
        plans=tuple(Plan(*r) for r in run(uow, _PLANS, p)),
        results=tuple(Result(*r) for r in run(uow, _RESULTS, p)),
    )


def inspections_of_lot(uow: UnitOfWork, lot_number: str) -> list[str]:
    return [
        str(r[0])
        for r in run(
            uow,
            "SELECT number FROM workcell.inspection WHERE lot_id = :l ORDER BY id",
            {"l": lot_id(uow, lot_number)},
        )
    ]


def open_inspection(uow: UnitOfWork, lot_number: str, inspection_type: str) -> InspectionView:
    lot = lot_id(uow, lot_number)
    uow.set_reason(f"{inspection_type} inspection of lot {lot_number.strip().upper()}")
    new = scalar(uow, "SELECT workcell.create_inspection(:l, :t)", {"l": lot, "t": inspection_type})
    number = scalar(uow, "SELECT number FROM workcell.inspection WHERE id = :id", {"id": new})
    return get_inspection(uow, str(number))


def _characteristic(uow: UnitOfWork, view: InspectionView, seq: int) -> int:
    found = scalar(
        uow,
        "SELECT id FROM workcell.inspection_characteristic WHERE template_id = :t AND seq = :s",
        {"t": view.template_id, "s": seq},
    )
    if found is None:
        raise NotFound(f"Template revision {view.template_revision} has no characteristic {seq}.")
    return int(found)


def record_result(
    uow: UnitOfWork,
    number: str,
    sample_no: int,
    characteristic_seq: int,
    *,
    value: Decimal | None = None,
    passed: bool | None = None,
    serial: str | None = None,
    note: str = "",
) -> int:
    """One result; a measured value is judged against the limits by the database."""
    view = get_inspection(uow, number)
    if view.status != "open":
        raise RuleViolation(f"Inspection {view.number} is {view.status}: results are fixed.")
    if (value is None) == (passed is None):
        raise InvalidInput("Enter the measured value, or pass/fail — one of them.")
    char = _characteristic(uow, view, characteristic_seq)
    return int(
        scalar(
            uow,
            "SELECT workcell.record_inspection_result(:i, :s, :c, :v, :p, :serial, :note)",
            {
                "i": view.id,
                "s": sample_no,
                "c": char,
                "v": value,
                "p": passed,
                "serial": serial,
                "note": note,
            },
        )
    )


def invalidate_result(uow: UnitOfWork, result_id: int, reason: str) -> None:
    if not reason.strip():
        raise InvalidInput("Say why the result is invalid: it is kept, with the reason.")
    run(uow, "SELECT workcell.invalidate_inspection_result(:r, :why)",
        {"r": result_id, "why": reason.strip()})  # fmt: skip


def set_manual_plan(
    uow: UnitOfWork, number: str, defect_class: str, n: int, ac: int, re: int, note: str
) -> InspectionView:
    """QA's plan for a class the reference tables do not cover (never a guess of ours)."""
    view = get_inspection(uow, number)
    uow.set_reason(f"inspection {view.number}: plan entered by QA ({note.strip()})"[:500])
    run(
        uow,
        "SELECT workcell.set_manual_plan(:i, :c, :n, :ac, :re, :note)",
        {"i": view.id, "c": defect_class, "n": n, "ac": ac, "re": re, "note": note},
    )
    return get_inspection(uow, number)


def approve_manual_plan(
    uow: UnitOfWork, number: str, defect_class: str, n: int, ac: int, re: int, note: str,
    signing: Signing,
) -> InspectionView:  # fmt: skip
    """QA enters the plan and signs it "plan_approved" in one transaction: the signature is
    made after the plan, so the content it binds carries n, Ac, Re, the approver and the
    note (migration 0033: completion is refused while a manual plan lacks it)."""
    view = set_manual_plan(uow, number, defect_class, n, ac, re, note)
    sign_records(uow, [("inspection", view.id, view.version)], "plan_approved", signing)
    return get_inspection(uow, number)


def _move(uow: UnitOfWork, view: InspectionView, to: str) -> InspectionView:
    rows = run(
        uow,
        "UPDATE workcell.inspection SET status = :to, version = version + 1"
        " WHERE id = :id AND version = :v RETURNING id",
        {"to": to, "id": view.id, "v": view.version},
    )
    if not rows:
        raise RuleViolation(f"Inspection {view.number} changed meanwhile: reload it.")
    return get_inspection(uow, view.number)


def complete_inspection(uow: UnitOfWork, number: str, signing: Signing) -> InspectionView:
    """Signed "inspected" by the inspector; the database decides accept or reject."""
    view = get_inspection(uow, number)
    if view.status != "open":
        raise RuleViolation(f"Inspection {view.number} is {view.status}.")
    sign_records(uow, [("inspection", view.id, view.version)], "inspected", signing)
    return _move(uow, view, "completed")


def _disposition(uow: UnitOfWork, number: str, meaning: str, signing: Signing) -> InspectionView:
    view = get_inspection(uow, number)
    if view.status != "completed":
        raise RuleViolation(f"Inspection {view.number} is {view.status}: complete it first.")
    inspector = scalar(
        uow,
        "SELECT u.username FROM workcell.signature s JOIN workcell.users u ON u.id = s.signer_id"
        " WHERE s.record_type = 'inspection' AND s.record_id = :id AND s.meaning = 'inspected'"
        " ORDER BY s.id DESC LIMIT 1",
        {"id": view.id},
    )
    if signing.creds.username in (inspector, view.created_by):
        raise RuleViolation(
            f"{signing.creds.username} inspected or received lot {view.lot_number}: someone "
            "else dispositions it.",
            title="Segregation of duties",
        )
    records: list[tuple[str, int, int]] = [("inspection", view.id, view.version)]
    if view.step is None:  # a step's inspection leaves the work order's lot where it is
        lot = one(
            uow, "SELECT id, version FROM workcell.lot WHERE lot_number = :n",
            {"n": view.lot_number},
        )  # fmt: skip
        records.append(("lot", lot.id, lot.version))
    sign_records(uow, records, meaning, signing)
    return _move(uow, view, meaning)


def release_inspection(uow: UnitOfWork, number: str, signing: Signing) -> InspectionView:
    """QA accepts the disposition: the lot leaves quarantine (same signature, same step)."""
    view = get_inspection(uow, number)
    if view.decision != "accept":
        raise RuleViolation(
            f"Inspection {view.number} rejected the lot ({view.decision_note}): reject it or "
            "raise an NCR."
        )
    return _disposition(uow, number, "released", signing)


def reject_inspection(uow: UnitOfWork, number: str, signing: Signing) -> InspectionView:
    view = get_inspection(uow, number)
    if view.step is not None:
        raise RuleViolation(
            f"Inspection {view.number} was made at {view.step}: refer it to an NCR (its "
            "disposition decides what becomes of the work), it is not rejected outright."
        )
    if not (signing.comment or "").strip():
        raise InvalidInput("Say why the lot is rejected (the comment is part of the signature).")
    return _disposition(uow, number, "rejected", signing)
