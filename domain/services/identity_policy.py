"""The server's identity policy: lockout limit and windows, PIN expiry and history, session
idle expiry, challenge lifetime, argon2id cost. One row, workcell.identity_policy; changed
only by an administrator with a reason and fresh credentials, audited like every change.

API: current_policy(session_factory) -> ServerPolicy      (re-exported from identity)
     set_policy(uow, changes, reason, admin_creds, *, station) -> None
"""

from __future__ import annotations

import json

from sqlalchemy import text

from domain.errors import InvalidInput, translate
from domain.services.identity import (
    Credentials,
    ServerPolicy,
    answer,
    refusals_recorded,
    server_policy,
)
from domain.uow import UnitOfWork

current_policy = server_policy

SETTINGS = (
    "max_failed_attempts",
    "failure_window_s",
    "station_failure_limit",
    "station_lookup_limit",
    "station_window_s",
    "pin_expiry_days",
    "pin_history",
    "session_idle_s",
    "challenge_ttl_s",
    "argon2_memory_kib",
    "argon2_time_cost",
    "argon2_parallelism",
    "signature_policy_version",
)
_SET = text("SELECT workcell.set_identity_policy(CAST(:changes AS jsonb), :reason, :c, :proof)")

__all__ = ["SETTINGS", "ServerPolicy", "current_policy", "set_policy"]


def set_policy(
    uow: UnitOfWork,
    changes: dict[str, int | str],
    reason: str,
    admin_creds: Credentials,
    *,
    station: str,
) -> None:
    """Change policy settings (the caller commits). The database checks the administrator's
    permission, their fresh credentials and every value's range."""
    unknown = sorted(set(changes) - set(SETTINGS))
    if unknown:
        raise InvalidInput(
            f"Unknown policy setting {', '.join(unknown)}. Settings: {', '.join(SETTINGS)}."
        )
    if not reason.strip():
        raise InvalidInput("Give the reason for the policy change.")
    ans = answer(uow.session_factory, admin_creds, "sign")
    params = {"changes": json.dumps(changes), "reason": reason.strip(), "c": ans.challenge_id,
              "proof": ans.proof}  # fmt: skip
    with refusals_recorded(uow.session_factory, ans, f"policy change at {station}"):
        try:
            uow.session.execute(_SET, params)
        except Exception as exc:
            raise (translate(exc) or exc) from exc
