"""The batch record / device history record of one work order, gathered from the database
as a typed structure (WorkOrderRecord): what the PDF shows and what its JSON twin carries.

It reads through the work order services (domain/services/work_orders), the genealogy trace
(materials/trace.py) and the audit queries (domain/audit/query.py); the few reads they do not
offer (signature rows with their binding fields, consumed lots with expiry, holds, the audit
chain head) are here. Everything is read in the caller's transaction, so one snapshot.
"""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.audit import query
from domain.audit.query import AuditRow
from domain.errors import NotFound, RuleViolation
from domain.services.materials import trace
from domain.services.materials.db import one, run, scalar
from domain.services.quality import capa, inspections, ncr
from domain.services.quality.capa import CapaView
from domain.services.quality.inspections import InspectionView
from domain.services.quality.ncr import NcrView
from domain.services.work_orders import deviations, execution, planning, review
from domain.uow import UnitOfWork
from domain.views.work_orders import DeviationView, ExceptionRow, StepView, WorkOrderSummary

FORMAT = "workcell-ebr/1"
PRINTABLE = ("complete", "reviewed", "closed")


@dataclass(frozen=True)
class Generated:
    at: dt.datetime  # the server's clock
    by: str  # printed name
    username: str
    station: str  # the database login
    installation: str
    timezone: str  # the plant's: manifestations are shown in it


@dataclass(frozen=True)
class Header:
    kind: str  # batch_record | device_history_record
    site: str
    item_tracking: str
    gtin: str | None
    serials: tuple[str, ...]
    udi: tuple[str, ...]  # GS1 element strings of the made devices (DHR)
    completed_at: dt.datetime | None
    lock_valid: bool
    work_order: WorkOrderSummary


@dataclass(frozen=True)
class SignatureRecord:
    """A signature row with every field its binding hash covers, and its manifestation."""

    id: int
    record_type: str
    record_table: str
    record_id: int
    record_version: int
    content_hash: str
    meaning: str
    signer_id: int
    printed_name: str
    signed_at_utc: str  # exactly as workcell.signature_binding renders it
    method: str
    station: str
    comment: str | None
    binding_hash: str
    username: str
    manifestation: str  # §11.50: "Verified by Sam Super on 2026-12-02 09:14:03 CET"
    valid: bool  # recomputed by the database at generation time
    reason: str | None


@dataclass(frozen=True)
class Consumption:
    step_seq: int
    entry_id: int
    lot_number: str
    item_number: str
    serial: str | None
    quantity: Decimal
    unit: str
    expiry_date: dt.date | None
    entered_by: str
    entered_at: dt.datetime


@dataclass(frozen=True)
class StepRecord:
    step: StepView
    consumed: tuple[Consumption, ...]
    signatures: tuple[SignatureRecord, ...]


@dataclass(frozen=True)
class DeviationRecord:
    deviation: DeviationView
    signatures: tuple[SignatureRecord, ...]


@dataclass(frozen=True)
class Genealogy:
    root: str | None
    nodes: tuple[trace.Node, ...]
    edges: tuple[trace.Edge, ...]


@dataclass(frozen=True)
class InspectionRecord:
    """An inspection of the output lot or of a consumed lot: its plan per defect class (with
    the reference data's version and source), every result (invalidated ones with their
    reason), the database's decision, and its signatures (inspected, QA's disposition)."""

    inspection: InspectionView
    signatures: tuple[SignatureRecord, ...]


@dataclass(frozen=True)
class NcrRecord:
    """An NCR naming the output lot or a consumed lot (directly or by the forward trace)."""

    ncr: NcrView
    signatures: tuple[SignatureRecord, ...]


@dataclass(frozen=True)
class CapaRecord:
    """A CAPA on one of those NCRs, with its D0..D8 sections and their signatures."""

    capa: CapaView
    signatures: tuple[SignatureRecord, ...]


@dataclass(frozen=True)
class QualityRecords:
    inspections: tuple[InspectionRecord, ...]
    ncrs: tuple[NcrRecord, ...]
    capas: tuple[CapaRecord, ...]


@dataclass(frozen=True)
class ChainHead:
    position: int | None
    chain_hash: str | None
    anchor_position: int | None  # the newest anchor this station wrote, if any
    anchor_hash: str | None
    anchor_recorded_at: str | None


@dataclass(frozen=True)
class WorkOrderRecord:
    format: str
    template_sha256: str
    generated: Generated
    header: Header
    exceptions: tuple[ExceptionRow, ...]
    steps: tuple[StepRecord, ...]
    deviations: tuple[DeviationRecord, ...]
    review: tuple[SignatureRecord, ...]  # "reviewed" of the work order, the lot's release
    genealogy: Genealogy
    quality: QualityRecords
    audit_trail: tuple[AuditRow, ...]
    audit_head: ChainHead

    @property
    def signatures(self) -> tuple[SignatureRecord, ...]:
        every = [s for st in self.steps for s in st.signatures]
        every += [s for d in self.deviations for s in d.signatures]
        q = self.quality
        every += [s for i in q.inspections for s in i.signatures]
        every += [s for n in q.ncrs for s in n.signatures]
        every += [s for c in q.capas for s in c.signatures]
        return (*every, *self.review)


_SIGNATURES = """
SELECT s.id, s.record_type, s.record_table, s.record_id, s.record_version, s.content_hash, s.meaning,
       s.signer_id, s.printed_name, to_char(s.signed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       s.method, s.station, s.comment, s.binding_hash, u.username, s.signed_at, v.valid, v.reason
  FROM workcell.signature s JOIN workcell.users u ON u.id = s.signer_id
  CROSS JOIN LATERAL workcell.verify_signature(s.id) v
 WHERE (s.record_type, s.record_id) IN (SELECT * FROM unnest(CAST(:types AS text[]), CAST(:ids AS bigint[])))
 ORDER BY s.id
"""
_CONSUMED = """
SELECT si.seq, e.id, l.lot_number, i.item_number, x.serial_number, e.quantity, e.unit, l.expiry_date,
       u.printed_name, e.entered_at
  FROM workcell.step_entry e JOIN workcell.step_instance si ON si.id = e.step_instance_id
  JOIN workcell.lot l ON l.id = e.lot_id JOIN workcell.item i ON i.id = l.item_id
  JOIN workcell.users u ON u.id = e.entered_by LEFT JOIN workcell.serial x ON x.id = e.serial_id
 WHERE si.work_order_id = :wo AND e.kind = 'scan' ORDER BY si.seq, e.id
"""
# holds on the lots the work order consumed or made (open or closed): QA reads them first
_HOLDS = """
SELECT NULL::int, 'hold on ' || l.lot_number || ' (' || h.status || ')', h.source || coalesce(' ' || nullif(h.source_ref, ''), '') || ': ' || h.reason,
       u.printed_name, h.created_at, 'hold ' || h.id
  FROM workcell.hold h JOIN workcell.lot l ON l.id = h.lot_id JOIN workcell.users u ON u.id = h.created_by
 WHERE h.lot_id IN (SELECT e.lot_id FROM workcell.step_entry e JOIN workcell.step_instance si ON si.id = e.step_instance_id
                     WHERE si.work_order_id = :wo AND e.lot_id IS NOT NULL
                    UNION SELECT output_lot_id FROM workcell.work_order WHERE id = :wo)
 ORDER BY h.created_at, h.id
"""
_CONTEXT = """
SELECT clock_timestamp(), u.printed_name, u.username, session_user::text,
       coalesce((SELECT i.id::text FROM audit.installation i), ''),
       coalesce((SELECT plant_timezone FROM workcell.materials_policy WHERE id = 1), 'UTC'),
       it.tracking, it.gtin, w.output_lot_id, w.completed_at,
       (SELECT st.code FROM workcell.inventory_txn t JOIN workcell.bin b ON b.id = t.to_bin_id
          JOIN workcell.zone z ON z.id = b.zone_id JOIN workcell.site st ON st.id = z.site_id
         WHERE t.lot_id = w.output_lot_id ORDER BY t.id LIMIT 1)
  FROM workcell.work_order w JOIN workcell.item it ON it.id = w.item_id
  LEFT JOIN workcell.users u ON u.username = :who
 WHERE w.id = :wo
"""
_HEAD = "SELECT position, chain_hash FROM audit.chain ORDER BY position DESC LIMIT 1"
# the lots a work order's quality records concern: its output lot and the lots it consumed
_LOTS = """
SELECT output_lot_id FROM workcell.work_order WHERE id = :wo AND output_lot_id IS NOT NULL
UNION SELECT e.lot_id FROM workcell.step_entry e JOIN workcell.step_instance si ON si.id = e.step_instance_id
 WHERE si.work_order_id = :wo AND e.kind = 'scan'
"""
_QUALITY = """
SELECT 'inspection', i.number FROM workcell.inspection i WHERE i.lot_id = ANY (CAST(:lots AS bigint[]))
UNION ALL
SELECT 'ncr', n.number FROM workcell.ncr n
 WHERE EXISTS (SELECT 1 FROM workcell.ncr_lot x WHERE x.ncr_id = n.id AND x.lot_id = ANY (CAST(:lots AS bigint[])))
UNION ALL
SELECT 'capa', c.number FROM workcell.capa c
 WHERE EXISTS (SELECT 1 FROM workcell.ncr_lot x WHERE x.ncr_id = c.ncr_id AND x.lot_id = ANY (CAST(:lots AS bigint[])))
 ORDER BY 1, 2
"""


def work_order_for(uow: UnitOfWork, ident: str) -> str:
    """The work order named, or the one that made the lot named."""
    try:
        return planning.get_work_order(uow, ident).number
    except NotFound:
        number = scalar(
            uow,
            "SELECT w.number FROM workcell.work_order w JOIN workcell.lot l ON l.id = w.output_lot_id"
            " WHERE l.lot_number = :l",
            {"l": ident.strip().upper()},
        )
        if number is None:
            raise NotFound(
                f"There is no work order {ident.strip()!r} and no lot of that number made by one."
            ) from None
        return str(number)


def collect(
    uow: UnitOfWork, ident: str, template_sha256: str, anchor: ChainHead | None = None
) -> WorkOrderRecord:
    """The whole record of a complete (or reviewed, closed) work order, or of the one that
    made lot ``ident``. ``anchor`` carries the station's newest anchor (kiosk side reads it)."""
    wo = planning.get_work_order(uow, work_order_for(uow, ident))
    if wo.status not in PRINTABLE:
        raise RuleViolation(
            f"Work order {wo.number} is {wo.status.replace('_', ' ')}: its batch record is printed"
            " once it is complete (then again after review and release)."
        )
    # the person is the unit of work's (a read without anyone signed in, as `ebr verify
    # --database` does, names nobody; current_actor_id() would refuse it)
    ctx = one(uow, _CONTEXT, {"wo": wo.id, "who": uow.actor})
    tz = ZoneInfo(ctx[5])
    steps = execution.steps_of(uow, wo.number)
    devs = deviations.deviations_of(uow, wo.number)
    sigs = _signatures(uow, wo.id, [s.id for s in steps], [d.id for d in devs], ctx[8], tz)
    serials = _serials(uow, ctx[8])
    quality = _quality(uow, wo.id, tz)
    header = Header(
        kind="device_history_record" if ctx[6] == "serial" else "batch_record",
        site=ctx[10] or "",
        item_tracking=ctx[6],
        gtin=ctx[7],
        serials=serials,
        udi=_udi(ctx[7], wo.output_lot, serials),
        completed_at=ctx[9],
        lock_valid=planning.lock_valid(uow, wo.number),
        work_order=wo,
    )
    return WorkOrderRecord(
        format=FORMAT,
        template_sha256=template_sha256,
        generated=Generated(ctx[0], ctx[1] or "", ctx[2] or "", ctx[3], ctx[4], ctx[5]),
        header=header,
        exceptions=_exceptions(uow, wo),
        steps=_steps(uow, wo.id, steps, sigs),
        deviations=tuple(DeviationRecord(d, _of(sigs, "deviation", d.id)) for d in devs),
        review=tuple(s for s in sigs if s.record_type == "work_order" or s.record_type == "lot"),
        genealogy=_genealogy(uow, wo.output_lot),
        quality=quality,
        audit_trail=_audit(uow, wo.id, steps, devs, ctx[8], quality),
        audit_head=chain_head(uow, anchor),
    )


def _quality(uow: UnitOfWork, wo: int, tz: ZoneInfo) -> QualityRecords:
    """The inspections of the output lot and of the consumed lots, the NCRs naming any of
    them and those NCRs' CAPAs, each with every signature on it (CAPA sections included)."""
    lots = [int(r[0]) for r in run(uow, _LOTS, {"wo": wo})]
    found: dict[str, list[str]] = {"inspection": [], "ncr": [], "capa": []}
    for kind, number in run(uow, _QUALITY, {"lots": lots}) if lots else ():
        found[kind].append(str(number))
    insp = [inspections.get_inspection(uow, n) for n in found["inspection"]]
    ncrs = [ncr.get_ncr(uow, n) for n in found["ncr"]]
    capas = [capa.get_capa(uow, n) for n in found["capa"]]
    records = [("inspection", i.id) for i in insp] + [("ncr", n.id) for n in ncrs]
    records += [("capa", c.id) for c in capas]
    records += [("capa_section", x.id) for c in capas for x in c.sections]
    sigs = signatures_of(uow, records, tz)
    return QualityRecords(
        inspections=tuple(InspectionRecord(i, _of(sigs, "inspection", i.id)) for i in insp),
        ncrs=tuple(NcrRecord(n, _of(sigs, "ncr", n.id)) for n in ncrs),
        capas=tuple(
            CapaRecord(c, tuple(
                s for s in sigs
                if (s.record_type, s.record_id) == ("capa", c.id)
                or (s.record_type == "capa_section" and s.record_id in {x.id for x in c.sections})
            ))
            for c in capas
        ),
    )  # fmt: skip


def _exceptions(uow: UnitOfWork, wo: WorkOrderSummary) -> tuple[ExceptionRow, ...]:
    rows = review.review_by_exception(uow, wo.number)
    holds = [ExceptionRow("hold", *r) for r in run(uow, _HOLDS, {"wo": wo.id})]
    return (*rows, *holds)


def signatures_of(
    uow: UnitOfWork, records: Sequence[tuple[str, int]], tz: ZoneInfo
) -> list[SignatureRecord]:
    """Every signature on the (record_type, record_id) pairs, with the fields its binding
    covers, its manifestation in the plant's zone and its validity recomputed now."""
    if not records:
        return []
    params = {"types": [t for t, _ in records], "ids": [i for _, i in records]}
    out = []
    for r in run(uow, _SIGNATURES, params):
        local = r[15].astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")
        line = f"{r[6].capitalize()} by {r[8]} on {local}"
        out.append(
            SignatureRecord(
                id=r[0],
                record_type=r[1],
                record_table=r[2],
                record_id=r[3],
                record_version=r[4],
                content_hash=r[5],
                meaning=r[6],
                signer_id=r[7],
                printed_name=r[8],
                signed_at_utc=r[9],
                method=r[10],
                station=r[11],
                comment=r[12],
                binding_hash=r[13],
                username=r[14],
                manifestation=line,
                valid=bool(r[16]),
                reason=r[17],
            )
        )
    return out


def _signatures(
    uow: UnitOfWork, wo: int, steps: list[int], devs: list[int], lot: int | None, tz: ZoneInfo
) -> list[SignatureRecord]:
    records = [("work_order", wo), *(("step_instance", s) for s in steps)]
    records += [("deviation", d) for d in devs] + ([("lot", lot)] if lot else [])
    return signatures_of(uow, records, tz)


def _of(
    sigs: list[SignatureRecord], record_type: str, record_id: int
) -> tuple[SignatureRecord, ...]:
    return tuple(s for s in sigs if s.record_type == record_type and s.record_id == record_id)


def _steps(
    uow: UnitOfWork, wo: int, steps: list[StepView], sigs: list[SignatureRecord]
) -> tuple[StepRecord, ...]:
    consumed = [Consumption(*r) for r in run(uow, _CONSUMED, {"wo": wo})]
    return tuple(
        StepRecord(
            s,
            tuple(c for c in consumed if c.step_seq == s.seq),
            _of(sigs, "step_instance", s.id),
        )
        for s in steps
    )


def _serials(uow: UnitOfWork, lot: int | None) -> tuple[str, ...]:
    if lot is None:
        return ()
    rows = run(
        uow, "SELECT serial_number FROM workcell.serial WHERE lot_id = :l ORDER BY id", {"l": lot}
    )
    return tuple(r[0] for r in rows)


def _udi(gtin: str | None, lot: str | None, serials: tuple[str, ...]) -> tuple[str, ...]:
    """The UDI device identifier with its production identifiers, GS1 element strings."""
    if not gtin:
        return ()
    base = f"(01){gtin}" + (f"(10){lot}" if lot else "")
    return tuple(f"{base}(21){s}" for s in serials) or (base,)


def _genealogy(uow: UnitOfWork, lot: str | None) -> Genealogy:
    if lot is None:
        return Genealogy(None, (), ())
    found = trace.trace(uow, lot, "backward")
    nodes = sorted(found.nodes.values(), key=lambda n: n.lot_number)
    edges = sorted(
        found.edges, key=lambda e: (e.child_lot_id, e.parent_lot_id, e.parent_serial or "")
    )
    return Genealogy(found.root.lot_number, tuple(nodes), tuple(edges))


def _audit(
    uow: UnitOfWork,
    wo: int,
    steps: list[StepView],
    devs: list[DeviationView],
    lot: int | None,
    quality: QualityRecords,
) -> tuple[AuditRow, ...]:
    entry_ids = [e.id for s in steps for f in s.fields for e in f.history]
    entry_ids += [e.id for s in steps for e in s.outputs]
    keys: dict[str, list[int]] = {
        "work_order": [wo],
        "step_instance": [s.id for s in steps],
        "step_entry": entry_ids,
        "deviation": [d.id for d in devs],
        "lot": [lot] if lot else [],
        # the quality records themselves (their results and lots are in their own copies)
        "inspection": [r.inspection.id for r in quality.inspections],
        "ncr": [r.ncr.id for r in quality.ncrs],
        "capa": [r.capa.id for r in quality.capas],
        "record_copy": [
            int(r[0])
            for r in run(
                uow, "SELECT id FROM workcell.record_copy WHERE work_order_id = :wo", {"wo": wo}
            )
        ],
    }
    return query.of_records(uow, keys)


def chain_head(uow: UnitOfWork, anchor: ChainHead | None) -> ChainHead:
    """The audit chain head now, with the station's newest anchor beside it."""
    row = one(uow, _HEAD)
    return ChainHead(
        position=None if row is None else int(row[0]),
        chain_hash=None if row is None else str(row[1]),
        anchor_position=anchor.anchor_position if anchor else None,
        anchor_hash=anchor.anchor_hash if anchor else None,
        anchor_recorded_at=anchor.anchor_recorded_at if anchor else None,
    )
