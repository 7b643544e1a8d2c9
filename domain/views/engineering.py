"""Engineering records as the screens show them: revision headers, BOMs, routings, ECOs
and comparisons (plain frozen data; the services in domain/services/ build them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.services.engineering_rules import component_quantity

KIND_NAMES = {"bom": "BOM", "routing": "Routing"}


@dataclass(frozen=True)
class RevisionSummary:
    """A revision's header: identity, lifecycle and the hash of its signed content."""

    id: int
    kind: str
    item_number: str
    revision: str
    description: str
    status: str
    effective_from: dt.datetime | None
    effective_to: dt.datetime | None
    version: int
    created_at: dt.datetime
    created_by: str
    content_hash: str
    purpose: str = "standard"  # a routing made for rework says so (migration 0036)

    @property
    def title(self) -> str:
        made_for = " (rework)" if self.purpose == "rework" else ""
        return f"{self.item_number} {KIND_NAMES[self.kind]} rev {self.revision}{made_for}"

    def in_effect_at(self, at: dt.datetime) -> bool:
        if self.effective_from is None or at < self.effective_from:
            return False
        return self.effective_to is None or at < self.effective_to


@dataclass(frozen=True)
class BomLineView:
    position: int
    component: str
    description: str
    quantity_per: Decimal
    unit: str
    scrap_factor: Decimal
    optional: bool
    alternate_of: int | None
    ref_designators: tuple[str, ...]
    notes: str

    @property
    def component_quantity(self) -> Decimal:
        return component_quantity(self.quantity_per, self.scrap_factor)


@dataclass(frozen=True)
class BomView:
    summary: RevisionSummary
    lines: tuple[BomLineView, ...]


@dataclass(frozen=True)
class SignoffSpec:
    meaning: str  # performed | verified | reviewed
    role: str  # operator | supervisor | qa | engineer


@dataclass(frozen=True)
class DataSpec:
    code: str
    label: str
    kind: str  # numeric | pass_fail | text | lot_scan
    unit: str | None = None
    lower_limit: Decimal | None = None
    upper_limit: Decimal | None = None
    target: Decimal | None = None
    component: str | None = None  # item number, for a lot scan
    required: bool = True


@dataclass(frozen=True)
class StepSpec:
    step_number: int
    title: str
    instructions: str = ""
    critical: bool = False
    data: tuple[DataSpec, ...] = ()
    signoffs: tuple[SignoffSpec, ...] = (SignoffSpec("performed", "operator"),)
    qualification: str | None = None  # code of the qualification its executor needs
    output: bool = False  # the step that makes the work order's output
    equipment_class: str | None = None  # the class of the unit used at it (BALANCE...)
    inspection: str | None = None  # the inspection made at it: in_process | final (0030)


@dataclass(frozen=True)
class OperationSpec:
    op_number: int
    work_centre: str
    title: str
    instructions: str = ""
    standard_minutes: Decimal = Decimal(0)
    steps: tuple[StepSpec, ...] = field(default_factory=tuple)
    qualification: str | None = None  # code of the qualification its executors need


@dataclass(frozen=True)
class RoutingView:
    summary: RevisionSummary
    operations: tuple[OperationSpec, ...]


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Difference:
    kind: str  # added | removed | changed
    key: str  # what the line is: "CP-3001" or "op 20 / step 3 / TORQUE"
    before: str  # one-line rendering of the old line ('' when added)
    after: str  # ... of the new line ('' when removed)
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class Comparison:
    left: RevisionSummary
    right: RevisionSummary
    differences: tuple[Difference, ...]

    def count(self, kind: str) -> int:
        return sum(1 for d in self.differences if d.kind == kind)


def text_of(value: Any) -> str:
    """How a field shows in a comparison: numbers without trailing zeros, lists joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        normal = value.normalize()
        return f"{normal:f}"
    if isinstance(value, (tuple, list)):
        return " ".join(text_of(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class EcoItemView:
    item_number: str
    description: str
    bom_revision: str | None
    bom_status: str | None
    routing_revision: str | None
    routing_status: str | None
    change_note: str


@dataclass(frozen=True)
class ImpactRow:
    item_number: str  # the affected item
    level: int
    used_in: str
    revision: str


@dataclass(frozen=True)
class EcoEvent:
    action: str
    from_status: str
    to_status: str
    comment: str
    actor: str
    at: dt.datetime
    signature_id: int | None


@dataclass(frozen=True)
class EcoView:
    id: int
    number: str
    title: str
    reason: str
    description: str
    effective_from: dt.datetime | None
    status: str
    version: int
    created_by: str
    created_at: dt.datetime
    items: tuple[EcoItemView, ...]
    impact: tuple[ImpactRow, ...]
    history: tuple[EcoEvent, ...]
    content_hash: str

    @property
    def is_open(self) -> bool:
        return self.status in ("draft", "in_review", "reviewed")


@dataclass(frozen=True)
class EcoSummary:
    number: str
    title: str
    status: str
    created_by: str
    created_at: dt.datetime
    items: int
