"""The access log (§11.300(b), Annex 11 §12): every successful and refused sign-in and
signature attempt, with station and method, written by the database only.

API: list_access(uow, *, user=None, station=None, outcome=None, since=None, limit=200)
     -> list[AccessView]   (needs security.view: supervisor, QA, admin, auditor)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text

from domain.services.access import require_permission
from domain.uow import UnitOfWork

_LIST = text("""
    SELECT a.id, a.at, a.station, u.username, u.printed_name, a.method, a.purpose, a.outcome,
           a.detail
      FROM workcell.access_log a LEFT JOIN workcell.users u ON u.id = a.user_id
     WHERE (CAST(:user AS text) IS NULL OR u.username = :user)
       AND (CAST(:station AS text) IS NULL OR a.station = :station)
       AND (CAST(:outcome AS text) IS NULL OR a.outcome = :outcome)
       AND (CAST(:since AS timestamptz) IS NULL OR a.at >= CAST(:since AS timestamptz))
     ORDER BY a.id DESC
     LIMIT :limit
""")


@dataclass(frozen=True)
class AccessView:
    id: int
    at: dt.datetime
    station: str
    username: str | None
    printed_name: str | None
    method: str
    purpose: str
    outcome: str
    detail: str


def list_access(
    uow: UnitOfWork,
    *,
    user: str | None = None,
    station: str | None = None,
    outcome: str | None = None,
    since: dt.datetime | str | None = None,
    limit: int = 200,
) -> list[AccessView]:
    """Newest first; ``since`` is read by the server (a string with or without zone)."""
    require_permission(uow, "security.view")
    params = {
        "user": user.strip().lower() if user else None,
        "station": station,
        "outcome": outcome,
        "since": since,
        "limit": max(1, min(limit, 10000)),
    }
    return [AccessView(*row) for row in uow.session.execute(_LIST, params)]
