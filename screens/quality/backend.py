"""What the quality screens may ask of the station (implemented in kiosk/quality_backend.py),
and the plain views they receive. Every method may block: call it through
`screens.base.call_backend`. Actions carry None (offered and allowed) or the database's
reason why the signed-in person may not, asked before any badge."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from domain.views.quality import MatrixRow, MatrixView, SwitchingRow, SwitchingView
from domain.views.quality import NcrLot as NcrLotLine
from domain.views.quality import Overdue as OverdueLine
from domain.views.quality import Result as ResultLine
from screens.backend import Signable, SignatureLine

# the domain's views (domain/views/quality.py), under the names the screens use
__all__ = ["MatrixRow", "MatrixView", "NcrLotLine", "OverdueLine", "ResultLine", "SwitchingRow",
           "SwitchingView"]  # fmt: skip

DISPOSITIONS = ("use_as_is", "repair", "scrap", "return_to_supplier", "rework")
APPROVALS = ("qa_approved", "engineering_approved", "management_approved")


@dataclass(frozen=True)
class InspectionRow:
    number: str
    lot_number: str
    item_number: str
    supplier: str | None
    inspection_type: str
    status: str
    decision: str | None
    sample_size: int | None
    entered: int  # valid results entered
    needed: int  # valid results the plan needs
    created_at: dt.datetime


@dataclass(frozen=True)
class PlanLine:
    defect_class: str
    source: str
    text: str  # code letter, n, Ac/Re as `Plan.describe` says it
    sample_size: int | None
    ac: int | None
    re: int | None
    nonconforming: int


@dataclass(frozen=True)
class Characteristic:
    seq: int
    name: str
    kind: str  # attribute | variable | visual
    defect_class: str
    unit: str | None
    nominal: Decimal | None
    lower_limit: Decimal | None
    upper_limit: Decimal | None
    instruction: str

    def limits(self) -> str:
        if self.kind != "variable":
            return ""

        def n(v: Decimal | None) -> str:
            return "—" if v is None else f"{v.normalize():f}"

        nominal = f"nominal {n(self.nominal)} " if self.nominal is not None else ""
        return f"{nominal}limits {n(self.lower_limit)} … {n(self.upper_limit)} {self.unit or ''}"


@dataclass(frozen=True)
class InspectionDetail:
    number: str
    lot_number: str
    item_number: str
    supplier: str | None
    inspection_type: str
    status: str
    version: int
    lot_size: int | None
    severity: str
    sample_size: int | None
    data_version: str
    data_source: str
    switching_status: str | None
    switching_score: int | None
    switching_rule: str | None
    decision: str | None
    decision_note: str
    ncr_number: str | None
    created_by: str
    serialised: bool  # the lot has serials: each sample's serial is scanned
    plans: tuple[PlanLine, ...]
    characteristics: tuple[Characteristic, ...]
    class_n: dict[str, int]  # defect class -> samples its plan draws
    results: tuple[ResultLine, ...]
    signatures: tuple[SignatureLine, ...]
    # complete | release | reject | refer | plan -> None (may) or why not; absent: not offered
    actions: dict[str, str | None] = field(default_factory=dict)
    step: str | None = None  # "WO-000012 step 3": made at a routing step (migration 0030)

    def waiting_plans(self) -> tuple[PlanLine, ...]:
        """The defect classes the tables give no plan for: QA enters and signs one."""
        return tuple(p for p in self.plans if p.source == "manual_required")

    def needed(self, sample: int) -> tuple[Characteristic, ...]:
        """The characteristics sample ``sample`` is inspected for (its class draws it)."""
        return tuple(
            c for c in self.characteristics if sample <= self.class_n.get(c.defect_class, 0)
        )

    def result(self, sample: int, seq: int) -> ResultLine | None:
        """The valid result of one sample and characteristic (None: still to enter)."""
        valid = [r for r in self.results if r.sample_no == sample and r.seq == seq
                 and r.invalidated is None]  # fmt: skip
        return valid[-1] if valid else None

    def serial_of(self, sample: int) -> str | None:
        return next((r.serial for r in self.results if r.sample_no == sample and r.serial
                     and r.invalidated is None), None)  # fmt: skip

    def missing(self) -> int:
        return sum(
            1 for s in range(1, (self.sample_size or 0) + 1) for c in self.needed(s)
            if self.result(s, c.seq) is None
        )  # fmt: skip


@dataclass(frozen=True)
class NcrForm:
    """What the NCR form holds, as typed (the backend parses and checks it)."""

    title: str
    description: str
    severity: str
    occurrence: str
    lots: tuple[str, ...] = ()
    deviation: str = ""  # raised from this work order deviation (its output lot if no lots)


@dataclass(frozen=True)
class NcrRow:
    number: str
    title: str
    origin: str
    risk_class: str
    disposition: str | None
    status: str
    lots: int
    created_at: dt.datetime


@dataclass(frozen=True)
class NcrDetail:
    number: str
    origin: str
    inspection: str | None
    title: str
    description: str
    severity: int
    occurrence: int
    risk_class: str
    matrix_revision: int
    disposition: str | None
    disposition_note: str
    status: str
    version: int
    created_by: str
    lots: tuple[NcrLotLine, ...]
    required: tuple[str, ...]
    missing: tuple[str, ...]
    signatures: tuple[SignatureLine, ...]
    capas: tuple[str, ...]
    rework: tuple[str, ...] = ()  # the rework work orders its disposition planned, one line each
    deviation: str | None = None  # the deviation it was raised from
    # choose | <approval meaning> | execute | close | capa -> None or why not
    actions: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class CapaRow:
    number: str
    ncr_number: str
    title: str
    status: str
    complete: int  # sections complete of nine
    overdue: int


@dataclass(frozen=True)
class SectionLine:
    discipline: int
    title: str
    content: str
    owner: str
    due_date: dt.date
    status: str
    overdue: bool
    # write / complete: None (may) or why not
    write: str | None
    complete: str | None


@dataclass(frozen=True)
class CapaDetail:
    number: str
    ncr_number: str
    title: str
    status: str
    created_by: str
    sections: tuple[SectionLine, ...]
    close: str | None  # None: the signed-in person may close it now; else why not


@dataclass(frozen=True)
class MatrixDetail:
    """The released risk matrix, the draft revision if one is proposed, every revision."""

    released: MatrixView
    draft: MatrixView | None
    revisions: tuple[MatrixRow, ...]
    # propose (start or edit the draft) | approve (sign the draft as released):
    # None (may) or why not; "approve" absent while there is no draft
    actions: dict[str, str | None] = field(default_factory=dict)


class QualityBackend(Protocol):
    # inspections
    def open_inspections(self, actor: str) -> list[InspectionRow]: ...
    def inspection(self, actor: str, number: str) -> InspectionDetail: ...
    def record_result(
        self, actor: str, number: str, sample: int, seq: int, *, value: str = "",
        passed: bool | None = None, serial: str = "",
    ) -> InspectionDetail: ...  # fmt: skip
    def invalidate_result(
        self, actor: str, number: str, result_id: int, reason: str
    ) -> InspectionDetail: ...
    def completion(self, actor: str, number: str) -> Signable: ...
    def disposition(self, actor: str, number: str, action: str, comment: str) -> Signable: ...
    def referral(self, actor: str, number: str, form: NcrForm) -> Signable: ...
    def plan_signing(
        self, actor: str, number: str, defect_class: str, n: str, ac: str, re: str, note: str
    ) -> Signable:
        """QA's plan for a class the tables do not cover, checked (numbers, 1 <= n <= lot
        size, 0 <= Ac < Re, a note) before the PIN; signed "plan_approved"."""
        ...

    # switching (per item and supplier) and the NCR risk matrix
    def switching_states(self, actor: str) -> list[SwitchingRow]: ...
    def switching(self, actor: str, key: str) -> SwitchingView:
        """``key``: "ITEM/SUPPLIER" as SwitchingRow.number says it."""
        ...

    def switching_move(self, actor: str, key: str) -> tuple[str, str | None] | None:
        """The move QA may make by judgement (to, why not: None when it may), None if none."""
        ...

    def move_switching(self, actor: str, key: str, to: str, reason: str) -> SwitchingView:
        """QA's move by judgement, with the reason (audited as the rule that moved it)."""
        ...

    def risk_matrix(self, actor: str) -> MatrixDetail: ...
    def propose_matrix(
        self,
        actor: str,
        title: str,
        cells: dict[tuple[int, int], str],
        approvals: dict[tuple[str, str], tuple[str, ...]] | None = None,
    ) -> MatrixDetail:
        """A draft with these cells (and the approvals changed where given)."""
        ...

    def matrix_signing(self, actor: str, revision: int) -> Signable: ...

    # NCRs
    def ncrs(self, actor: str) -> list[NcrRow]: ...
    def ncr(self, actor: str, number: str) -> NcrDetail: ...
    def lot_number_of(self, actor: str, scan: str) -> str: ...
    def raise_ncr(self, actor: str, form: NcrForm) -> str: ...
    def choose_disposition(
        self, actor: str, number: str, disposition: str, note: str
    ) -> NcrDetail: ...
    def ncr_signing(self, actor: str, number: str, meaning: str) -> Signable:
        """An approval (qa_approved...), "execute" (carry the disposition out) or "closed"."""
        ...

    # CAPAs
    def people(self, actor: str) -> list[str]: ...
    def today(self, actor: str) -> dt.date: ...
    def raise_capa(
        self, actor: str, ncr_number: str, title: str, owners: list[str], due: list[str]
    ) -> str: ...
    def capas(self, actor: str) -> list[CapaRow]: ...
    def capa(self, actor: str, number: str) -> CapaDetail: ...
    def write_section(
        self, actor: str, number: str, discipline: int, content: str
    ) -> CapaDetail: ...
    def capa_signing(self, actor: str, number: str, discipline: int | None) -> Signable:
        """A section's completion (discipline), or the CAPA's closure (None)."""
        ...

    def overdue_actions(self, actor: str) -> list[OverdueLine]: ...
