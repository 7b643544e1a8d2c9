"""The station watchdog's limits (workcell.station_limits, migration 0010): how long a station
transaction may hold a transaction id or a lock, stay idle in a transaction, or read as a
report. Changed only by an administrator with a reason and fresh credentials; audited.

API: current_limits(session) -> StationLimits
     set_limits(uow, changes, reason, admin_creds, *, station) -> None
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from domain.errors import InvalidInput, translate
from domain.services.identity import Credentials, answer, refusals_recorded
from domain.uow import UnitOfWork

SETTINGS = ("transaction_limit_s", "idle_limit_s", "report_limit_s", "seal_alarm_s")
_GET = text(
    "SELECT transaction_limit_s, idle_limit_s, report_limit_s, seal_alarm_s, version"
    " FROM workcell.station_limits WHERE id = 1"
)
_SET = text("SELECT workcell.set_station_limits(CAST(:changes AS jsonb), :reason, :c, :proof)")


@dataclass(frozen=True)
class StationLimits:
    transaction_limit_s: int
    idle_limit_s: int
    report_limit_s: int
    seal_alarm_s: int
    version: int


def current_limits(session: Session) -> StationLimits:
    r = session.execute(_GET).one()
    return StationLimits(int(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]))


def set_limits(
    uow: UnitOfWork,
    changes: dict[str, int],
    reason: str,
    admin_creds: Credentials,
    *,
    station: str,
) -> None:
    """Change limits (the caller commits). The database checks the administrator's
    permission, their fresh credentials and every value's range."""
    unknown = sorted(set(changes) - set(SETTINGS))
    if unknown or not changes:
        raise InvalidInput(
            f"Unknown station limit {', '.join(unknown) or '(none given)'}. "
            f"Limits: {', '.join(SETTINGS)}."
        )
    if not reason.strip():
        raise InvalidInput("Give the reason for the change of the station limits.")
    ans = answer(uow.session_factory, admin_creds, "sign")
    params = {"changes": json.dumps(changes), "reason": reason.strip(), "c": ans.challenge_id,
              "proof": ans.proof}  # fmt: skip
    with refusals_recorded(uow.session_factory, ans, f"station limits change at {station}"):
        try:
            uow.session.execute(_SET, params)
        except Exception as exc:
            raise (translate(exc) or exc) from exc
