"""The true copy of one record (issue 15 item 3, §11.10(b)): an item, a BOM or routing
revision, an ECO, a lot, a deviation, an inspection, an NCR or a CAPA, gathered as a typed
structure (SingleRecord) that the same renderer, register function and verifier as the batch
record take.

What is copied is the record's **signed content**: ``workcell.record_content`` — the very
JSON its signatures' content hashes are computed over — carried as its exact text, so that
anyone can recompute ``content_hash = SHA-256(content_text)`` without a database and see
which signatures are bound to the content printed ("changed since signed" otherwise). Beside
it: the record's summary lines, every signature with its manifestation and validity, the
audit excerpt of the record and of its parts (BOM lines, routing operations, ECO items,
holds, inspection results, NCR lots, CAPA sections), and the audit chain head.
"""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from domain.audit import query
from domain.audit.query import AuditRow
from domain.errors import InvalidInput, NotFound
from domain.records.collect import ChainHead, Generated, SignatureRecord, chain_head, signatures_of
from domain.services.materials.db import one, run
from domain.uow import UnitOfWork

FORMAT = "workcell-record/1"

# record type → (what people call it, how KEY names it, the SQL finding its id from :key)
_REVISION = (
    "SELECT r.id FROM workcell.{t} r JOIN workcell.item i ON i.id = r.item_id"
    " WHERE i.item_number = split_part(:key, ':', 1) AND r.revision = split_part(:key, ':', 2)"
)
KINDS: dict[str, tuple[str, str, str]] = {
    "item": ("Item", "ITEM_NUMBER", "SELECT id FROM workcell.item WHERE item_number = :key"),
    "bom_revision": ("BOM revision", "ITEM:REVISION", _REVISION.format(t="bom_revision")),
    "routing_revision": (
        "Routing revision",
        "ITEM:REVISION",
        _REVISION.format(t="routing_revision"),
    ),
    "eco": (
        "Engineering change order",
        "ECO-NNNNN",
        "SELECT id FROM workcell.eco WHERE number = :key",
    ),
    "lot": ("Lot", "LOT_NUMBER", "SELECT id FROM workcell.lot WHERE lot_number = :key"),
    "deviation": (
        "Deviation",
        "DEV-NNNNNN",
        "SELECT id FROM workcell.deviation WHERE number = :key",
    ),
    "inspection": (
        "Inspection",
        "NUMBER",
        "SELECT id FROM workcell.inspection WHERE number = :key",
    ),
    "ncr": ("Nonconformance report", "NUMBER", "SELECT id FROM workcell.ncr WHERE number = :key"),
    "capa": ("CAPA", "NUMBER", "SELECT id FROM workcell.capa WHERE number = :key"),
}
# the record's parts whose audit entries (and, for CAPA sections, signatures) belong to it
_PARTS: dict[str, tuple[tuple[str, str], ...]] = {
    "bom_revision": (("bom_line", "SELECT id FROM workcell.bom_line WHERE bom_revision_id = :id"),),
    "routing_revision": (
        (
            "routing_operation",
            "SELECT id FROM workcell.routing_operation WHERE routing_revision_id = :id",
        ),
        (
            "routing_step",
            "SELECT s.id FROM workcell.routing_step s JOIN workcell.routing_operation o ON o.id = s.operation_id WHERE o.routing_revision_id = :id",
        ),
    ),
    "eco": (
        ("eco_item", "SELECT id FROM workcell.eco_item WHERE eco_id = :id"),
        ("eco_transition", "SELECT id FROM workcell.eco_transition WHERE eco_id = :id"),
    ),
    "lot": (
        ("hold", "SELECT id FROM workcell.hold WHERE lot_id = :id"),
        ("retest_extension", "SELECT id FROM workcell.retest_extension WHERE lot_id = :id"),
    ),
    "inspection": (
        ("inspection_plan", "SELECT id FROM workcell.inspection_plan WHERE inspection_id = :id"),
        (
            "inspection_result",
            "SELECT id FROM workcell.inspection_result WHERE inspection_id = :id",
        ),
    ),
    # ncr_lot's audit key is its primary key (ncr_id, lot_id), as the audit trigger joins it
    "ncr": (
        ("ncr_lot", "SELECT ncr_id || ',' || lot_id FROM workcell.ncr_lot WHERE ncr_id = :id"),
    ),
    "capa": (("capa_section", "SELECT id FROM workcell.capa_section WHERE capa_id = :id"),),
}
_SIGNED_PARTS = {"capa_section", "hold"}  # parts that are signable records themselves

_SUBJECT = """
SELECT t.table_name::text, workcell.record_content(:type, :id)::text, workcell.record_content_hash(:type, :id),
       workcell.record_summary(:type, :id)::text
  FROM workcell.signable_type t WHERE t.record_type = :type
"""
_CONTEXT = """
SELECT clock_timestamp(), u.printed_name, u.username, session_user::text,
       coalesce((SELECT i.id::text FROM audit.installation i), ''),
       coalesce((SELECT plant_timezone FROM workcell.materials_policy WHERE id = 1), 'UTC')
  FROM (SELECT 1) one LEFT JOIN workcell.users u ON u.username = :who
"""


@dataclass(frozen=True)
class Subject:
    record_type: str
    kind: str  # what people call it: "BOM revision"
    key: str
    id: int
    table: str
    version: int
    title: str
    lines: tuple[str, ...]
    # the signed content exactly as workcell.record_content renders it (jsonb text): its
    # SHA-256 is content_hash, which every signature bound to this content carries
    content_text: str
    content_hash: str


@dataclass(frozen=True)
class CopiedSignature:
    signature: SignatureRecord
    current: bool  # bound to the content printed (not to an earlier or other content)


@dataclass(frozen=True)
class SingleRecord:
    format: str
    template_sha256: str
    generated: Generated
    subject: Subject
    changed_since_signed: bool  # a signature of the record itself is on other content
    signatures: tuple[CopiedSignature, ...]
    audit_trail: tuple[AuditRow, ...]
    audit_head: ChainHead

    @property
    def key(self) -> str:
        return self.subject.key


def kind_of(record_type: str) -> str:
    """The record type named (item, bom_revision, …), or a clear refusal listing them."""
    name = record_type.strip().lower().replace("-", "_")
    if name not in KINDS:
        raise InvalidInput(
            f"There is no true copy of a {record_type.strip()!r}: name one of"
            f" {', '.join(KINDS)} (a work order's record is `workcell ebr`)."
        )
    return name


def resolve(uow: UnitOfWork, record_type: str, key: str) -> int:
    """The id of the record of ``record_type`` named ``key``."""
    name = kind_of(record_type)
    label, shape, sql = KINDS[name]
    # exactly as typed first; then as scanned/typed in lower case (keys are upper case)
    found = one(uow, sql, {"key": key.strip()}) or one(uow, sql, {"key": key.strip().upper()})
    if found is None:
        raise NotFound(f"There is no {label.lower()} {key.strip()!r} (name it as {shape}).")
    return int(found[0])


def collect(
    uow: UnitOfWork,
    record_type: str,
    key: str,
    template_sha256: str,
    anchor: ChainHead | None = None,
) -> SingleRecord:
    """The true copy of one record, read in the caller's transaction (one snapshot)."""
    name = kind_of(record_type)
    record_id = resolve(uow, name, key)
    row = one(uow, _SUBJECT, {"type": name, "id": record_id})
    assert row is not None  # every kind in KINDS is a signable type
    table, content_text, content_hash, summary_text = row
    summary = json.loads(summary_text or "{}")
    version = one(uow, f"SELECT version FROM {table} WHERE id = :id", {"id": record_id})
    ctx = one(uow, _CONTEXT, {"who": uow.actor})
    assert ctx is not None and version is not None
    tz = ZoneInfo(ctx[5])
    parts = {
        part: [str(r[0]) for r in run(uow, sql, {"id": record_id})]
        for part, sql in _PARTS.get(name, ())
    }
    signed = [(name, record_id)]
    signed += [(p, int(i)) for p, ids in parts.items() if p in _SIGNED_PARTS for i in ids]
    copied = tuple(
        CopiedSignature(s, s.content_hash == content_hash) for s in signatures_of(uow, signed, tz)
    )
    own = [c for c in copied if c.signature.record_type == name]
    subject = Subject(
        record_type=name,
        kind=KINDS[name][0],
        key=_key(uow, name, record_id),
        id=record_id,
        table=table,
        version=int(version[0]),
        title=str(summary.get("title") or f"{KINDS[name][0]} {key.strip()}"),
        lines=tuple(str(x) for x in summary.get("lines") or ()),
        content_text=content_text,
        content_hash=content_hash,
    )
    audit_keys: dict[str, list[str]] = {name: [str(record_id)], **parts}
    audit_keys["record_copy"] = [
        str(r[0])
        for r in run(
            uow,
            "SELECT id FROM workcell.record_copy WHERE record_type = :t AND record_id = :id",
            {"t": name, "id": record_id},
        )
    ]
    return SingleRecord(
        format=FORMAT,
        template_sha256=template_sha256,
        generated=Generated(ctx[0], ctx[1] or "", ctx[2] or "", ctx[3], ctx[4], ctx[5]),
        subject=subject,
        changed_since_signed=any(not c.current for c in own),
        signatures=copied,
        audit_trail=query.of_records(uow, audit_keys),
        audit_head=chain_head(uow, anchor),
    )


def _key(uow: UnitOfWork, name: str, record_id: int) -> str:
    """The record's key as the register function computes it (ITEM:REV for revisions)."""
    if name in ("bom_revision", "routing_revision"):
        sql = f"SELECT i.item_number || ':' || r.revision FROM workcell.{name} r JOIN workcell.item i ON i.id = r.item_id WHERE r.id = :id"
    else:
        column = {"item": "item_number", "lot": "lot_number"}.get(name, "number")
        sql = f"SELECT {column} FROM workcell.{name} WHERE id = :id"
    found = one(uow, sql, {"id": record_id})
    assert found is not None
    return str(found[0])
