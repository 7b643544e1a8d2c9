"""NCRs: raised from a failed inspection or by hand; the risk class from the released risk
matrix (severity x occurrence); the lots and their forward trace on NCR hold; dispositions
approved as the risk class demands; the holds leave only through the disposition.

API:
  raise_ncr(uow, NewNcr) -> NcrView                       (quality.ncr.raise)
  raise_from_deviation(uow, deviation_number, NewNcr) -> NcrView   (a work order's deviation)
  refer_inspection(uow, inspection_number, NewNcr, signing) -> NcrView
        QA dispositions a completed inspection to an NCR (signed "referred")
  get_ncr(uow, number) -> NcrView
  choose_disposition(uow, number, disposition, note) -> NcrView   (QA; approvals start over)
  approve_ncr(uow, number, meaning, signing) -> NcrView  (qa_approved, engineering_approved...)
  disposition_ncr(uow, number, signing) -> NcrView       (QA: holds closed; scrap/return reject;
                                                          rework: rework work orders planned)
  close_ncr(uow, number, signing) -> NcrView

Rework (migration 0036): the disposition needs a BOM and a rework routing in effect for the
item of every affected lot with stock; carried out, the database plans one rework work order
per such lot (``NcrView.rework``), which a planner releases on the rework routing and which
consumes the lot from quarantine. The NCR closes once they are closed. An open CAPA blocks
closing the NCR. Scrap, return to supplier or rework of a step inspection's NCR stops its
work order at that step: it is completed short (docs/quality.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.services.eco import Signing
from domain.services.materials.db import lot_id, one, run, scalar
from domain.services.quality import inspections
from domain.services.quality.signing import sign_records
from domain.services.work_orders.deviations import get_deviation
from domain.uow import UnitOfWork
from domain.views.quality import NcrLot

DISPOSITIONS = ("use_as_is", "rework", "repair", "scrap", "return_to_supplier")
APPROVALS = ("qa_approved", "engineering_approved", "management_approved")


@dataclass(frozen=True)
class NewNcr:
    title: str
    description: str
    severity: int  # 1 negligible .. 5 catastrophic
    occurrence: int  # 1 remote .. 5 frequent
    lots: tuple[str, ...] = ()


@dataclass(frozen=True)
class Approval:
    meaning: str
    signer: str
    at: dt.datetime
    valid: bool


@dataclass(frozen=True)
class NcrView:
    id: int
    number: str
    origin: str
    inspection: str | None
    deviation: str | None  # the deviation it was raised from (migration 0036)
    title: str
    description: str
    severity: int
    occurrence: int
    risk_class: str
    matrix_revision: int
    disposition: str | None
    disposition_note: str
    status: str
    created_by: str
    version: int
    lots: tuple[NcrLot, ...]
    required: tuple[str, ...]  # approvals the disposition needs in this risk class
    missing: tuple[str, ...]
    approvals: tuple[Approval, ...]
    rework: tuple[ReworkOrder, ...] = ()  # planned by a rework disposition


@dataclass(frozen=True)
class ReworkOrder:
    work_order: str
    lot_number: str  # the lot it reworks
    quantity: str
    status: str


_NCR = """
SELECT n.id, n.number, n.origin, i.number AS inspection, v.number AS deviation, n.title,
       n.description, n.severity,
       n.occurrence, n.risk_class, m.revision AS matrix_revision, n.disposition,
       n.disposition_note, n.status, u.username AS created_by, n.version
  FROM workcell.ncr n JOIN workcell.risk_matrix m ON m.id = n.matrix_id
  JOIN workcell.users u ON u.id = n.created_by
  LEFT JOIN workcell.inspection i ON i.id = n.inspection_id
  LEFT JOIN workcell.deviation v ON v.id = n.deviation_id
 WHERE n.number = :number
"""


def get_ncr(uow: UnitOfWork, number: str) -> NcrView:
    row = one(uow, _NCR, {"number": number.strip().upper()})
    if row is None:
        raise NotFound(f"There is no NCR {number.strip()!r}.")
    p = {"id": row.id}
    lots = tuple(
        NcrLot(*r)
        for r in run(
            uow,
            "SELECT l.lot_number, x.via, x.hold_id, h.status, l.status FROM workcell.ncr_lot x"
            " JOIN workcell.lot l ON l.id = x.lot_id LEFT JOIN workcell.hold h ON h.id = x.hold_id"
            " WHERE x.ncr_id = :id ORDER BY x.via, l.lot_number",
            p,
        )
    )
    required = scalar(
        uow,
        "SELECT a.approvals FROM workcell.ncr n JOIN workcell.risk_matrix_approval a"
        " ON a.matrix_id = n.matrix_id AND a.risk_class = n.risk_class"
        " AND a.disposition = n.disposition WHERE n.id = :id",
        p,
    )
    missing = scalar(uow, "SELECT workcell.ncr_missing_approvals(:id)", p)
    approvals = tuple(
        Approval(*r)
        for r in run(
            uow,
            "SELECT meaning, username, signed_at, valid FROM workcell.signature_manifest"
            " WHERE record_type = 'ncr' AND record_id = :id ORDER BY id",
            p,
        )
    )
    rework = tuple(
        ReworkOrder(*r)
        for r in run(
            uow,
            "SELECT w.number, l.lot_number, trim_scale(w.quantity)::text || ' ' || w.unit,"
            " w.status FROM workcell.work_order w JOIN workcell.lot l ON l.id = w.rework_lot_id"
            " WHERE w.ncr_id = :id ORDER BY w.number",
            p,
        )
    )
    return NcrView(**dict(row._mapping), lots=lots, required=tuple(required or ()),
                   missing=tuple(missing or ()), approvals=approvals, rework=rework)  # fmt: skip


def _check(new: NewNcr) -> None:
    if not new.title.strip() or not new.description.strip():
        raise InvalidInput("An NCR has a title and a description of the nonconformance.")
    if not (1 <= new.severity <= 5 and 1 <= new.occurrence <= 5):
        raise InvalidInput("Severity and occurrence are each 1 to 5.")


def _raise(
    uow: UnitOfWork, origin: str, inspection_id: int | None, new: NewNcr,
    deviation_id: int | None = None,
) -> NcrView:  # fmt: skip
    _check(new)
    ids = [lot_id(uow, n) for n in new.lots]
    uow.set_reason(f"NCR raised: {new.title.strip()}"[:500])
    nid = scalar(
        uow,
        "SELECT workcell.raise_ncr(:o, :i, :v, CAST(:lots AS bigint[]), :t, :d, :s, :occ)",
        {"o": origin, "i": inspection_id, "v": deviation_id, "lots": ids, "t": new.title,
         "d": new.description, "s": new.severity, "occ": new.occurrence},
    )  # fmt: skip
    number = scalar(uow, "SELECT number FROM workcell.ncr WHERE id = :id", {"id": nid})
    return get_ncr(uow, str(number))


def raise_ncr(uow: UnitOfWork, new: NewNcr) -> NcrView:
    """By hand: the named lots and their forward trace go on hold."""
    if not new.lots:
        raise InvalidInput("Name the lots the NCR concerns.")
    return _raise(uow, "manual", None, new)


def raise_from_deviation(uow: UnitOfWork, deviation_number: str, new: NewNcr) -> NcrView:
    """From a work order's deviation (one NCR per deviation): the lots named, or else the
    work order's output lot, and their forward trace go on hold."""
    deviation = get_deviation(uow, deviation_number)
    return _raise(uow, "deviation", None, new, deviation.id)


def refer_inspection(
    uow: UnitOfWork, inspection_number: str, new: NewNcr, signing: Signing
) -> NcrView:
    """QA's disposition of a completed inspection to an NCR (signed "referred", not by the
    inspector): the NCR is raised in the same transaction and holds the lot."""
    view = inspections.get_inspection(uow, inspection_number)
    if view.status != "completed":
        raise RuleViolation(f"Inspection {view.number} is {view.status}: complete it first.")
    ncr = _raise(uow, "inspection", view.id, new)
    view = inspections.get_inspection(uow, inspection_number)
    sign_records(uow, [("inspection", view.id, view.version)], "referred", signing)
    run(uow, "UPDATE workcell.inspection SET status = 'referred', version = version + 1"
             " WHERE id = :id", {"id": view.id})  # fmt: skip
    return get_ncr(uow, ncr.number)


def choose_disposition(uow: UnitOfWork, number: str, disposition: str, note: str) -> NcrView:
    if disposition not in DISPOSITIONS:
        raise InvalidInput(f"Disposition: one of {', '.join(DISPOSITIONS)}.")
    ncr = get_ncr(uow, number)
    if ncr.status != "open":
        raise RuleViolation(f"NCR {ncr.number} is {ncr.status}: its disposition is fixed.")
    uow.set_reason(f"NCR {ncr.number}: disposition {disposition} ({note.strip()})"[:500])
    run(uow, "UPDATE workcell.ncr SET disposition = :d, disposition_note = :n,"
             " version = version + 1 WHERE id = :id",
        {"d": disposition, "n": note.strip(), "id": ncr.id})  # fmt: skip
    return get_ncr(uow, number)


def approve_ncr(uow: UnitOfWork, number: str, meaning: str, signing: Signing) -> NcrView:
    """One approval of the chosen disposition (what the approver signs includes it)."""
    if meaning not in APPROVALS:
        raise InvalidInput(f"An NCR approval is one of {', '.join(APPROVALS)}.")
    ncr = get_ncr(uow, number)
    if ncr.status != "open" or ncr.disposition is None:
        raise RuleViolation(f"NCR {ncr.number}: choose the disposition before approving it.")
    sign_records(uow, [("ncr", ncr.id, ncr.version)], meaning, signing)
    return get_ncr(uow, number)


def disposition_ncr(uow: UnitOfWork, number: str, signing: Signing) -> NcrView:
    """QA carries the disposition out: with the approvals its risk class demands, the NCR
    is dispositioned and its holds are released (signed); scrap and return to supplier also
    reject the lots (signed "rejected")."""
    ncr = get_ncr(uow, number)
    if ncr.status != "open":
        raise RuleViolation(f"NCR {ncr.number} is {ncr.status}.")
    if ncr.missing:
        raise RuleViolation(
            f"NCR {ncr.number} ({ncr.risk_class}) needs {', '.join(ncr.required)} for "
            f"{ncr.disposition}; missing {', '.join(ncr.missing)}.",
            title="Approval missing",
        )
    uow.set_reason(f"NCR {ncr.number} dispositioned: {ncr.disposition}")
    run(uow, "UPDATE workcell.ncr SET status = 'dispositioned', version = version + 1"
             " WHERE id = :id AND version = :v", {"id": ncr.id, "v": ncr.version})  # fmt: skip
    holds = run(
        uow,
        "SELECT id, version FROM workcell.hold WHERE source = 'ncr' AND source_ref = :n"
        " AND status = 'open' ORDER BY id",
        {"n": ncr.number},
    )
    if holds:
        sign_records(uow, [("hold", int(h.id), int(h.version)) for h in holds], "released", signing)
        run(uow, "UPDATE workcell.hold SET status = 'closed', close_comment = :c,"
                 " version = version + 1 WHERE source = 'ncr' AND source_ref = :n"
                 " AND status = 'open'",
            {"c": f"NCR {ncr.number}: {ncr.disposition}", "n": ncr.number})  # fmt: skip
    if ncr.disposition in ("scrap", "return_to_supplier"):
        lots = run(
            uow,
            "SELECT l.id, l.version FROM workcell.ncr_lot x JOIN workcell.lot l ON l.id = x.lot_id"
            " WHERE x.ncr_id = :id AND l.status IN ('quarantine', 'released') ORDER BY l.id",
            {"id": ncr.id},
        )
        if lots:
            sign_records(uow, [("lot", int(r.id), int(r.version)) for r in lots], "rejected",
                         signing)  # fmt: skip
            run(uow, "UPDATE workcell.lot SET status = 'rejected', version = version + 1"
                     " WHERE id = ANY (CAST(:ids AS bigint[]))",
                {"ids": [int(r.id) for r in lots]})  # fmt: skip
    return get_ncr(uow, number)


def close_ncr(uow: UnitOfWork, number: str, signing: Signing) -> NcrView:
    ncr = get_ncr(uow, number)
    if ncr.status != "dispositioned":
        raise RuleViolation(f"NCR {ncr.number} is {ncr.status}: it is dispositioned first.")
    sign_records(uow, [("ncr", ncr.id, ncr.version)], "closed", signing)
    run(uow, "UPDATE workcell.ncr SET status = 'closed', version = version + 1 WHERE id = :id",
        {"id": ncr.id})  # fmt: skip
    return get_ncr(uow, number)
