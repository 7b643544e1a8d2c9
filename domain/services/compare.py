"""Differences between two revisions of a BOM or a routing: added, removed, changed lines.

The comparison itself is pure (lists of views in, differences out); `compare_boms` and
`compare_routings` load the two revisions first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.services import bom, routing
from domain.services.bom import BomLineView
from domain.services.routing import OperationSpec
from domain.uow import UnitOfWork
from domain.views.engineering import Change as Change
from domain.views.engineering import Comparison as Comparison
from domain.views.engineering import Difference as Difference
from domain.views.engineering import text_of as text_of


def diff_rows(
    left: Mapping[str, Mapping[str, Any]], right: Mapping[str, Mapping[str, Any]]
) -> list[Difference]:
    """Compare two keyed tables of fields; keys keep the left order, then new keys."""
    out: list[Difference] = []
    keys = list(left) + [k for k in right if k not in left]
    for key in keys:
        a, b = left.get(key), right.get(key)
        if a is None and b is not None:
            out.append(Difference("added", key, "", _render(b)))
        elif b is None and a is not None:
            out.append(Difference("removed", key, _render(a), ""))
        elif a is not None and b is not None:
            changes = tuple(
                Change(f, text_of(a.get(f)), text_of(b.get(f)))
                for f in dict.fromkeys([*a, *b])
                if text_of(a.get(f)) != text_of(b.get(f))
            )
            if changes:
                out.append(Difference("changed", key, _render(a), _render(b), changes))
    return out


def _render(fields: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {text_of(v)}" for k, v in fields.items() if text_of(v) != "")


def bom_rows(lines: Sequence[BomLineView]) -> dict[str, dict[str, Any]]:
    """BOM lines keyed by component (a component used twice is keyed 'X #2')."""
    rows: dict[str, dict[str, Any]] = {}
    for ln in lines:
        key = ln.component
        n = 2
        while key in rows:
            key = f"{ln.component} #{n}"
            n += 1
        rows[key] = {
            "pos": ln.position,
            "qty": ln.quantity_per,
            "unit": ln.unit,
            "scrap": ln.scrap_factor,
            "optional": ln.optional,
            "alternate of": ln.alternate_of,
            "ref des": ln.ref_designators,
            "notes": ln.notes,
        }
    return rows


def routing_rows(ops: Sequence[OperationSpec]) -> dict[str, dict[str, Any]]:
    """Operations, steps and data entries flattened to keyed rows."""
    rows: dict[str, dict[str, Any]] = {}
    for o in ops:
        rows[f"op {o.op_number}"] = {
            "work centre": o.work_centre,
            "title": o.title,
            "minutes": o.standard_minutes,
            "instructions": o.instructions,
        }
        for s in o.steps:
            skey = f"op {o.op_number} / step {s.step_number}"
            rows[skey] = {
                "title": s.title,
                "critical": s.critical,
                "signatures": tuple(f"{g.meaning}:{g.role}" for g in s.signoffs),
                "equipment class": s.equipment_class,
                "instructions": s.instructions,
            }
            for d in s.data:
                rows[f"{skey} / {d.code}"] = {
                    "label": d.label,
                    "kind": d.kind,
                    "unit": d.unit,
                    "low": d.lower_limit,
                    "high": d.upper_limit,
                    "target": d.target,
                    "component": d.component,
                    "required": d.required,
                }
    return rows


def compare_boms(uow: UnitOfWork, item_number: str, left: str, right: str) -> Comparison:
    a = bom.get_bom(uow, item_number, left)
    b = bom.get_bom(uow, item_number, right)
    return Comparison(a.summary, b.summary, tuple(diff_rows(bom_rows(a.lines), bom_rows(b.lines))))


def compare_routings(uow: UnitOfWork, item_number: str, left: str, right: str) -> Comparison:
    a = routing.get_routing(uow, item_number, left)
    b = routing.get_routing(uow, item_number, right)
    diffs = diff_rows(routing_rows(a.operations), routing_rows(b.operations))
    return Comparison(a.summary, b.summary, tuple(diffs))
