"""What the audit browser's integrity view and exports need beyond query.py and verify.py.

API (the kiosk's audit backend calls these):
  seal_state(session) -> SealState                  last seal, chain head, unsealed backlog
  verify_with_progress(engine, anchors, grace_s, progress) -> VerifyReport
  export_filtered(session, flt, path, fmt, progress) -> int rows written (csv | json)
  writable_directory(path) -> Path                  refuses with a message a person can act on

Verification runs the same checks as `verify.verify`, in the same order and in one
REPEATABLE READ snapshot, but reports progress between checks so a screen can show a bar.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from domain.audit import query, verify
from domain.audit.anchors import Anchor
from domain.errors import InvalidInput

Progress = Callable[[float, str], None]
EXPORT_PAGE = 1000
EXPORT_COLUMNS = (
    "entry_id",
    "at_utc",
    "actor",
    "station",
    "table",
    "record",
    "operation",
    "changed_fields",
    "reason",
    "before",
    "after",
    "entry_hash",
    "chain_position",
    "transaction",
)


@dataclass(frozen=True)
class SealState:
    now: datetime
    last_seal_at: datetime | None
    last_seal_by: str | None
    head_position: int
    head_hash: str | None
    unsealed: int
    oldest_unsealed_at: datetime | None

    @property
    def lag_s(self) -> float:
        """How long the oldest unsealed entry has waited (0 when everything is sealed)."""
        if self.oldest_unsealed_at is None:
            return 0.0
        return max(0.0, (self.now - self.oldest_unsealed_at).total_seconds())


_SEAL_STATE = text("""
    WITH last AS (SELECT sealed_at, sealed_by, last_position, head_hash, low_water
                    FROM audit.seal ORDER BY id DESC LIMIT 1),
         backlog AS (
            SELECT count(*) AS n, min(e.at) AS oldest FROM audit.entry e
             WHERE e.tx_id >= coalesce((SELECT low_water FROM last), '0'::xid8)
               AND NOT EXISTS (SELECT 1 FROM audit.chain c WHERE c.entry_id = e.id))
    SELECT now(), l.sealed_at, l.sealed_by, coalesce(l.last_position, 0), l.head_hash,
           b.n, b.oldest
      FROM backlog b LEFT JOIN last l ON true
""")


def seal_state(session: Session) -> SealState:
    """Last seal and the entries still waiting for one (only those above its low water)."""
    r = session.execute(_SEAL_STATE).one()
    return SealState(r[0], r[1], r[2], int(r[3]), r[4], int(r[5]), r[6])


def verify_with_progress(
    engine: Engine, anchors: Sequence[Anchor], grace_s: float, progress: Progress
) -> verify.VerifyReport:
    """`verify.verify` reporting progress; the one verify, so the screen misses no check."""
    report = verify.verify(engine, anchors, grace_s, progress)
    progress(1.0, "Done")
    return report


def writable_directory(directory: Path) -> Path:
    """The directory, if this program can create files in it; a clear refusal otherwise."""
    path = directory.expanduser()
    if not path.exists():
        raise InvalidInput(f"{path} does not exist. Choose an existing directory.")
    if not path.is_dir():
        raise InvalidInput(f"{path} is a file, not a directory. Choose a directory.")
    try:
        with tempfile.NamedTemporaryFile(dir=path, prefix=".workcell-probe-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InvalidInput(
            f"Cannot write to {path} ({reason}). Nothing was exported. Choose a directory "
            "you may write to, e.g. your home directory or a mounted USB stick.",
            title="Export target not writable",
        ) from exc
    return path


def _pages(session: Session, flt: query.AuditFilter) -> Iterator[query.AuditRow]:
    """Matching rows oldest first, page by page (keyset): never the whole trail in memory."""
    after: int | None = None
    while True:
        page = query.search(session, flt, after_id=after, limit=EXPORT_PAGE, newest_first=False)
        yield from page.rows
        if not page.has_more or not page.rows:
            return
        after = page.last_id


_VALUES = text(
    "SELECT id, before, after, entry_hash FROM audit.entry WHERE id = ANY(CAST(:ids AS bigint[]))"
)


def _records(session: Session, flt: query.AuditFilter) -> Iterator[dict[str, Any]]:
    batch: list[query.AuditRow] = []
    for row in _pages(session, flt):
        batch.append(row)
        if len(batch) == EXPORT_PAGE:
            yield from _with_values(session, batch)
            batch = []
    yield from _with_values(session, batch)


def _with_values(session: Session, rows: list[query.AuditRow]) -> Iterator[dict[str, Any]]:
    if not rows:
        return
    values = {r[0]: r[1:] for r in session.execute(_VALUES, {"ids": [x.id for x in rows]})}
    for r in rows:
        before, after, entry_hash = values[r.id]
        yield {
            "entry_id": r.id,
            "at_utc": r.at.astimezone(UTC).isoformat(),
            "actor": r.actor,
            "station": r.station,
            "table": r.table_name,
            "record": r.record_key,
            "operation": r.operation,
            "changed_fields": list(r.changed),
            "reason": r.reason,
            "before": before,
            "after": after,
            "entry_hash": entry_hash,
            "chain_position": r.chain_position,
            "transaction": r.tx_id,
        }


def count_matching(session: Session, flt: query.AuditFilter) -> int:
    clauses, params = query._where(flt)
    sql = f"SELECT count(*) FROM audit.entry e WHERE {' AND '.join(clauses) or 'true'}"
    return int(session.execute(text(sql), params).scalar_one())


def export_filtered(
    session: Session, flt: query.AuditFilter, path: Path, fmt: str, progress: Progress
) -> int:
    """Write the matching entries (oldest first) to ``path``; all or nothing (temp + rename)."""
    if fmt not in ("csv", "json"):
        raise InvalidInput("Export as csv or json.")
    total = max(1, count_matching(session, flt))
    tmp = path.with_name(f".{path.name}.part")
    written = 0
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = _writer(fh, fmt)
            for record in _records(session, flt):
                writer(record, written)
                written += 1
                if written % EXPORT_PAGE == 0:
                    progress(written / total, f"{written} of {total} entries written…")
            if fmt == "json":
                fh.write("\n]\n" if written else "]\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    progress(1.0, f"{written} entries written")
    return written


def _writer(fh: Any, fmt: str) -> Callable[[dict[str, Any], int], None]:
    if fmt == "csv":
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(EXPORT_COLUMNS)

        def row(record: dict[str, Any], n: int) -> None:
            cells = dict(record)
            cells["changed_fields"] = ",".join(record["changed_fields"])
            for key in ("before", "after"):
                cells[key] = "" if record[key] is None else json.dumps(record[key], sort_keys=True)
            out.writerow([cells[c] for c in EXPORT_COLUMNS])

        return row
    fh.write("[")

    def item(record: dict[str, Any], n: int) -> None:
        fh.write(("," if n else "") + "\n  " + json.dumps(record, default=str, sort_keys=True))

    return item
