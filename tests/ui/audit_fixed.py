"""A fixed, in-memory audit trail for the snapshot tests only.

Snapshots must be byte-for-byte reproducible, and real audit entries carry the server's
time, transaction ids and sequence numbers, which no fixture can freeze. The Pilot tests
(test_audit_browser.py, test_audit_integrity.py) run the same screens on the real database.
This backend keeps query.search's keyset semantics so the screens page through it as usual.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from domain.audit.query import AuditDetail, AuditFilter, AuditPage, AuditRow, FieldChange
from screens.audit.backend import (
    EntryView,
    ExportOutcome,
    IntegrityStatus,
    Progress,
    SignatureCheck,
    VerifyOutcome,
)

T0 = dt.datetime(2026, 11, 26, 5, 0, tzinfo=dt.UTC)
ACTORS = ("erin.eng", "quinn.qa", "sam.super", "ada.admin")
NAMES = dict(zip(ACTORS, ("Erin Engineer", "Quinn Quality", "Sam Super", "Ada Admin"), strict=True))
REASONS = ("Drawing rev C", "Supplier change (ECO-0042)", "Typo in description", None)


def _row(n: int) -> AuditRow:
    table = ("workcell.item", "workcell.item", "workcell.users", "workcell.signature")[n % 4]
    first = n < 8
    op = "INSERT" if first or table == "workcell.signature" else "UPDATE"
    changed = (
        () if op == "INSERT" else (("description",) if table.endswith("item") else ("status",))
    )
    return AuditRow(
        id=1000 + n,
        at=T0 + dt.timedelta(seconds=37 * n),
        tx_id=str(88000 + n // 2),
        actor=ACTORS[n % len(ACTORS)],
        station=("station_line2_st04", "station_qa_lab")[n % 2],
        table_name=table,
        record_key=str(40 + n % 4),
        operation=op,
        reason=None if op == "INSERT" else REASONS[n % 3],
        changed=changed,
        chain_position=(500 + n) if n < 120 else None,
    )


ROWS = tuple(_row(n) for n in range(130))
# what the real backend derives from each entry's after-image (kiosk/audit_backend.py)
LABELS = {"40": "item SNAP-HOUSING-01", "41": "item SEAL-KIT-316L", "42": "users sam.super"}


class FixedAuditBackend:
    """Implements AuditBackend over ROWS (newest first), for pictures that never change."""

    def record_labels(self, actor: str, entry_ids: Sequence[int]) -> dict[int, str]:
        keys = {r.id: r.record_key for r in ROWS if r.id in set(entry_ids)}
        return {i: LABELS[k] for i, k in keys.items() if k in LABELS}

    def audit_page(
        self,
        actor: str,
        flt: AuditFilter,
        *,
        before_id: int | None = None,
        after_id: int | None = None,
        limit: int = 50,
    ) -> AuditPage:
        rows = [r for r in ROWS if _matches(r, flt)]
        if after_id is not None:
            newer = [r for r in rows if r.id > after_id][: limit + 1]
            return AuditPage(tuple(reversed(newer[:limit])), len(newer) > limit)
        older = [r for r in reversed(rows) if before_id is None or r.id < before_id]
        return AuditPage(tuple(older[:limit]), len(older) > limit)

    def audit_entry(self, actor: str, entry_id: int) -> EntryView:
        row = next(r for r in ROWS if r.id == entry_id)
        before = {
            "id": 41,
            "item_number": "PUMP-HSG-316",
            "description": "Pump housing 316L",
            "item_type": "component",
            "unit": "ea",
            "status": "draft",
            "shelf_life_days": None,
            "gtin": "09501101530003",
            "created_by": 7,
            "version": 3,
        }
        after = {**before, "description": "Pump housing, 316L, electropolished", "version": 4}
        changes = (
            FieldChange("description", before["description"], after["description"]),
            FieldChange("version", 3, 4),
        )
        same = tuple(r for r in ROWS if r.tx_id == row.tx_id and r.id != row.id)
        detail = AuditDetail(row, before, after, changes, "5f" * 32, "c3" * 32, same)
        sigs = (
            SignatureCheck(
                "Quinn Quality",
                "quinn.qa",
                "approved",
                T0 + dt.timedelta(hours=1),
                3,
                "badge+pin",
                "station_qa_lab",
                False,
                "record changed after signing (version 4, signed 3)",
            ),
            SignatureCheck(
                "Erin Engineer",
                "erin.eng",
                "authored",
                T0,
                2,
                "badge+pin",
                "station_line2_st04",
                True,
                None,
            ),
        )
        labels = self.record_labels(actor, [row.id, *(r.id for r in same)])
        return EntryView(
            detail,
            sigs,
            True,
            NAMES[row.actor],
            labels.get(row.id),
            {"created_by": {7: "erin.eng"}},
            labels,
        )

    def audit_tables(self, actor: str) -> tuple[str, ...]:
        return ("workcell.item", "workcell.signature", "workcell.users")

    def integrity(self, actor: str) -> IntegrityStatus:
        return IntegrityStatus(T0, T0, "station_line2_st04", 619, "ab" * 32, 10, 3.0, 60.0, None)

    def run_verify(self, actor: str, progress: Progress) -> VerifyOutcome:
        progress(1.0, "Done")
        return VerifyOutcome(True, T0, actor, "st", 130, 120, 10, 0, 0.1, (), ())

    def export_trail(
        self, actor: str, flt: AuditFilter, fmt: str, directory: Path, progress: Progress
    ) -> ExportOutcome:
        return ExportOutcome(directory / f"fixed.{fmt}", 0, fmt)


def _matches(row: AuditRow, flt: AuditFilter) -> bool:
    table = flt.table and (flt.table if "." in flt.table else f"workcell.{flt.table}")
    return (
        (not table or row.table_name == table)
        and (not flt.record or row.record_key == flt.record)
        and (not flt.user or row.actor == flt.user)
        and (not flt.text or flt.text.lower() in (row.reason or "").lower())
    )
