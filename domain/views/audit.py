"""The audit trail as the screens and the CLI read it: filters, rows, pages, an entry in
full (plain frozen data; the queries are domain/audit/query.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AuditFilter:
    """All given criteria must match. Times are timestamptz (a string is read by the server)."""

    table: str | None = None
    record: str | None = None
    user: str | None = None
    station: str | None = None
    since: datetime | str | None = None
    until: datetime | str | None = None
    text: str | None = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    tx_id: str
    actor: str
    station: str
    table_name: str
    record_key: str
    operation: str
    reason: str | None
    changed: tuple[str, ...]
    chain_position: int | None  # None while not yet sealed


@dataclass(frozen=True)
class AuditPage:
    rows: tuple[AuditRow, ...]
    has_more: bool  # more rows beyond this page in the direction asked

    @property
    def first_id(self) -> int | None:
        return self.rows[0].id if self.rows else None

    @property
    def last_id(self) -> int | None:
        return self.rows[-1].id if self.rows else None


@dataclass(frozen=True)
class FieldChange:
    name: str
    before: Any
    after: Any


@dataclass(frozen=True)
class AuditDetail:
    row: AuditRow
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    changes: tuple[FieldChange, ...]
    entry_hash: str
    chain_hash: str | None
    same_transaction: tuple[AuditRow, ...] = field(default=())
