"""What the execution and review screens may ask of the station (implemented in
kiosk/work_order_backend.py). Every method may block: call it through
`screens.base.call_backend`. The DTOs are frozen; where a screen shows a domain view as it
is (deviations, review exceptions, expiring qualifications) it gets that view, not a copy.
The database decides every rule (limits flagged, refusals, signatures, segregation of
duties), the screens only show it first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Protocol

from domain.views.work_orders import (
    DeviationView,
    ExceptionRow,
    ExpiringQualification,
    StepUnitView,
)
from screens.backend import Signable, SignatureLine

# The field code of a step's output row (the quantity made; not a routing data field).
OUTPUT_CODE = "OUTPUT"
# Signature meanings a routing step may ask for, in the order they are given.
PERFORMED, VERIFIED, REVIEWED = "performed", "verified", "reviewed"
# What the station names the person a signature needs (routing_step_signoff.role).
ROLE_NAMES = {"operator": "an operator", "supervisor": "a supervisor", "qa": "QA",
              "engineer": "an engineer"}  # fmt: skip


@dataclass(frozen=True)
class QueueRow:
    """A work order waiting at (or running at) a work centre."""

    number: str
    item_number: str
    description: str
    quantity: str  # with its unit: "25 ea"
    due: dt.date
    status: str  # released | in_progress | complete | reviewed | closed | cancelled
    next_step: str  # "Op 10 · 2/7 Torque housing" or "" when every step is done
    attention: str = ""  # "DEV-000004 waits for QA", "late"...


@dataclass(frozen=True)
class Judgement:
    """What a typed value means against its field, before it is saved."""

    ok: bool  # a value of the right form (a number for a numeric field)
    within: bool  # within limits (True when the field has none)
    text: str  # what the operator reads under the value


@dataclass(frozen=True)
class DataField:
    """One thing to record at a step (routing_step_data)."""

    code: str
    label: str
    kind: str  # numeric | pass_fail | text | lot_scan | output (what the step makes)
    unit: str = ""
    lower: Decimal | None = None
    upper: Decimal | None = None
    target: Decimal | None = None
    required: bool = True
    component: str = ""  # item number of a lot_scan field
    component_description: str = ""
    # a numeric field at a step whose unit used is a balance this station reads: the row
    # offers "Read balance" (a typed value stays possible, and is marked typed)
    weighable: bool = False

    def limits(self) -> str:
        """ "9.5 – 10.5 N·m (target 10)", "≥ 2 mm", "" without limits."""
        unit = f" {self.unit}" if self.unit else ""
        if self.lower is not None and self.upper is not None:
            text = f"{_num(self.lower)} – {_num(self.upper)}{unit}"
        elif self.lower is not None:
            text = f"≥ {_num(self.lower)}{unit}"
        elif self.upper is not None:
            text = f"≤ {_num(self.upper)}{unit}"
        else:
            text = unit.strip()
        if self.target is not None:
            text += f" (target {_num(self.target)})"
        return text

    def judge(self, typed: str) -> Judgement:
        """A numeric entry against the limits, shown live while it is typed (the database
        flags it again when it is saved: this is what the operator sees first)."""
        text = typed.strip()
        if not text:
            return Judgement(False, True, f"Enter the value in {self.unit}." if self.unit else "")
        try:
            value = Decimal(text)
        except InvalidOperation:
            return Judgement(False, True, f"{text!r} is not a number.")
        if not value.is_finite():
            return Judgement(False, True, f"{text!r} is not a number.")
        unit = f" {self.unit}" if self.unit else ""
        if self.lower is not None and value < self.lower:
            return Judgement(True, False, f"OUT OF LIMIT: below {_num(self.lower)}{unit}. "
                             "Saving it opens a deviation for QA.")  # fmt: skip
        if self.upper is not None and value > self.upper:
            return Judgement(True, False, f"OUT OF LIMIT: above {_num(self.upper)}{unit}. "
                             "Saving it opens a deviation for QA.")  # fmt: skip
        return Judgement(True, True, "Within limits." if self.limits() else "")


def _num(value: Decimal) -> str:
    """10.500000 → 10.5 (numeric(18,6) columns keep their scale)."""
    text = format(value.normalize(), "f")
    return text


@dataclass(frozen=True)
class Entry:
    """The value in force for a field (a correction replaces what is shown, not the row)."""

    code: str
    shown: str  # "10.2 N·m", "PASS", the text, "L-2026-0042 × 2 ea"
    out_of_limit: bool
    entered_by: str  # printed name
    entered_at: dt.datetime
    corrected: bool = False  # supersedes an earlier entry (which the record keeps)
    reason: str = ""
    source: str = "typed"  # typed | balance
    instrument: str = ""  # for a reading: "BAL-001, tare 2.5 g"


@dataclass(frozen=True)
class EquipmentChoice:
    """A unit of the step's class, for the pick list: usable now, or why not."""

    asset_id: str
    description: str
    usable: bool
    refusal: str = ""


@dataclass(frozen=True)
class Signoff:
    """A signature the step needs, in order, and whether the signed-in person may give it."""

    meaning: str  # performed | verified | reviewed
    role: str  # who: operator | supervisor | qa
    signed: SignatureLine | None = None
    # Why the signed-in person may not sign it now (the database's own rules, asked in a
    # rolled-back savepoint); None: they may.
    refusal: str | None = None


@dataclass(frozen=True)
class StepInspection:
    """The inspection the step's routing names (migration 0030), as the step shows it: opened
    by the database when the work order reached the step; the step is signed and closed once
    QA's disposition accepts it (released, or an NCR dispositioned use as is / repair)."""

    kind: str  # in_process | final
    number: str = ""  # "" while not opened (the earlier steps come first)
    status: str = ""  # open | completed | released | referred
    decision: str = ""  # accept | reject (the database's, at completion)
    results: int = 0  # valid results entered
    needed: int = 0  # results the plan needs
    ncr: str = ""  # "NCR2612-00001 (open)" when referred
    accepted: bool = False
    waiting: str = ""  # what the step waits for (the database's words), "" when accepted
    # its NCR was dispositioned scrap, return to supplier or rework: the step never goes on
    # and the work order is completed short from here (the database's workcell.work_order_stop)
    stops_work_order: bool = False


@dataclass(frozen=True)
class StepView:
    """One step of a work order as the station shows it (the step to resume: the first one
    not done, with every entry made so far)."""

    work_order: str
    item_number: str
    description: str
    quantity: str
    step_id: int
    seq: int  # 1-based position in the work order
    steps: int  # how many steps the work order has
    op_number: int
    op_title: str
    work_centre: str
    step_number: int
    title: str
    instructions: str
    critical: bool
    status: str  # pending | in_progress | done
    version: int
    fields: tuple[DataField, ...] = ()
    entries: tuple[Entry, ...] = ()
    signoffs: tuple[Signoff, ...] = ()
    deviations: tuple[DeviationView, ...] = ()
    qualification: str = ""  # "SOP-014 rev C: Torque tools" the step needs, "" none
    work_order_done: bool = False  # every step is done (nothing more to run)
    equipment_class: str = ""  # the class of unit the step needs ("" none)
    unit: StepUnitView | None = None  # the unit recorded as used (latest, 211.188(b)(3))
    unit_connected: bool = False  # this station reads that balance (StationSettings.balances)
    inspection: StepInspection | None = None  # the inspection the step names (None: none)

    def entry(self, code: str) -> Entry | None:
        return next((e for e in self.entries if e.code == code), None)

    @property
    def missing(self) -> tuple[DataField, ...]:
        """Required fields with nothing recorded yet."""
        return tuple(f for f in self.fields if f.required and self.entry(f.code) is None)

    @property
    def needs_unit(self) -> bool:
        """The step names a class and no unit is recorded yet."""
        return bool(self.equipment_class) and self.unit is None

    @property
    def waits_for_inspection(self) -> bool:
        """The step names an inspection not accepted yet: no signature, no close."""
        return self.inspection is not None and not self.inspection.accepted

    @property
    def stops_work_order(self) -> bool:
        return self.inspection is not None and self.inspection.stops_work_order

    @property
    def open_deviations(self) -> tuple[DeviationView, ...]:
        return tuple(d for d in self.deviations if d.status == "open")

    @property
    def heading(self) -> str:
        return (
            f"{self.work_order} · {self.item_number} · Op {self.op_number} {self.op_title} · "
            f"step {self.seq} of {self.steps}"
        )


@dataclass(frozen=True)
class RecordLine:
    """One line of the full record: a step, an entry or a signature, in order."""

    step: str
    text: str
    when: dt.datetime | None = None
    who: str = ""


@dataclass(frozen=True)
class ReviewView:
    number: str
    item_number: str
    description: str
    quantity: str
    status: str
    version: int
    output_lot: str  # lot number, "" when none was made
    output_status: str  # quarantine | released | rejected...
    exceptions: tuple[ExceptionRow, ...] = ()  # in the order QA reads them
    record: tuple[RecordLine, ...] = ()
    signatures: tuple[SignatureLine, ...] = ()
    # Why the signed-in person may not do each action now (reviewed, release, reject);
    # an action they may do is absent.
    refusals: dict[str, str] = field(default_factory=dict)


class WorkOrderBackend(Protocol):
    # -- the station's queue -----------------------------------------------------------------
    def work_centres(self, actor: str) -> list[str]:
        """Work centres with released or running work orders (for the queue's filter)."""
        ...

    def queue(self, actor: str, work_centre: str) -> list[QueueRow]:
        """Released and running work orders with a step at ``work_centre`` ("" = all)."""
        ...

    # -- one step at a time -------------------------------------------------------------------
    def current_step(self, actor: str, number: str) -> StepView:
        """The step to do next (the first not done), with what was recorded so far."""
        ...

    def record_value(self, actor: str, step_id: int, code: str, value: str, why: str) -> StepView:
        """Commit one value (numeric, "pass"/"fail", text); ``why`` explains a value outside
        its limits and opens the deviation with it. A second value for the same field is a
        correction (``why`` is its reason): the first stays in the record."""
        ...

    def scan_component(self, actor: str, step_id: int, scanned: str) -> StepView:
        """A component scan (GS1 or our lot label): consumed at once, or refused with the
        reason (not on the locked BOM, quarantine, on hold, expired, short) and nothing
        consumed."""
        ...

    def record_output(self, actor: str, step_id: int, quantity: str) -> StepView:
        """The quantity made at the output step, into quarantine (the output lot)."""
        ...

    def raise_deviation(self, actor: str, step_id: int, what: str, why: str) -> StepView: ...

    # -- equipment at the step (docs/equipment.md "At the step") ---------------------------
    def use_equipment(self, actor: str, step_id: int, asset_id: str) -> StepView:
        """Record the unit used (scanned asset tag or picked); refused with the reason
        (out of calibration, not clean, out of service, wrong class) and nothing recorded."""
        ...

    def equipment_choices(self, actor: str, step_id: int) -> list[EquipmentChoice]:
        """The units of the step's class, each usable or saying why not."""
        ...

    def tare_balance(self, actor: str, step_id: int) -> str:
        """Tare the step's balance; returns the tare taken ("2.5 g")."""
        ...

    def read_balance(self, actor: str, step_id: int, code: str, why: str) -> StepView:
        """Record a stable reading of the step's balance as the value of ``code`` (with the
        tare, the balance and its calibration); ``why`` for a value outside its limits or a
        second reading (a correction). Unstable, offline: refused, nothing recorded."""
        ...

    def complete(self, actor: str, number: str, issued: str, used: str, destroyed: str) -> str:
        """Every step done: the label counts, then complete (the database reconciles yield
        and labels, opening a deviation outside the limits). Returns the new status."""
        ...

    def sign_step(self, actor: str, step_id: int, meaning: str, version: int) -> StepSignable:
        """A pending step signature (performed, verified, reviewed) for SignatureModal."""
        ...

    def approve_deviation(self, actor: str, number: str, version: int) -> StepSignable:
        """QA's signed approval (QA's badge, at any station); ``after`` is the step to show."""
        ...

    def start_step(self, actor: str, step_id: int, version: int) -> StepView:
        """Start the step without an entry: its inspection opens (migration 0030)."""
        ...

    def finish_step(self, actor: str, step_id: int, version: int) -> StepView:
        """Close the step (refused, with what still blocks it); returns the step to show."""
        ...

    # -- QA review and lot release ---------------------------------------------------------
    def review_queue(self, actor: str) -> list[QueueRow]:
        """Completed work orders waiting for review, and reviewed ones waiting for release."""
        ...

    def review(self, actor: str, number: str) -> ReviewView: ...

    def sign_review(self, actor: str, number: str, version: int) -> Signable:
        """QA's "reviewed" (the record and its audit trail)."""
        ...

    def lot_decision(self, actor: str, number: str, decision: str, version: int) -> Signable:
        """Release or reject (``decision``) the work order's output lot."""
        ...

    # -- the supervisor's home -------------------------------------------------------------
    def expiring_qualifications(self, actor: str, days: int) -> list[ExpiringQualification]: ...


class StepSignable(Signable, Protocol):
    """A step signature that also brings the step to show next, read in the same worker
    right after the signature committed (next step < 150 ms: no second round trip)."""

    @property
    def after(self) -> StepView | None: ...
