"""Routings: ordered operations (work centre, instructions, standard time) with steps; each
step names the data it collects and the signatures it needs when a work order runs it.

The same dataclasses describe a routing going in (draft editing, CSV import) and coming
out (views), so a revision can be copied, compared and re-imported without translation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, text

from domain.errors import NotFound
from domain.models import (
    BomLine,
    BomRevision,
    Item,
    RoutingOperation,
    RoutingRevision,
    RoutingStep,
    RoutingStepData,
    RoutingStepSignoff,
)
from domain.models.engineering import DATA_KINDS, SIGNOFF_MEANINGS, SIGNOFF_ROLES
from domain.services import effectivity
from domain.services.bom import LineErrors
from domain.services.effectivity import RevisionSummary
from domain.services.engineering_rules import LABEL_RE
from domain.services.items import load_item
from domain.services.lifecycle import clear_draft_revision
from domain.uow import UnitOfWork
from domain.views.engineering import DataSpec as DataSpec
from domain.views.engineering import OperationSpec as OperationSpec
from domain.views.engineering import RoutingView as RoutingView
from domain.views.engineering import SignoffSpec as SignoffSpec
from domain.views.engineering import StepSpec as StepSpec

# the inspections a routing step may name (migration 0030: ck_routing_step_inspection_type)
STEP_INSPECTIONS = ("in_process", "final")


def operation_problems(ops: Sequence[OperationSpec]) -> list[str]:
    """Every structural problem of a routing (pure; the CSV import and the editor use it)."""
    problems: list[str] = []
    numbers = [o.op_number for o in ops]
    problems += [
        f"operation {n} appears twice" for n in sorted({n for n in numbers if numbers.count(n) > 1})
    ]
    for o in ops:
        where = f"operation {o.op_number}"
        if not 1 <= o.op_number <= 9999:
            problems.append(f"{where}: number must be 1 to 9999")
        if not LABEL_RE.match(o.work_centre[:8]) or len(o.work_centre) > 20:
            problems.append(f"{where}: work centre {o.work_centre!r} must be capitals/digits")
        if not o.title.strip():
            problems.append(f"{where}: title is required")
        if o.standard_minutes < 0:
            problems.append(f"{where}: standard time cannot be negative")
        if not o.steps:
            problems.append(f"{where}: needs at least one step")
        steps = [s.step_number for s in o.steps]
        problems += [
            f"{where}: step {n} appears twice"
            for n in sorted({n for n in steps if steps.count(n) > 1})
        ]
        for s in o.steps:
            problems += [f"{where} step {s.step_number}: {p}" for p in step_problems(s)]
    return problems


def step_problems(s: StepSpec) -> list[str]:
    problems: list[str] = []
    if not 1 <= s.step_number <= 999:
        problems.append("number must be 1 to 999")
    if not s.title.strip():
        problems.append("title is required")
    codes = [d.code for d in s.data]
    problems += [
        f"data code {c} appears twice" for c in sorted({c for c in codes if codes.count(c) > 1})
    ]
    for d in s.data:
        problems += [f"{d.code}: {p}" for p in data_problems(d)]
    meanings = [g.meaning for g in s.signoffs]
    if not s.signoffs:
        problems.append("needs at least one signature (performed)")
    if len(set(meanings)) != len(meanings):
        problems.append("a signature meaning appears twice")
    for g in s.signoffs:
        if g.meaning not in SIGNOFF_MEANINGS:
            problems.append(
                f"signature meaning {g.meaning!r}: one of {', '.join(SIGNOFF_MEANINGS)}"
            )
        if g.role not in SIGNOFF_ROLES:
            problems.append(f"signature role {g.role!r}: one of {', '.join(SIGNOFF_ROLES)}")
    if s.critical and ("reviewed", "qa") not in {(g.meaning, g.role) for g in s.signoffs}:
        problems.append("a critical step needs a QA review signature (reviewed:qa)")
    return problems


def data_problems(d: DataSpec) -> list[str]:
    problems: list[str] = []
    if (
        not d.code
        or not d.code.replace("_", "").replace("-", "").isalnum()
        or d.code != d.code.upper()
    ):
        problems.append("code must be capitals, digits, _ or -")
    if not d.label.strip():
        problems.append("label is required")
    if d.kind not in DATA_KINDS:
        return [*problems, f"kind {d.kind!r}: one of {', '.join(DATA_KINDS)}"]
    limits = (d.lower_limit, d.upper_limit, d.target)
    if d.kind == "numeric":
        if not d.unit:
            problems.append("a measurement needs a unit")
        lo, hi, tgt = limits
        if lo is not None and hi is not None and lo > hi:
            problems.append("lower limit is above upper limit")
        if tgt is not None and ((lo is not None and tgt < lo) or (hi is not None and tgt > hi)):
            problems.append("target is outside the limits")
    elif any(x is not None for x in limits):
        problems.append(f"limits apply only to numeric entries, not {d.kind}")
    if d.kind == "lot_scan" and not d.component:
        problems.append("a lot scan names the BOM component to scan")
    if d.kind != "lot_scan" and d.component:
        problems.append("only a lot scan names a component")
    return problems


def _load(uow: UnitOfWork, item_number: str, label: str) -> RoutingRevision:
    rev = effectivity.load_revision(uow, "routing", item_number, label)
    assert isinstance(rev, RoutingRevision)
    return rev


def routing_view(uow: UnitOfWork, rev: RoutingRevision) -> RoutingView:
    s = uow.session
    ops = list(
        s.scalars(
            select(RoutingOperation)
            .where(RoutingOperation.routing_revision_id == rev.id)
            .order_by(RoutingOperation.op_number)
        )
    )
    op_ids = [o.id for o in ops]
    steps = list(
        s.scalars(
            select(RoutingStep)
            .where(RoutingStep.operation_id.in_(op_ids))
            .order_by(RoutingStep.step_number)
        )
    )
    step_ids = [x.id for x in steps]
    data = s.execute(
        select(RoutingStepData, Item.item_number)
        .outerjoin(Item, Item.id == RoutingStepData.component_id)
        .where(RoutingStepData.step_id.in_(step_ids))
        .order_by(RoutingStepData.position)
    ).all()
    signoffs = list(
        s.scalars(
            select(RoutingStepSignoff)
            .where(RoutingStepSignoff.step_id.in_(step_ids))
            .order_by(RoutingStepSignoff.position)
        )
    )
    codes = _qualification_codes(uow)
    return RoutingView(
        effectivity.summarise(uow, "routing", rev),
        tuple(_op_spec(o, steps, data, signoffs, codes) for o in ops),
    )


def _qualification_codes(uow: UnitOfWork) -> dict[int, str]:
    rows = uow.session.execute(text("SELECT id, code FROM workcell.qualification"))
    return {int(i): str(c) for i, c in rows}


def _op_spec(
    o: RoutingOperation,
    steps: list[RoutingStep],
    data: Sequence[tuple[RoutingStepData, str | None]],
    signoffs: list[RoutingStepSignoff],
    codes: dict[int, str],
) -> OperationSpec:
    specs = tuple(
        StepSpec(
            x.step_number,
            x.title,
            x.instructions,
            x.critical,
            tuple(
                DataSpec(
                    d.code,
                    d.label,
                    d.kind,
                    d.unit,
                    d.lower_limit,
                    d.upper_limit,
                    d.target,
                    comp,
                    d.required,
                )
                for d, comp in data
                if d.step_id == x.id
            ),
            tuple(SignoffSpec(g.meaning, g.role) for g in signoffs if g.step_id == x.id),
            codes.get(x.qualification_id) if x.qualification_id else None,
            x.output,
            x.equipment_class,
            x.inspection_type,
        )
        for x in steps
        if x.operation_id == o.id
    )
    return OperationSpec(
        o.op_number, o.work_centre, o.title, o.instructions, o.standard_minutes, specs,
        codes.get(o.qualification_id) if o.qualification_id else None,
    )  # fmt: skip


def get_routing(uow: UnitOfWork, item_number: str, label: str) -> RoutingView:
    return routing_view(uow, _load(uow, item_number, label))


def routing_history(uow: UnitOfWork, item_number: str) -> list[RevisionSummary]:
    return effectivity.history(uow, "routing", item_number)


def routing_as_of(
    uow: UnitOfWork, item_number: str, at: dt.datetime, purpose: str = "standard"
) -> RoutingView:
    item = load_item(uow, item_number)
    rev = effectivity.revision_at(uow, "routing", item.id, at, purpose)
    if rev is None:
        made_for = " rework" if purpose == "rework" else ""
        raise NotFound(
            f"{item.item_number} has no{made_for} routing revision in effect at"
            f" {at:%Y-%m-%d %H:%M %Z}."
        )
    assert isinstance(rev, RoutingRevision)
    return routing_view(uow, rev)


def create_routing_revision(
    uow: UnitOfWork,
    item_number: str,
    *,
    label: str | None = None,
    description: str = "",
    copy_from: str | None = None,
    purpose: str = "standard",
) -> RoutingView:
    """A draft routing revision; ``purpose`` "rework" makes one for the rework work orders an
    NCR's rework disposition plans (its lot scan may name the item itself)."""
    source = get_routing(uow, item_number, copy_from) if copy_from else None
    rev = effectivity.new_draft(uow, "routing", item_number, label, description, purpose)
    assert isinstance(rev, RoutingRevision)
    if source is not None:
        _insert(uow, rev, source.operations, _component_ids(uow, source.operations))
    return routing_view(uow, rev)


def replace_operations(
    uow: UnitOfWork, item_number: str, label: str, ops: Sequence[OperationSpec]
) -> RoutingView:
    """Replace a draft's operations at once; every problem reported, nothing half-saved."""
    rev = _load(uow, item_number, label)
    effectivity.require_editable(uow, "routing", rev)
    problems = operation_problems(ops)
    components = _component_ids(uow, ops)
    on_bom = bom_components(uow, rev.item_id)
    if rev.purpose == "rework":
        on_bom = on_bom | {rev.item_id}  # a rework scans the lot it reworks
    for o in ops:
        for st in o.steps:
            for d in st.data:
                if d.component and components.get(d.component) not in on_bom:
                    problems.append(
                        f"operation {o.op_number} step {st.step_number}: {d.component} "
                        "is not on any current or draft BOM of this item"
                    )
    if problems:
        raise LineErrors(problems)
    quals = {v: k for k, v in _qualification_codes(uow).items()}
    wanted = {o.qualification for o in ops} | {st.qualification for o in ops for st in o.steps}
    problems += [
        f"no qualification {q!r}" for q in sorted(q for q in wanted if q and q not in quals)
    ]
    classes = {
        str(c) for c in uow.session.scalars(text("SELECT name FROM workcell.equipment_class"))
    }
    problems += [
        f"operation {o.op_number} step {st.step_number}: no equipment class {st.equipment_class!r}"
        for o in ops
        for st in o.steps
        if st.equipment_class and st.equipment_class.strip().upper() not in classes
    ]
    problems += [
        f"operation {o.op_number} step {st.step_number}: the inspection at a step is"
        f" in_process or final, not {st.inspection!r}"
        for o in ops
        for st in o.steps
        if st.inspection and st.inspection not in STEP_INSPECTIONS
    ]
    if problems:
        raise LineErrors(problems)
    clear_draft_revision(uow, rev)
    _insert(uow, rev, ops, components)
    return routing_view(uow, rev)


def bom_components(uow: UnitOfWork, item_id: int) -> set[int]:
    """Components on any non-obsolete BOM revision of the item (candidates for lot scans)."""
    stmt = (
        select(BomLine.component_id)
        .join(BomRevision, BomRevision.id == BomLine.bom_revision_id)
        .where(BomRevision.item_id == item_id, BomRevision.status != "obsolete")
    )
    return set(uow.session.scalars(stmt))


def _component_ids(uow: UnitOfWork, ops: Sequence[OperationSpec]) -> dict[str, int]:
    numbers = {d.component for o in ops for s in o.steps for d in s.data if d.component}
    rows = uow.session.execute(
        select(Item.item_number, Item.id).where(Item.item_number.in_(numbers))
    )
    return {n: i for n, i in rows}


def _insert(
    uow: UnitOfWork, rev: RoutingRevision, ops: Sequence[OperationSpec], components: dict[str, int]
) -> None:
    for o in ops:
        op = RoutingOperation(
            routing_revision_id=rev.id,
            op_number=o.op_number,
            work_centre=o.work_centre.strip().upper(),
            title=o.title.strip(),
            instructions=o.instructions.strip(),
            standard_minutes=o.standard_minutes,
            qualification_id=_qualification_id(uow, o.qualification),
        )
        uow.session.add(op)
        uow.flush()
        for st in o.steps:
            _insert_step(uow, op.id, st, components)
    uow.flush()


def _qualification_id(uow: UnitOfWork, code: str | None) -> int | None:
    if not code:
        return None
    found = uow.session.scalar(
        text("SELECT id FROM workcell.qualification WHERE code = :c"), {"c": code}
    )
    return int(found) if found is not None else None


def _insert_step(uow: UnitOfWork, op_id: int, st: StepSpec, components: dict[str, int]) -> None:
    s = uow.session
    step = RoutingStep(
        operation_id=op_id,
        step_number=st.step_number,
        title=st.title.strip(),
        instructions=st.instructions.strip(),
        critical=st.critical,
        qualification_id=_qualification_id(uow, st.qualification),
        output=st.output,
        equipment_class=st.equipment_class.strip().upper() if st.equipment_class else None,
        inspection_type=st.inspection or None,
    )
    s.add(step)
    uow.flush()
    for n, d in enumerate(st.data, start=1):
        s.add(
            RoutingStepData(
                step_id=step.id, position=n, code=d.code, label=d.label.strip(), kind=d.kind,
                unit=d.unit, lower_limit=d.lower_limit, upper_limit=d.upper_limit,
                target=d.target, required=d.required,
                component_id=components.get(d.component) if d.component else None,
            )
        )  # fmt: skip
    for n, g in enumerate(st.signoffs, start=1):
        s.add(RoutingStepSignoff(step_id=step.id, position=n, meaning=g.meaning, role=g.role))
