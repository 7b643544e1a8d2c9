"""What the audit-trail screens need from the station (kiosk/audit_backend.py).

Pages, entries and filters are the domain's own frozen views (domain/audit/query.py).
Every method may block: screens call them from thread workers only. ``progress`` callbacks
are called from that worker thread; the screen hops to the UI thread itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from domain.views.audit import AuditDetail, AuditFilter, AuditPage

Progress = Callable[[float, str], None]
EXPORT_FORMATS = ("csv", "json", "bundle")


@dataclass(frozen=True)
class SignatureCheck:
    """A signature on the record an entry belongs to, re-verified now."""

    printed_name: str
    username: str
    meaning: str
    signed_at: dt.datetime
    record_version: int
    method: str
    station: str
    valid: bool
    reason: str | None


@dataclass(frozen=True)
class EntryView:
    detail: AuditDetail
    signatures: tuple[SignatureCheck, ...]
    signable: bool  # the record's table carries signatures at all
    actor_name: str | None = None  # the acting user's printed name
    record_label: str | None = None  # what a person calls the record: "item WID-100"
    # the names behind ids in before/after: {"item_id": {3: "WID-100"}, "signer_id": ...}
    references: Mapping[str, Mapping[int, str]] = field(default_factory=dict)
    # entry id → record label, for the entries of the same transaction
    labels: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VerifyOutcome:
    ok: bool
    at: dt.datetime
    by: str
    station: str
    entries: int
    chained: int
    pending: int
    anchors_checked: int
    seconds: float
    problems: tuple[str, ...]
    warnings: tuple[str, ...]
    alarms: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        if self.ok:
            return (
                f"INTACT: {self.entries} entries, {self.chained} sealed, {self.pending} "
                f"awaiting seal, {self.anchors_checked} anchors checked ({self.seconds:.1f} s)"
            )
        return f"NOT INTACT: {self.problems[0]}" + (
            f" (+{len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        )


@dataclass(frozen=True)
class IntegrityStatus:
    now: dt.datetime
    last_seal_at: dt.datetime | None
    last_seal_by: str | None
    head_position: int
    head_hash: str | None
    unsealed: int
    seal_lag_s: float
    grace_s: float
    last_verify: VerifyOutcome | None
    # sealing blocked, the station watchdog's work or trouble (domain/watchdog.py)
    alarms: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportOutcome:
    path: Path
    rows: int
    fmt: str
    note: str = ""


class AuditBackend(Protocol):
    """The audit trail, read-only (audit.view), plus verify and exports."""

    def audit_page(
        self,
        actor: str,
        flt: AuditFilter,
        *,
        before_id: int | None = None,
        after_id: int | None = None,
        limit: int = 50,
    ) -> AuditPage: ...

    def record_labels(self, actor: str, entry_ids: Sequence[int]) -> dict[int, str]:
        """What a person calls each entry's record ("item WID-100", "users erin.eng"), by
        entry id; entries without such a name are absent (their table and key are shown)."""
        ...

    def audit_entry(self, actor: str, entry_id: int) -> EntryView: ...

    def audit_tables(self, actor: str) -> tuple[str, ...]: ...

    def integrity(self, actor: str) -> IntegrityStatus: ...

    def run_verify(self, actor: str, progress: Progress) -> VerifyOutcome: ...

    def export_trail(
        self, actor: str, flt: AuditFilter, fmt: str, directory: Path, progress: Progress
    ) -> ExportOutcome:
        """``fmt`` csv or json: the filtered entries; bundle: the whole trail for offline
        verification (it cannot be filtered: a chain with gaps proves nothing)."""
        ...
