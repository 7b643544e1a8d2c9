"""Making a true copy and finding it again: the record collected, rendered, and the PDF's
SHA-256 registered in workcell.record_copy (by workcell.record_copy_register: who and when
are the database's) in the same transaction — a PDF WorkCell made is one the database knows.

  generate(uow, ident, anchor=None, on_progress=None) -> Generated   a work order's record
  export(uow, record_type, key, fmt="pdf", anchor=None) -> Exported   one record's true copy
  lookup(uow, pdf_sha256=..., json_sha256=...) -> CopyRow | None
  changes_since(uow, twin) -> list[str]     what differs between a twin and the record now

Both kinds go through the same renderer (render.py), the same register function
(workcell.record_copy_register) and the same verifier (verify.py).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domain.errors import InvalidInput
from domain.records import canonical, collect, render, single
from domain.records.collect import ChainHead, WorkOrderRecord
from domain.records.single import SingleRecord
from domain.services.access import require_permission
from domain.services.materials.db import one, scalar
from domain.uow import UnitOfWork

Progress = Callable[[float, str], None]
# The parts of a twin that say what the record is (not when or by whom it was printed,
# nor the audit trail or genealogy on-hand, which grow by themselves).
SUBSTANCE = ("header", "exceptions", "steps", "deviations", "review")
SINGLE_SUBSTANCE = ("subject", "signatures", "changed_since_signed")
FORMATS = ("pdf", "json")


@dataclass(frozen=True)
class Generated:
    record: WorkOrderRecord
    rendered: render.Rendered
    copy_id: int


@dataclass(frozen=True)
class Exported:
    """A single record's true copy: the PDF (None for a JSON copy) and its twin."""

    record: SingleRecord
    pdf: bytes | None
    json: bytes
    json_sha256: str
    pdf_sha256: str | None
    pages: int
    attachment_name: str
    copy_id: int


@dataclass(frozen=True)
class CopyRow:
    id: int
    record_type: str
    record_key: str
    json_sha256: str
    pdf_sha256: str | None
    template_sha256: str
    pages: int
    made_by: str
    made_at: dt.datetime
    station: str


def generate(
    uow: UnitOfWork,
    ident: str,
    anchor: ChainHead | None = None,
    on_progress: Progress | None = None,
    templates: render.Templates | None = None,
) -> Generated:
    """Collect, render and register the record of work order (or lot) ``ident`` in the
    caller's transaction (the caller commits). Refused for a work order not yet complete."""
    require_permission(uow, "record.copy")
    report = on_progress or (lambda _f, _m: None)
    report(0.05, "reading the record")
    tpl = templates or render.templates()
    record = collect.collect(uow, ident, tpl.sha256, anchor)
    report(0.35, f"rendering {len(record.steps)} steps")
    out = render.render(record, tpl)
    report(0.9, "registering the copy")
    wo = record.header.work_order
    copy_id = _register(
        uow, "work_order", wo.id, "pdf", out.json_sha256, out.pdf_sha256, tpl, out.pages
    )
    report(1.0, "done")
    return Generated(record, out, copy_id)


def export(
    uow: UnitOfWork,
    record_type: str,
    key: str,
    fmt: str = "pdf",
    anchor: ChainHead | None = None,
    templates: render.Templates | None = None,
) -> Exported:
    """The true copy of one record (item, BOM/routing revision, ECO, lot, deviation,
    inspection, NCR, CAPA) as a PDF/A-3b with its twin, or the twin alone (``fmt="json"``),
    registered in the caller's transaction (the caller commits)."""
    require_permission(uow, "record.copy")
    if fmt not in FORMATS:
        raise InvalidInput(f"A true copy is a pdf or a json file, not {fmt!r}.")
    tpl = templates or render.templates()
    record = single.collect(uow, record_type, key, tpl.sha256, anchor)
    name = render.attachment_name(record)
    pdf: bytes | None = None
    pdf_sha256: str | None = None
    pages = 0
    if fmt == "json":
        twin, json_sha256 = render.twin_of(record)
    else:
        out = render.render(record, tpl)
        twin, json_sha256, pdf, pdf_sha256, pages = (
            out.json,
            out.json_sha256,
            out.pdf,
            out.pdf_sha256,
            out.pages,
        )
    subject = record.subject
    copy_id = _register(
        uow, subject.record_type, subject.id, fmt, json_sha256, pdf_sha256, tpl, pages
    )
    return Exported(record, pdf, twin, json_sha256, pdf_sha256, pages, name, copy_id)


def _register(
    uow: UnitOfWork,
    record_type: str,
    record_id: int,
    fmt: str,
    json_sha256: str,
    pdf_sha256: str | None,
    tpl: render.Templates,
    pages: int,
) -> int:
    """workcell.record_copy_register: the key, work order, lot, content hash, who and when
    are the database's; this names the record and what was made of it."""
    copy_id = scalar(
        uow,
        "SELECT workcell.record_copy_register(:type, :id, :fmt, :json, :pdf, :tpl, :pages)",
        {
            "type": record_type,
            "id": record_id,
            "fmt": fmt,
            "json": json_sha256,
            "pdf": pdf_sha256,
            "tpl": tpl.sha256,
            "pages": pages,
        },
    )
    return int(copy_id)


def lookup(
    uow: UnitOfWork, pdf_sha256: str | None = None, json_sha256: str | None = None
) -> CopyRow | None:
    """The registered copy with this PDF digest (the file is one WorkCell made) or, for a
    JSON copy, with this twin digest and no PDF."""
    where = (
        "c.pdf_sha256 = :h"
        if pdf_sha256 is not None
        else ("c.json_sha256 = :h AND c.format = 'json'")
    )
    value = pdf_sha256 if pdf_sha256 is not None else json_sha256
    row = one(
        uow,
        "SELECT c.id, c.record_type, c.record_key, c.json_sha256, c.pdf_sha256, c.template_sha256,"
        " c.pages, u.printed_name || ' (' || u.username || ')', c.made_at, c.station"
        f" FROM workcell.record_copy c JOIN workcell.users u ON u.id = c.made_by WHERE {where}",
        {"h": value},
    )
    return None if row is None else CopyRow(*row)


def changes_since(uow: UnitOfWork, twin: bytes) -> list[str]:
    """What differs between the record a twin carries and the record in the database now,
    as paths ("steps[2].step.fields[0].history[1]"): empty if nothing substantive changed."""
    printed = json.loads(twin)
    now_record: WorkOrderRecord | SingleRecord
    keys: tuple[str, ...]
    if printed.get("format") == single.FORMAT:
        subject = printed["subject"]
        now_record = single.collect(
            uow, subject["record_type"], subject["key"], printed["template_sha256"]
        )
        keys = SINGLE_SUBSTANCE
    else:
        now_record = collect.collect(
            uow, printed["header"]["work_order"]["number"], printed["template_sha256"]
        )
        keys = SUBSTANCE
    now = canonical.plain(now_record)
    assert isinstance(now, dict)
    diffs: list[str] = []
    for key in keys:
        _diff(key, printed.get(key), now.get(key), diffs)
    return diffs


def _diff(path: str, old: Any, new: Any, out: list[str], limit: int = 50) -> None:
    if len(out) >= limit or old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new)):
            _diff(f"{path}.{k}", old.get(k), new.get(k), out, limit)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _diff(f"{path}[{i}]", a, b, out, limit)
    else:
        out.append(f"{path}: {_short(old)} → {_short(new)}")


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."
