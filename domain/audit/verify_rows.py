"""Rows versus trail: every regulated row equals the after-image of its latest audit entry.

The comparison runs inside the database (``audit.rows_vs_trail``, SECURITY DEFINER: verify
may run as the auditor or a station, who cannot read secret columns; the function digests
them with the audit key as the trigger does and returns only which record differs, how,
and the first differing column). docs/audit.md#rows-versus-trail.

A full pass compares every row. An incremental pass compares rows touched by entries newer
than the last verified entry, and rows whose ``xmin`` is not the transaction of their latest
entry (written by some other transaction: with the trigger off); existence (deleted rows,
rows with no entry) is checked in full either way.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from domain.audit.verify_meta import LIMIT, Problem

_TABLES = text("SELECT table_name FROM audit.regulated_table ORDER BY table_name")
_ROWS = text(
    "SELECT record_key, kind, entry_id, column_name"
    " FROM audit.rows_vs_trail(:table, :full, :since, :limit)"
)


def _message(table: str, key: str, kind: str, entry_id: int | None, column: str | None) -> str:
    where = f"{table} record {key}"
    if kind == "unrecorded":
        return f"{where} has no audit entry: it was written without the audit trigger"
    if kind == "deleted":
        return (
            f"{where} is gone, but its latest audit entry {entry_id} is no DELETE: "
            "it was deleted without the audit trigger"
        )
    if kind == "reappeared":
        return (
            f"{where} exists, but its latest audit entry {entry_id} deleted it: "
            "it was written back without the audit trigger"
        )
    return (
        f"{where}: column {column} differs from its latest audit entry {entry_id}: "
        "it was changed without the audit trigger"
    )


def check_rows(conn: Connection, full: bool = True, since_entry: int = 0) -> list[Problem]:
    """Problems of every regulated table, each table's first ones by entry id."""
    problems: list[Problem] = []
    for (table,) in conn.execute(_TABLES).all():
        params = {"table": table, "full": full, "since": since_entry, "limit": LIMIT}
        for key, kind, entry_id, column in conn.execute(_ROWS, params):
            problems.append(
                Problem("row", _message(table, key, kind, entry_id, column), None, entry_id)
            )
    return problems
