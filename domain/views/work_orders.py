"""Views of work orders and their execution, for the execution, review and supervisor
screens (issue 14). Built by domain/services/work_orders/; nothing here touches a database.

  WorkOrderSummary   one work order: plan, lock, output, reconciliation, progress
  QueueRow           a station's queue: the next open step of a running work order
  StepView           one step instance: instructions, fields with limits and current values,
                     scans and outputs, signoffs needed/present, deviations, blocking reasons
  FieldView          a data field of a step with its entry history (corrections kept)
  EntryView          one recorded entry (value, scan or output), attributed
  SignoffView        a signature the routing step demands, and who gave it (if anyone)
  DeviationView      a deviation: what, expected, actual, who, why, QA decision
  ExceptionRow       one line of QA's review by exception, in the defined order
  QualificationView  a qualification (procedure and revision)
  PersonQualificationView  a person's training record
  ExpiringQualification    a training record running out soon
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

# The order QA reads exceptions in (ExceptionRow.kind), most serious first.
EXCEPTION_KINDS = (
    "deviation",
    "out_of_limit",
    "correction",
    "typed_value",  # typed at a step whose equipment is a balance (not read from it)
    "late",
    "out_of_order",
    "unexpected_signer",
)
WORK_ORDER_STATUSES = (
    "planned", "released", "in_progress", "complete", "reviewed", "closed", "cancelled",
)  # fmt: skip
STEP_STATUSES = ("pending", "in_progress", "done")


@dataclass(frozen=True)
class WorkOrderSummary:
    id: int
    number: str
    item_number: str
    item_description: str
    quantity: Decimal
    unit: str
    due_date: dt.date
    status: str
    note: str
    version: int
    bom_revision: str | None
    routing_revision: str | None
    lock_hash: str | None
    released_at: dt.datetime | None
    released_by: str | None
    output_lot: str | None
    output_lot_status: str | None
    actual_quantity: Decimal | None
    yield_pct: Decimal | None
    labels_issued: int
    labels_used: int
    labels_destroyed: int
    steps_total: int
    steps_done: int
    open_deviations: int
    created_by: str
    created_at: dt.datetime

    @property
    def progress(self) -> str:
        return f"{self.steps_done}/{self.steps_total}"

    @property
    def labels_reconcile(self) -> bool:
        return self.labels_issued == self.labels_used + self.labels_destroyed


@dataclass(frozen=True)
class QueueRow:
    work_order: str
    item_number: str
    due_date: dt.date
    step_id: int
    seq: int
    op_number: int
    work_centre: str
    title: str
    status: str


@dataclass(frozen=True)
class EntryView:
    id: int
    kind: str  # value | scan | output
    code: str | None  # the data field's code (None for an output)
    value: str  # as shown: "150.2", "pass", text, or "LOT × 2 ea"
    value_numeric: Decimal | None
    out_of_limit: bool
    lot_number: str | None
    serial_number: str | None
    quantity: Decimal | None
    unit: str | None
    supersedes: int | None
    superseded: bool
    reason: str
    entered_by: str  # printed name
    entered_by_username: str
    entered_at: dt.datetime
    station: str
    late: bool
    out_of_order: bool
    value_source: str  # typed | balance
    equipment_id: int | None
    # a scan: what was entered (quantity and unit is the same in the lot's unit)
    entered_quantity: Decimal | None = None
    entered_unit: str | None = None
    read_from: str | None = None  # asset id of the balance a "balance" value was read from
    tare: Decimal | None = None  # the tare taken with that reading (None: none taken)


@dataclass(frozen=True)
class FieldView:
    id: int
    code: str
    label: str
    kind: str  # numeric | pass_fail | text | lot_scan
    unit: str | None
    lower_limit: Decimal | None
    upper_limit: Decimal | None
    target: Decimal | None
    component: str | None  # item number, for a lot scan
    required: bool
    history: tuple[EntryView, ...]  # oldest first, corrections included

    @property
    def current(self) -> EntryView | None:
        """The value in force (the newest not superseded), for value fields."""
        live = [e for e in self.history if not e.superseded]
        return live[-1] if live else None

    @property
    def recorded(self) -> bool:
        return any(not e.superseded for e in self.history)

    def out_of_limit(self, value: Decimal) -> bool:
        """What the database will flag, shown before saving."""
        if self.lower_limit is not None and value < self.lower_limit:
            return True
        return self.upper_limit is not None and value > self.upper_limit

    @property
    def limits(self) -> str:
        low, high = self.lower_limit, self.upper_limit
        unit = f" {self.unit}" if self.unit else ""
        if low is not None and high is not None:
            return f"{low.normalize():f}–{high.normalize():f}{unit}"
        if low is not None:
            return f"≥ {low.normalize():f}{unit}"
        if high is not None:
            return f"≤ {high.normalize():f}{unit}"
        return ""


@dataclass(frozen=True)
class SignoffView:
    meaning: str  # performed | verified | reviewed
    role: str
    signed_by: str | None  # printed name of the latest valid signature on the current content
    signed_by_username: str | None
    signed_at: dt.datetime | None

    @property
    def present(self) -> bool:
        return self.signed_by is not None


@dataclass(frozen=True)
class DeviationView:
    id: int
    number: str
    work_order: str
    step_seq: int | None
    kind: str
    what: str
    expected: str
    actual: str
    why: str
    status: str  # open | approved
    opened_by: str
    opened_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    version: int
    step_id: int | None = None  # the step instance it keeps open (None: the work order's)


@dataclass(frozen=True)
class StepUnitView:
    """The unit recorded as used at a step instance (the latest; earlier ones stay in the
    record), with the calibration in force when it was recorded."""

    equipment_id: int
    asset_id: str
    class_name: str
    description: str
    weighing_unit: str | None  # set for a balance
    calibration_due: dt.date | None
    recorded_by: str
    recorded_at: dt.datetime

    @property
    def balance(self) -> bool:
        return self.weighing_unit is not None


@dataclass(frozen=True)
class StepInspectionView:
    """The inspection a routing step names, as the step shows it (migration 0030): opened by
    the database when the work order reached the step; the step is signed and closed once it
    is accepted (released by QA, or referred to an NCR dispositioned use as is or repair)."""

    number: str
    inspection_type: str  # in_process | final
    status: str  # open | completed | released | referred (never rejected at a step)
    decision: str | None  # accept | reject, the database's at completion
    lot_number: str
    sample_size: int | None
    results: int  # valid results entered
    needed: int  # results the plan needs (samples x characteristics)
    ncr_number: str | None
    ncr_status: str | None
    ncr_disposition: str | None
    accepted: bool


@dataclass(frozen=True)
class StepView:
    id: int  # the step instance
    work_order: str
    work_order_status: str
    seq: int
    op_number: int
    op_title: str
    work_centre: str
    step_number: int
    title: str
    op_instructions: str
    instructions: str
    critical: bool
    output: bool
    status: str
    version: int
    content_hash: str
    qualifications: tuple[str, ...]  # codes the performer and verifier need
    fields: tuple[FieldView, ...]
    outputs: tuple[EntryView, ...]
    signoffs: tuple[SignoffView, ...]
    deviations: tuple[DeviationView, ...]
    blocking: tuple[str, ...]  # why it cannot be done yet (empty: it can)
    equipment_class: str | None = None  # the class of unit the routing step needs
    unit: StepUnitView | None = None  # the unit recorded as used (latest)
    inspection_type: str | None = None  # the inspection the routing step names
    inspection: StepInspectionView | None = None  # None: none named, or not opened yet
    # the step its work order stops at (its inspection's NCR: scrap, return, rework), as the
    # database reads it (workcell.work_order_stop); None: not stopped
    stopped_at: int | None = None

    @property
    def can_finish(self) -> bool:
        return self.status == "in_progress" and not self.blocking

    @property
    def next_signoff(self) -> SignoffView | None:
        return next((s for s in self.signoffs if not s.present), None)


@dataclass(frozen=True)
class ExceptionRow:
    """One thing QA must look at. Rows come ordered by EXCEPTION_KINDS, then step, then time."""

    kind: str
    step_seq: int | None
    title: str
    detail: str
    who: str
    at: dt.datetime | None
    ref: str  # deviation number, entry id or signature id


@dataclass(frozen=True)
class QualificationView:
    id: int
    code: str
    title: str
    document: str
    document_revision: str


@dataclass(frozen=True)
class PersonQualificationView:
    id: int
    username: str
    printed_name: str
    code: str
    title: str
    document: str
    document_revision: str
    trained_on: dt.date
    expires_on: dt.date | None
    status: str  # pending | active | revoked
    attested_by: str | None
    expired: bool


@dataclass(frozen=True)
class ExpiringQualification:
    username: str
    printed_name: str
    code: str
    title: str
    document: str
    document_revision: str
    expires_on: dt.date
    days_left: int
