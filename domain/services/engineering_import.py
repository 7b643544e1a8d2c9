"""CSV import of items, and of BOMs and routings into a draft revision.

All rows are read and checked before anything is written, every bad row is reported with
its row number (the header is row 1, as in a spreadsheet), and the import runs in the
caller's single transaction: a file with one bad row imports nothing.

BOM columns: component, quantity (required); unit, scrap (0.02 or 2%), optional (y/n),
alternate_of, ref_designators (space or comma separated), notes, position.

Item columns: item_number, description, type, unit (required); tracking, shelf_life_days,
gtin. Items are created as drafts (approval is a signed step of its own).

Routing columns, one row per data entry (or per step without data): op, work_centre,
op_title, minutes, op_instructions, step, step_title, step_instructions, critical (y/n),
signatures ("performed:operator; verified:supervisor"), equipment_class (the class of
unit used at the step, e.g. BALANCE), data_code, data_label, data_kind, data_unit, lower,
upper, target, component, required (y/n), inspection (in_process or final: the inspection
the database opens when a work order reaches the step). Operation and step columns may be
repeated on every row or left blank after the first row of that operation/step.
`routing_csv` writes a routing in the same columns (export → import gives the same routing
for what the columns carry; a step's qualification and output flag are not CSV columns).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import select

from domain.errors import InvalidInput
from domain.models import Item
from domain.services import bom, items, routing
from domain.services.access import require_permission
from domain.services.bom import BomLineInput, BomView, LineErrors
from domain.services.engineering_rules import parse_decimal, parse_scrap
from domain.services.items import load_item
from domain.services.routing import DataSpec, OperationSpec, RoutingView, SignoffSpec, StepSpec
from domain.uow import UnitOfWork
from domain.views.engineering import text_of

BOM_COLUMNS = (
    "component", "quantity", "unit", "scrap", "optional", "alternate_of", "ref_designators",
    "notes", "position",
)  # fmt: skip
ROUTING_COLUMNS = (
    "op", "work_centre", "op_title", "minutes", "op_instructions", "step", "step_title",
    "step_instructions", "critical", "signatures", "equipment_class", "data_code", "data_label",
    "data_kind", "data_unit", "lower", "upper", "target", "component", "required",
    "inspection",
)  # fmt: skip
YES = {"y", "yes", "true", "1", "x"}
NO = {"", "n", "no", "false", "0"}
T = TypeVar("T")


class ImportRejected(LineErrors):
    title = "Import refused"


def read_rows(
    text: str, known: Sequence[str], required: Sequence[str]
) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """Rows as (row number, {column: text}); problems with the header stop here."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower().replace(" ", "_") for h in next(reader, [])]
    unknown = [h for h in header if h and h not in known]
    missing = [c for c in required if c not in header]
    problems = []
    if unknown:
        problems.append(f"row 1: unknown columns {', '.join(unknown)} (known: {', '.join(known)})")
    if missing:
        problems.append(f"row 1: missing columns {', '.join(missing)}")
    rows = []
    for n, raw in enumerate(reader, start=2):
        if not any(c.strip() for c in raw):
            continue
        if len(raw) > len(header):
            problems.append(f"row {n}: {len(raw)} cells but only {len(header)} columns")
            continue
        rows.append((n, {h: c.strip() for h, c in zip(header, raw, strict=False) if h}))
    if not rows and not problems:
        problems.append("the file has no rows")
    return rows, problems


def _flag(value: str, what: str) -> bool:
    if value.lower() in YES:
        return True
    if value.lower() in NO:
        return False
    raise ValueError(f"{what} must be y or n, not {value!r}")


def _int(value: str, what: str) -> int:
    if not value.isdigit():
        raise ValueError(f"{what} {value!r} is not a whole number")
    return int(value)


def _opt(value: str, parse: Callable[[str, str], T], what: str) -> T | None:
    return parse(value, what) if value else None


def parse_bom_row(row: dict[str, str]) -> BomLineInput:
    """One CSV row → a line; ValueError names the cell that is wrong."""
    if not row.get("component"):
        raise ValueError("component is empty")
    designators = row.get("ref_designators", "").replace(",", " ").split()
    return BomLineInput(
        component=row["component"].upper(),
        quantity_per=parse_decimal(row.get("quantity", ""), "quantity"),
        unit=row.get("unit") or None,
        scrap_factor=parse_scrap(row.get("scrap", "")),
        optional=_flag(row.get("optional", ""), "optional"),
        alternate_of=_opt(row.get("alternate_of", ""), _int, "alternate_of"),
        ref_designators=tuple(d.upper() for d in designators),
        notes=row.get("notes", ""),
        position=_opt(row.get("position", ""), _int, "position"),
    )


def parse_bom_csv(text: str) -> tuple[list[tuple[int, BomLineInput]], list[str]]:
    rows, problems = read_rows(text, BOM_COLUMNS, ("component", "quantity"))
    lines = []
    for n, row in rows:
        try:
            lines.append((n, parse_bom_row(row)))
        except ValueError as exc:
            problems.append(f"row {n}: {exc}")
    return lines, problems


def _row_number(problem: str) -> int:
    """Order messages as the spreadsheet is: by row number ("row 12: ...")."""
    head = problem.split(":", 1)[0].split(" (")[0]
    return int(head[4:]) if head.startswith("row ") and head[4:].isdigit() else 0


def import_bom(
    uow: UnitOfWork,
    item_number: str,
    text: str,
    *,
    label: str | None = None,
    description: str = "Imported from CSV",
) -> BomView:
    """Import into a new draft revision (or, if ``label`` names an existing draft, replace it)."""
    item = load_item(uow, item_number)
    parsed, problems = parse_bom_csv(text)
    _, line_problems = bom.check_lines(
        uow, item.id, [x for _, x in parsed], names=[f"row {n}" for n, _ in parsed]
    )
    problems = sorted(problems + line_problems, key=_row_number)
    if problems:
        raise ImportRejected(problems, heading=f"Nothing was imported ({len(problems)} problems).")
    existing = {s.revision for s in bom.bom_history(uow, item.item_number)}
    if label is None or label.upper() not in existing:
        label = bom.create_bom_revision(
            uow, item.item_number, label=label, description=description
        ).summary.revision
    return bom.replace_bom_lines(uow, item.item_number, label, [x for _, x in parsed])


def _signoffs(value: str) -> tuple[SignoffSpec, ...]:
    if not value:
        return (SignoffSpec("performed", "operator"),)
    specs = []
    for part in value.replace(",", ";").split(";"):
        meaning, _, role = part.strip().partition(":")
        if not role:
            raise ValueError(f"signature {part.strip()!r} must look like meaning:role")
        specs.append(SignoffSpec(meaning.strip().lower(), role.strip().lower()))
    return tuple(specs)


def parse_routing_row(row: dict[str, str]) -> tuple[OperationSpec, StepSpec, DataSpec | None]:
    """One CSV row → its operation, step and (optional) data entry, without children."""
    op = OperationSpec(
        _int(row.get("op", ""), "op"),
        row.get("work_centre", "").upper(),
        row.get("op_title", ""),
        row.get("op_instructions", ""),
        _opt(row.get("minutes", ""), parse_decimal, "minutes") or Decimal(0),
    )
    step = StepSpec(
        _int(row.get("step", ""), "step"),
        row.get("step_title", ""),
        row.get("step_instructions", ""),
        _flag(row.get("critical", ""), "critical"),
        (),
        _signoffs(row.get("signatures", "")),
        equipment_class=row.get("equipment_class", "").upper() or None,
    )
    inspection = row.get("inspection", "").strip().lower().replace("-", "_")
    if inspection:  # the inspection made at the step (migration 0030)
        if inspection not in routing.STEP_INSPECTIONS:
            raise ValueError(f"inspection is in_process or final, not {inspection!r}")
        step = replace(step, inspection=inspection)
    if not row.get("data_code"):
        return op, step, None
    data = DataSpec(
        row["data_code"].upper(),
        row.get("data_label", ""),
        row.get("data_kind", "").lower(),
        row.get("data_unit") or None,
        _opt(row.get("lower", ""), parse_decimal, "lower"),
        _opt(row.get("upper", ""), parse_decimal, "upper"),
        _opt(row.get("target", ""), parse_decimal, "target"),
        row.get("component", "").upper() or None,
        _flag(row.get("required", "") or "y", "required"),
    )
    return op, step, data


def _check_repeat(first: OperationSpec, again: OperationSpec) -> None:
    """Later rows of an operation may leave its columns blank or repeat them, not contradict."""
    pairs = (
        ("work_centre", first.work_centre, again.work_centre),
        ("op_title", first.title, again.title),
        ("op_instructions", first.instructions, again.instructions),
        ("minutes", first.standard_minutes, again.standard_minutes),
    )
    for name, a, b in pairs:
        if b and b != a:
            raise ValueError(f"{name} of operation {first.op_number} differs from its first row")


def parse_routing_csv(text: str) -> tuple[list[OperationSpec], list[str]]:
    rows, problems = read_rows(text, ROUTING_COLUMNS, ("op", "step"))
    ops: dict[int, OperationSpec] = {}
    steps: dict[tuple[int, int], StepSpec] = {}
    for n, row in rows:
        try:
            op, step, data = parse_routing_row(row)
            key = (op.op_number, step.step_number)
            if op.op_number in ops:
                _check_repeat(ops[op.op_number], op)
            else:
                ops[op.op_number] = op
            if key not in steps:
                steps[key] = step
            elif step.title and (step.title, step.critical) != (
                steps[key].title,
                steps[key].critical,
            ):
                raise ValueError(f"step {step.step_number} differs from its first row")
            elif step.equipment_class and step.equipment_class != steps[key].equipment_class:
                raise ValueError(
                    f"equipment_class of step {step.step_number} differs from its first row"
                )
            if data is not None:
                steps[key] = replace(steps[key], data=(*steps[key].data, data))
        except ValueError as exc:
            problems.append(f"row {n}: {exc}")
    result = [
        replace(o, steps=tuple(s for (op_no, _), s in steps.items() if op_no == o.op_number))
        for o in sorted(ops.values(), key=lambda x: x.op_number)
    ]
    return result, problems


def routing_csv(ops: Sequence[OperationSpec]) -> str:
    """A routing in the import's columns, one row per data entry (or per step without
    data), every operation and step column written on each row (the import accepts the
    repeats), so `import_routing` reads it back to the same routing."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ROUTING_COLUMNS)
    for o in ops:
        for s in o.steps:
            signs = "; ".join(f"{g.meaning}:{g.role}" for g in s.signoffs)
            head = (
                o.op_number, o.work_centre, o.title, o.standard_minutes, o.instructions,
                s.step_number, s.title, s.instructions, s.critical, signs, s.equipment_class,
            )  # fmt: skip
            for d in s.data or (None,):
                tail: tuple[object, ...] = (
                    (d.code, d.label, d.kind, d.unit, d.lower_limit, d.upper_limit, d.target,
                     d.component, d.required)
                    if d is not None else ("",) * 9
                )  # fmt: skip
                row = (*head, *tail, s.inspection or "")
                writer.writerow([text_of(v) for v in row])  # yes/no, 12.5
    return out.getvalue()


def import_routing(
    uow: UnitOfWork,
    item_number: str,
    text: str,
    *,
    label: str | None = None,
    description: str = "Imported from CSV",
) -> RoutingView:
    """Import a routing into a new draft revision (or replace an existing draft ``label``)."""
    item = load_item(uow, item_number)
    ops, problems = parse_routing_csv(text)
    if not problems:
        problems += routing.operation_problems(ops)
    if problems:
        raise ImportRejected(problems, heading=f"Nothing was imported ({len(problems)} problems).")
    existing = {s.revision for s in routing.routing_history(uow, item.item_number)}
    if label is None or label.upper() not in existing:
        label = routing.create_routing_revision(
            uow, item.item_number, label=label, description=description
        ).summary.revision
    try:
        return routing.replace_operations(uow, item.item_number, label, ops)
    except LineErrors as exc:
        raise ImportRejected(exc.problems, heading="Nothing was imported.") from exc


ITEM_COLUMNS = (
    "item_number", "description", "type", "unit", "tracking", "shelf_life_days", "gtin",
)  # fmt: skip


def parse_item_row(row: dict[str, str]) -> items.NewItem:
    """One CSV row → a checked new item; InvalidInput/ValueError name what is wrong."""
    shelf = row.get("shelf_life_days", "")
    return items.validate_new_item(
        items.NewItem(
            row.get("item_number", ""), row.get("description", ""), row.get("type", "").lower(),
            row.get("unit", ""), row.get("tracking", "").lower() or "lot",
            _int(shelf, "shelf_life_days") if shelf else None, row.get("gtin") or None,
        )
    )  # fmt: skip


def import_items(uow: UnitOfWork, text: str) -> list[items.ItemView]:
    """Create draft items from CSV: every row checked first, all or nothing."""
    require_permission(uow, "item.create")
    rows, problems = read_rows(text, ITEM_COLUMNS, ("item_number", "description", "type", "unit"))
    parsed: list[tuple[int, items.NewItem]] = []
    for n, row in rows:
        try:
            parsed.append((n, parse_item_row(row)))
        except (ValueError, InvalidInput) as exc:
            problems.append(f"row {n}: {exc}")
    numbers = [x.item_number for _, x in parsed]
    existing = set(
        uow.session.scalars(select(Item.item_number).where(Item.item_number.in_(numbers)))
    )
    for n, x in parsed:
        if x.item_number in existing:
            problems.append(f"row {n}: item {x.item_number} already exists")
        elif numbers.count(x.item_number) > 1:
            problems.append(f"row {n}: item {x.item_number} appears twice in the file")
    if problems:
        problems.sort(key=_row_number)
        raise ImportRejected(problems, heading=f"Nothing was imported ({len(problems)} problems).")
    return [items.create_item(uow, x) for _, x in parsed]
