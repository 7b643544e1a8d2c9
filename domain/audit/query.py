"""Reading the audit trail: search with keyset paging, entry detail, record history.

For the audit-trail browser screen and `workcell audit show`. Every function takes a
Session (or a UnitOfWork) and returns frozen views; nothing loads the whole trail. Paging is
by entry id (keyset), so page 1,000 costs what page 1 costs; the table/record, user and time
filters are served by an index of audit.entry (time: BRIN, migration 0011), the station
filter walks the id order (its btree was dropped in 0011: docs/audit.md#reading).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from domain.errors import InvalidInput, NotFound
from domain.uow import UnitOfWork
from domain.views.audit import AuditDetail as AuditDetail
from domain.views.audit import AuditFilter as AuditFilter
from domain.views.audit import AuditPage as AuditPage
from domain.views.audit import AuditRow as AuditRow
from domain.views.audit import FieldChange as FieldChange

MAX_PAGE = 1000


def _session(src: Session | UnitOfWork) -> Session:
    return src.session if isinstance(src, UnitOfWork) else src


def qualified_table(name: str) -> str:
    """'item' means 'workcell.item'; a schema-qualified name is taken as given."""
    name = name.strip().lower()
    return name if "." in name else f"workcell.{name}"


_COLUMNS = """
    e.id, e.at, e.tx_id::text, e.actor, e.station, e.table_name, e.record_key, e.operation,
    e.reason,
    CASE WHEN e.operation = 'UPDATE' THEN ARRAY(
        SELECT k FROM jsonb_object_keys(e.after) AS k
         WHERE e.before -> k IS DISTINCT FROM e.after -> k AND k <> 'version' ORDER BY k)
    ELSE ARRAY[]::text[] END,
    (SELECT c.position FROM audit.chain c WHERE c.entry_id = e.id)
"""


def _row(r: Any) -> AuditRow:
    return AuditRow(
        int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], tuple(r[9] or ()), r[10]
    )


def _where(flt: AuditFilter) -> tuple[list[str], dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if flt.table:
        clauses.append("e.table_name = :table")
        params["table"] = qualified_table(flt.table)
    if flt.record:
        if not flt.table:
            raise InvalidInput("A record key needs its table (e.g. --table item --record 12).")
        clauses.append("e.record_key = :record")
        params["record"] = flt.record.strip()
    if flt.user:
        clauses.append("e.actor = :actor")
        params["actor"] = flt.user.strip().lower()
    if flt.station:
        clauses.append("e.station = :station")
        params["station"] = flt.station.strip()
    if flt.since:
        clauses.append("e.at >= CAST(:since AS timestamptz)")
        params["since"] = flt.since
    if flt.until:
        clauses.append("e.at < CAST(:until AS timestamptz)")
        params["until"] = flt.until
    if flt.text:
        like = "%" + flt.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(
            "(e.record_key ILIKE :like OR e.reason ILIKE :like"
            " OR e.after::text ILIKE :like OR e.before::text ILIKE :like)"
        )
        params["like"] = like
    return clauses, params


def search(
    src: Session | UnitOfWork,
    flt: AuditFilter = AuditFilter(),
    *,
    after_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
    newest_first: bool = True,
) -> AuditPage:
    """One page of entries matching ``flt``, ordered by id (newest first by default).

    Keyset paging: ``before_id`` gives entries with smaller ids (older), ``after_id`` larger
    ids (newer); rows are always returned in the requested display order.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"Page size must be between 1 and {MAX_PAGE}.")
    clauses, params = _where(flt)
    if before_id is not None:
        clauses.append("e.id < :before_id")
        params["before_id"] = before_id
    if after_id is not None:
        clauses.append("e.id > :after_id")
        params["after_id"] = after_id
    # Walk away from the anchor id; flip back afterwards if that is not the display order.
    ascending = after_id is not None or (before_id is None and not newest_first)
    sql = (
        f"SELECT {_COLUMNS} FROM audit.entry e"
        f" WHERE {' AND '.join(clauses) or 'true'}"
        f" ORDER BY e.id {'ASC' if ascending else 'DESC'} LIMIT :limit"
    )
    params["limit"] = limit + 1
    try:
        rows = [_row(r) for r in _session(src).execute(text(sql), params)]
    except DataError as exc:  # e.g. a time the server cannot read
        _session(src).rollback()
        raise InvalidInput(
            "The search filters cannot be read: check the times "
            "(for example 2026-11-26 08:00 or 2026-11-26 08:00+01)."
        ) from exc
    has_more = len(rows) > limit
    rows = rows[:limit]
    if ascending == newest_first:
        rows.reverse()
    return AuditPage(tuple(rows), has_more)


def history(
    src: Session | UnitOfWork, table: str, record_key: str, *, limit: int = MAX_PAGE
) -> tuple[AuditRow, ...]:
    """The life of one record, oldest first (index ix_entry_record)."""
    page = search(src, AuditFilter(table=table, record=record_key), limit=limit, newest_first=False)
    return page.rows


_DETAIL = text(f"""
    SELECT {_COLUMNS}, e.before, e.after, e.entry_hash,
           (SELECT c.chain_hash FROM audit.chain c WHERE c.entry_id = e.id)
      FROM audit.entry e WHERE e.id = :id
""")
_SAME_TX = text(f"""
    SELECT {_COLUMNS} FROM audit.entry e
     WHERE e.tx_id = CAST(:tx AS xid8) AND e.id <> :id ORDER BY e.id LIMIT :limit
""")


def detail(src: Session | UnitOfWork, entry_id: int) -> AuditDetail:
    """One entry: before/after, the fields that changed, and its transaction's other entries."""
    session = _session(src)
    r = session.execute(_DETAIL, {"id": entry_id}).first()
    if r is None:
        raise NotFound(f"There is no audit entry {entry_id}.")
    row = _row(r)
    before, after = r[11], r[12]
    keys = sorted(set(before or {}) | set(after or {}))
    changes = tuple(
        FieldChange(k, (before or {}).get(k), (after or {}).get(k))
        for k in keys
        if (before or {}).get(k) != (after or {}).get(k)
    )
    same = session.execute(_SAME_TX, {"tx": row.tx_id, "id": entry_id, "limit": MAX_PAGE})
    return AuditDetail(
        row=row,
        before=before,
        after=after,
        changes=changes,
        entry_hash=r[13],
        chain_hash=r[14],
        same_transaction=tuple(_row(x) for x in same),
    )


def of_records(
    src: Session | UnitOfWork, keys: Mapping[str, Sequence[int | str]], *, limit: int = 5000
) -> tuple[AuditRow, ...]:
    """The entries of several records at once (a batch record's work order, steps, entries,
    deviations), oldest first: ``keys`` maps a table to its record keys (ix_entry_record)."""
    clauses: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    for n, (table, values) in enumerate(sorted(keys.items())):
        if values:
            clauses.append(f"(e.table_name = :t{n} AND e.record_key = ANY(:k{n}))")
            params[f"t{n}"] = qualified_table(table)
            params[f"k{n}"] = [str(v) for v in values]
    if not clauses:
        return ()
    sql = (
        f"SELECT {_COLUMNS} FROM audit.entry e WHERE {' OR '.join(clauses)}"
        " ORDER BY e.id LIMIT :limit"
    )
    return tuple(_row(r) for r in _session(src).execute(text(sql), params))
