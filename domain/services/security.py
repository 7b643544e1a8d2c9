"""Security events: failed sign-ins and signatures, lockouts, revoked-badge attempts,
admin unlocks — recorded by the database, listed for supervisors, acknowledged by signature.

API (stable):
  list_security_events(uow, *, since=None, kinds=None, user=None, unacknowledged_only=False,
                       limit=200) -> list[SecurityEventView]
  acknowledge_event(uow, event_id, creds, *, station, policy, comment=None,
                    expected_version=None, expected_hash=None) -> SignatureView

Events are written by the database only (the PIN check, the administration functions and
the sealer's reconciliation of the failure counters); stations cannot insert them. Nothing
secret is ever part of an event: no PIN, no badge id, no hash.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, cast, select
from sqlalchemy.orm import aliased

from domain.models.identity import SecurityEvent, Signature
from domain.models.users import User
from domain.services.access import require_permission
from domain.uow import UnitOfWork

if TYPE_CHECKING:
    from domain.services.identity import Credentials
    from domain.services.pin_policy import IdentityPolicy
    from domain.services.signatures import SignatureView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SecurityEventView:
    id: int
    at: dt.datetime
    kind: str
    username: str | None
    printed_name: str | None
    station: str
    method: str | None
    detail: str
    acknowledged_by: str | None = None
    acknowledged_at: dt.datetime | None = None


def list_security_events(
    uow: UnitOfWork,
    *,
    since: dt.datetime | str | None = None,
    kinds: Sequence[str] | None = None,
    user: str | None = None,
    unacknowledged_only: bool = False,
    limit: int = 200,
) -> list[SecurityEventView]:
    """Newest first. Needs the security.view permission (supervisor, QA, admin, auditor).
    ``since`` may be a datetime or a string the server parses (with or without zone)."""
    require_permission(uow, "security.view")
    subject = aliased(User)
    acker = aliased(User)
    ack = aliased(Signature)
    stmt = (
        select(SecurityEvent, subject, ack, acker)
        .outerjoin(subject, subject.id == SecurityEvent.user_id)
        .outerjoin(
            ack,
            (ack.record_type == "security_event")
            & (ack.record_id == SecurityEvent.id)
            & (ack.meaning == "acknowledged"),
        )
        .outerjoin(acker, acker.id == ack.signer_id)
        .order_by(SecurityEvent.id.desc())
        .limit(limit)
    )
    if since is not None:
        # a string is read by the server ("2026-11-26 08:00+01"), never the station clock
        stmt = stmt.where(SecurityEvent.at >= cast(since, DateTime(timezone=True)))
    if kinds:
        stmt = stmt.where(SecurityEvent.kind.in_(list(kinds)))
    if user:
        stmt = stmt.where(subject.username == user.strip().lower())
    if unacknowledged_only:
        stmt = stmt.where(ack.id.is_(None))
    return [_view(*row) for row in uow.session.execute(stmt).all()]


def _view(
    event: SecurityEvent, subject: User | None, ack: Signature | None, acker: User | None
) -> SecurityEventView:
    return SecurityEventView(
        id=event.id,
        at=event.at,
        kind=event.kind,
        username=subject.username if subject else None,
        printed_name=subject.printed_name if subject else None,
        station=event.station,
        method=event.method,
        detail=event.detail,
        acknowledged_by=ack.printed_name if ack else None,
        acknowledged_at=ack.signed_at if ack else None,
    )


def acknowledge_event(
    uow: UnitOfWork,
    event_id: int,
    creds: Credentials,
    *,
    station: str,
    policy: IdentityPolicy,
    comment: str | None = None,
    expected_version: int | None = None,
    expected_hash: str | None = None,
) -> SignatureView:
    """Sign a security event as 'acknowledged' (supervisor or QA; not the person it concerns).

    The caller commits. Refused if already acknowledged, or if the event is no longer at
    the version and content the signing dialog showed (``expected_*``).
    """
    from domain.errors import RuleViolation
    from domain.services.signatures import RecordRef, sign, signatures_for

    record = RecordRef("security_event", event_id)
    if any(s.meaning == "acknowledged" for s in signatures_for(uow, record)):
        raise RuleViolation(f"Security event {event_id} is already acknowledged.")
    return sign(
        uow, record, "acknowledged", creds, station=station, policy=policy, comment=comment,
        expected_version=expected_version, expected_hash=expected_hash,
    )  # fmt: skip


def acknowledge_events(
    uow: UnitOfWork,
    shown: Sequence[tuple[int, int | None, str | None]],
    creds: Credentials,
    *,
    station: str,
    comment: str | None = None,
) -> list[SignatureView]:
    """Sign several security events 'acknowledged' with one badge + PIN (one argon2 run,
    one call of the signing function: all or none). ``shown``: (event id, version, content
    hash) as the dialog showed each. Refused if any is already acknowledged (it names
    them) or if the signing rules refuse any one (e.g. an event about the signer)."""
    from domain.errors import RuleViolation
    from domain.services.signatures import RecordRef, Shown, sign_many, signatures_for

    records = [RecordRef("security_event", event_id) for event_id, _, _ in shown]
    done = [
        str(r.record_id)
        for r in records
        if any(s.meaning == "acknowledged" for s in signatures_for(uow, r))
    ]
    if done:
        raise RuleViolation(f"Already acknowledged: security event(s) {', '.join(done)}.")
    return sign_many(
        uow,
        [Shown(r, v, h) for r, (_, v, h) in zip(records, shown, strict=True)],
        "acknowledged",
        creds,
        station=station,
        comment=comment,
    )
