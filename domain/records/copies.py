"""Making a true copy and finding it again: the record collected, rendered, and the PDF's
SHA-256 registered in workcell.record_copy (by workcell.record_copy_register: who and when
are the database's) in the same transaction — a PDF WorkCell made is one the database knows.

  generate(uow, ident, anchor=None, on_progress=None) -> Generated
  lookup(uow, pdf_sha256) -> CopyRow | None
  changes_since(uow, twin) -> list[str]     what differs between a twin and the record now
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domain.records import canonical, collect, render
from domain.records.collect import ChainHead, WorkOrderRecord
from domain.services.access import require_permission
from domain.services.materials.db import one, scalar
from domain.uow import UnitOfWork

Progress = Callable[[float, str], None]
# The parts of a twin that say what the record is (not when or by whom it was printed,
# nor the audit trail or genealogy on-hand, which grow by themselves).
SUBSTANCE = ("header", "exceptions", "steps", "deviations", "review")


@dataclass(frozen=True)
class Generated:
    record: WorkOrderRecord
    rendered: render.Rendered
    copy_id: int


@dataclass(frozen=True)
class CopyRow:
    id: int
    record_type: str
    record_key: str
    json_sha256: str
    pdf_sha256: str
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
    copy_id = scalar(
        uow,
        "SELECT workcell.record_copy_register("
        "'work_order', :key, :wo, :lot, :json, :pdf, :tpl, :pages)",
        {
            "key": wo.number,
            "wo": wo.id,
            "lot": _lot_id(uow, wo.output_lot),
            "json": out.json_sha256,
            "pdf": out.pdf_sha256,
            "tpl": tpl.sha256,
            "pages": out.pages,
        },
    )
    report(1.0, "done")
    return Generated(record, out, int(copy_id))


def _lot_id(uow: UnitOfWork, lot: str | None) -> int | None:
    if lot is None:
        return None
    found = scalar(uow, "SELECT id FROM workcell.lot WHERE lot_number = :l", {"l": lot})
    return None if found is None else int(found)


def lookup(uow: UnitOfWork, pdf_sha256: str) -> CopyRow | None:
    """The registered copy with this PDF digest (the file is one WorkCell made), if any."""
    row = one(
        uow,
        "SELECT c.id, c.record_type, c.record_key, c.json_sha256, c.pdf_sha256, c.template_sha256,"
        " c.pages, u.printed_name || ' (' || u.username || ')', c.made_at, c.station"
        " FROM workcell.record_copy c JOIN workcell.users u ON u.id = c.made_by"
        " WHERE c.pdf_sha256 = :h",
        {"h": pdf_sha256},
    )
    return None if row is None else CopyRow(*row)


def changes_since(uow: UnitOfWork, twin: bytes) -> list[str]:
    """What differs between the record a twin carries and the record in the database now,
    as paths ("steps[2].step.fields[0].history[1]"): empty if nothing substantive changed."""
    printed = json.loads(twin)
    record = collect.collect(
        uow, printed["header"]["work_order"]["number"], printed["template_sha256"]
    )
    now = canonical.plain(record)
    assert isinstance(now, dict)
    diffs: list[str] = []
    for key in SUBSTANCE:
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
