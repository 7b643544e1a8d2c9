"""Bills of materials: draft revisions and their lines, views, as-of lookup, explosion,
where-used.

Only drafts change (checked here for a readable message, and by database triggers for
everyone). Release happens only through an approved ECO (domain/services/eco.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, text

from domain.errors import InvalidInput, NotFound
from domain.models import BomLine, BomRevision, Item
from domain.services import effectivity
from domain.services.effectivity import RevisionSummary
from domain.services.engineering_rules import (
    ComponentFacts,
    ExplodedLine,
    LineFacts,
    RolledUp,
    line_problems,
    revision_problems,
)
from domain.services.items import load_item
from domain.services.lifecycle import clear_draft_revision
from domain.uow import UnitOfWork
from domain.views.engineering import BomLineView as BomLineView
from domain.views.engineering import BomView as BomView


class LineErrors(InvalidInput):
    """Several lines are wrong; ``problems`` lists each one, prefixed with where it is."""

    def __init__(self, problems: Sequence[str], *, heading: str = "Nothing was saved.") -> None:
        self.problems = list(problems)
        shown = self.problems[:20]
        more = len(self.problems) - len(shown)
        text_ = heading + "\n" + "\n".join(shown) + (f"\n... and {more} more" if more else "")
        super().__init__(text_)


@dataclass(frozen=True)
class BomLineInput:
    component: str
    quantity_per: Decimal
    unit: str | None = None  # None: the component's own unit
    scrap_factor: Decimal = Decimal(0)
    optional: bool = False
    alternate_of: int | None = None
    ref_designators: tuple[str, ...] = ()
    notes: str = ""
    position: int | None = None  # None: next multiple of 10


@dataclass(frozen=True)
class Explosion:
    item_number: str
    revision: str
    at: dt.datetime
    quantity: Decimal
    lines: tuple[ExplodedLine, ...]
    totals: tuple[RolledUp, ...]


@dataclass(frozen=True)
class WhereUsed:
    level: int
    parent: str
    description: str
    revision: str
    quantity_per: Decimal
    unit: str


def bom_view(uow: UnitOfWork, rev: BomRevision) -> BomView:
    rows = uow.session.execute(
        select(BomLine, Item.item_number, Item.description)
        .join(Item, Item.id == BomLine.component_id)
        .where(BomLine.bom_revision_id == rev.id)
        .order_by(BomLine.position)
    ).all()
    lines = tuple(
        BomLineView(
            ln.position,
            number,
            desc,
            ln.quantity_per,
            ln.unit,
            ln.scrap_factor,
            ln.optional,
            ln.alternate_of,
            tuple(ln.ref_designators),
            ln.notes,
        )
        for ln, number, desc in rows
    )
    return BomView(effectivity.summarise(uow, "bom", rev), lines)


def _load(uow: UnitOfWork, item_number: str, label: str) -> BomRevision:
    rev = effectivity.load_revision(uow, "bom", item_number, label)
    assert isinstance(rev, BomRevision)
    return rev


def get_bom(uow: UnitOfWork, item_number: str, label: str) -> BomView:
    return bom_view(uow, _load(uow, item_number, label))


def bom_history(uow: UnitOfWork, item_number: str) -> list[RevisionSummary]:
    return effectivity.history(uow, "bom", item_number)


def bom_as_of(uow: UnitOfWork, item_number: str, at: dt.datetime) -> BomView:
    item = load_item(uow, item_number)
    rev = effectivity.revision_at(uow, "bom", item.id, at)
    if rev is None:
        raise NotFound(
            f"{item.item_number} has no BOM revision in effect at {at:%Y-%m-%d %H:%M %Z}."
        )
    assert isinstance(rev, BomRevision)
    return bom_view(uow, rev)


def create_bom_revision(
    uow: UnitOfWork,
    item_number: str,
    *,
    label: str | None = None,
    description: str = "",
    copy_from: str | None = None,
) -> BomView:
    """A new draft revision, empty or a copy of revision ``copy_from`` of the same item."""
    source = _load(uow, item_number, copy_from) if copy_from else None
    rev = effectivity.new_draft(uow, "bom", item_number, label, description)
    assert isinstance(rev, BomRevision)
    if source is not None:
        for ln in uow.session.scalars(select(BomLine).where(BomLine.bom_revision_id == source.id)):
            uow.session.add(_copy_line(ln, rev.id))
        uow.flush()
    return bom_view(uow, rev)


def _copy_line(ln: BomLine, revision_id: int) -> BomLine:
    return BomLine(
        bom_revision_id=revision_id,
        position=ln.position,
        component_id=ln.component_id,
        quantity_per=ln.quantity_per,
        unit=ln.unit,
        scrap_factor=ln.scrap_factor,
        optional=ln.optional,
        alternate_of=ln.alternate_of,
        ref_designators=list(ln.ref_designators),
        notes=ln.notes,
    )


def replace_bom_lines(
    uow: UnitOfWork, item_number: str, label: str, lines: Sequence[BomLineInput]
) -> BomView:
    """Replace every line of a draft at once; every problem is reported, nothing half-saved."""
    rev = _load(uow, item_number, label)
    effectivity.require_editable(uow, "bom", rev)
    built, problems = check_lines(uow, rev.item_id, lines)
    if problems:
        raise LineErrors(problems)
    clear_draft_revision(uow, rev)
    for ln in built:
        ln.bom_revision_id = rev.id
        uow.session.add(ln)
    uow.flush()
    return bom_view(uow, rev)


def add_bom_line(uow: UnitOfWork, item_number: str, label: str, line: BomLineInput) -> BomView:
    current = get_bom(uow, item_number, label)
    kept = [input_of(x) for x in current.lines]
    return replace_bom_lines(uow, item_number, label, [*kept, line])


def remove_bom_line(uow: UnitOfWork, item_number: str, label: str, position: int) -> BomView:
    current = get_bom(uow, item_number, label)
    if not any(x.position == position for x in current.lines):
        raise NotFound(f"{current.summary.title} has no line {position}.")
    kept = [input_of(x) for x in current.lines if x.position != position]
    return replace_bom_lines(uow, item_number, label, kept)


def input_of(x: BomLineView) -> BomLineInput:
    """The input that recreates a line (to keep it when the other lines are replaced)."""
    return BomLineInput(
        x.component,
        x.quantity_per,
        x.unit,
        x.scrap_factor,
        x.optional,
        x.alternate_of,
        x.ref_designators,
        x.notes,
        x.position,
    )


def check_lines(
    uow: UnitOfWork,
    parent_id: int,
    lines: Sequence[BomLineInput],
    *,
    names: Sequence[str] | None = None,
) -> tuple[list[BomLine], list[str]]:
    """Validate lines against the items and the BOM graph; return rows to insert + problems.

    ``names`` says where each line came from in messages ("line 3"; the CSV import: "row 4").
    """
    parent = uow.session.get(Item, parent_id)
    assert parent is not None
    numbers = {x.component.strip().upper() for x in lines}
    found = {
        i.item_number: i
        for i in uow.session.scalars(select(Item).where(Item.item_number.in_(numbers)))
    }
    containing = items_containing(uow, parent_id)
    built: list[BomLine] = []
    facts: list[LineFacts] = []
    problems: list[str] = []
    next_pos = 10
    for n, x in enumerate(lines, start=1):
        where = names[n - 1] if names else f"line {n}"
        position = x.position if x.position is not None else next_pos
        next_pos = (position // 10 + 1) * 10
        comp = found.get(x.component.strip().upper())
        if comp is None:
            problems.append(f"{where}: no item {x.component.strip().upper()!r}")
            continue
        fact, found_problems = _check_line(x, position, comp, parent, comp.id in containing)
        problems.extend(f"{where} ({comp.item_number}): {p}" for p in found_problems)
        facts.append(fact)
        built.append(_new_line(fact, comp.id, x.notes))
    problems.extend(revision_problems(facts))
    return built, problems


def _check_line(
    x: BomLineInput, position: int, comp: Item, parent: Item, closes_cycle: bool
) -> tuple[LineFacts, list[str]]:
    fact = LineFacts(
        position,
        x.quantity_per,
        x.unit or comp.unit,
        x.scrap_factor,
        x.optional,
        x.alternate_of,
        tuple(r.strip().upper() for r in x.ref_designators if r.strip()),
    )
    component = ComponentFacts(comp.item_number, comp.unit, comp.tracking, comp.status)
    problems = line_problems(fact, component, parent.item_number)
    if closes_cycle:
        problems.append(f"BOM cycle: {comp.item_number} already contains {parent.item_number}")
    return fact, problems


def _new_line(fact: LineFacts, component_id: int, notes: str) -> BomLine:
    return BomLine(
        position=fact.position,
        component_id=component_id,
        quantity_per=fact.quantity_per,
        unit=fact.unit,
        scrap_factor=fact.scrap_factor,
        optional=fact.optional,
        alternate_of=fact.alternate_of,
        ref_designators=list(fact.ref_designators),
        notes=notes.strip(),
    )


_CONTAINING = text("""
WITH RECURSIVE up (item_id) AS (
    SELECT CAST(:item AS bigint)
    UNION
    SELECT r.item_id FROM up
      JOIN workcell.bom_line l ON l.component_id = up.item_id
      JOIN workcell.bom_revision r ON r.id = l.bom_revision_id AND r.status <> 'obsolete'
)
SELECT item_id FROM up
""")


def items_containing(uow: UnitOfWork, item_id: int) -> set[int]:
    """The item and every item that contains it through any non-obsolete revision."""
    return set(uow.session.scalars(_CONTAINING, {"item": item_id}))
