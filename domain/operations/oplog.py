"""The operations log: each backup taken and each restore made, recorded in the database it
concerns (workcell.operation_event, migration 0034: audited, append-only, the server's clock
and login). Written with the admin's owner-side login as the 'system' actor, like the rest
of the owner-side set-up; stations only read it. docs/operations.md#the-operations-log.

A backup's record is written after its snapshot, so it is not inside that backup: it is in
the next one. A restore's record is written into the restored database, after the restored
trail was sealed and verified, and names what it was restored from.
"""

from __future__ import annotations

import getpass
import json
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg

_OWNER = (
    "SELECT set_config('role', 'workcell_owner', true),"
    " set_config('workcell.system_actor', 'system', true),"
    " set_config('workcell.reason', %s, true)"
)
# at and db_login are the server's (workcell.operation_event_facts, BEFORE INSERT)
_INSERT = (
    "INSERT INTO workcell.operation_event (kind, os_user, host, detail)"
    " VALUES (%s, %s, %s, %s::jsonb) RETURNING id, at::text, db_login"
)
_LIST = (
    "SELECT id, kind, at, db_login, os_user, host, detail FROM workcell.operation_event"
    " ORDER BY id DESC LIMIT %s"
)


@dataclass(frozen=True)
class OperationEvent:
    id: int
    kind: str
    at: str
    db_login: str
    os_user: str
    host: str
    detail: Mapping[str, Any]


def _who() -> tuple[str, str]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's arbitrary uid)
        user = "unknown"
    return user[:100], socket.gethostname()[:255]


def record(dsn: str, kind: str, detail: Mapping[str, Any], reason: str) -> OperationEvent:
    """Record one backup or restore at ``dsn`` (a superuser or the owner's login)."""
    user, host = _who()
    payload = json.dumps(dict(detail), sort_keys=True, default=str)
    with psycopg.connect(dsn) as conn:
        conn.execute(_OWNER, (reason,))
        row = conn.execute(_INSERT, (kind, user, host, payload)).fetchone()
        assert row is not None
    return OperationEvent(int(row[0]), kind, str(row[1]), str(row[2]), user, host, detail)


def recent(dsn: str, limit: int = 50) -> list[OperationEvent]:
    """The latest ``limit`` events, newest first."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(_LIST, (limit,)).fetchall()
    return [OperationEvent(r[0], r[1], r[2].isoformat(), r[3], r[4], r[5], r[6]) for r in rows]
