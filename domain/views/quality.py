"""Quality records as the screens receive them, shared by the services that build them
(domain/services/quality/) and the screens that show them (no SQLAlchemy here): inspection
results, NCR lots, overdue CAPA actions, switching states with their moves, and the NCR
risk matrix's revisions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

RISK_CLASSES = ("minor", "major", "critical")
RISK_SCALE = range(1, 6)  # severity and occurrence, 1..5


@dataclass(frozen=True)
class Result:
    """One inspection result (kept when invalidated, with the reason)."""

    id: int
    sample_no: int
    characteristic: str
    seq: int
    value: Decimal | None
    passed: bool
    serial: str | None
    entered_by: str
    entered_at: dt.datetime
    invalidated: str | None  # the reason, when invalidated


@dataclass(frozen=True)
class NcrLot:
    lot_number: str
    via: str  # direct | forward_trace
    hold_id: int | None
    hold_status: str | None
    lot_status: str


@dataclass(frozen=True)
class Overdue:
    """An open CAPA section past its due date (the plant's today)."""

    capa_number: str
    ncr_number: str
    discipline: str
    owner: str
    due_date: dt.date


@dataclass(frozen=True)
class SwitchingEvent:
    at: dt.datetime
    from_status: str
    to_status: str
    rule: str
    score_before: int
    score_after: int
    inspection: str | None
    actor: str


@dataclass(frozen=True)
class SwitchingView:
    item_number: str
    supplier: str
    status: str
    score: int
    recent: str
    tightened_rejects: int
    last_rule: str
    events: tuple[SwitchingEvent, ...]


@dataclass(frozen=True)
class SwitchingRow:
    item_number: str
    supplier: str
    status: str
    score: int
    last_rule: str
    moves: int
    last_move: dt.datetime | None

    @property
    def number(self) -> str:
        """The row's key in a list: item and supplier."""
        return f"{self.item_number}/{self.supplier}"


@dataclass(frozen=True)
class MatrixRow:
    revision: int
    title: str
    status: str
    created_by: str
    created_at: dt.datetime
    # its "approved" signature (the release); None for a draft and for the revision the
    # database was installed with (migration 0018 releases revision 1 unsigned)
    released_at: dt.datetime | None = None

    @property
    def number(self) -> str:
        return str(self.revision)


@dataclass(frozen=True)
class MatrixView:
    id: int
    revision: int
    title: str
    status: str
    version: int
    created_by: str
    created_at: dt.datetime
    cells: dict[tuple[int, int], str]  # (severity, occurrence) -> risk class
    # (risk class, disposition) -> the approvals (signature meanings) it needs
    approvals: dict[tuple[str, str], tuple[str, ...]]

    def risk_class(self, severity: int, occurrence: int) -> str | None:
        return self.cells.get((severity, occurrence))
