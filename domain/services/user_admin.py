"""User administration as the admin screens see it: people with roles, badges and state,
and the refusals the screens need that the identity services leave to their callers.

API (the kiosk's admin backend calls these; the caller commits):
  list_people(uow, *, search="", role=None, status=None) -> list[PersonRow]
  person(uow, username) -> PersonRow
  add_person(uow, username, printed_name, roles=()) -> PersonRow
  disable_person(uow, username, reason) -> PersonRow
  reauthenticate(uow, creds, *, expected, station, policy, action) -> StationSession

Every function needs the actor's ``user.administer`` permission (reading included: the
list shows who is locked and who holds which role, which is not everybody's business).
The failure count shown is read from the access log (refused attempts in the policy's
window since the last unlock): the counters themselves are the database's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, column, func, literal, literal_column, or_, select, table, text
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.elements import ColumnElement

from domain.errors import AuthenticationFailed, InvalidInput, RuleViolation, translate
from domain.models.identity import (
    Badge,
    IdentityVerification,
    SecurityEvent,
    UserPin,
    UserRole,
)
from domain.models.users import User
from domain.services import access, users
from domain.services.identity import Credentials, answer, refusals_recorded
from domain.services.pin_policy import IdentityPolicy
from domain.uow import StationSession, UnitOfWork

STATUSES = ("active", "locked", "disabled")

_ACCESS_LOG = table(
    "access_log", column("user_id"), column("outcome"), column("at"), schema="workcell"
)
_POLICY = table("identity_policy", column("id"), column("failure_window_s"), schema="workcell")
_NEVER: ColumnElement[Any] = literal_column("'-infinity'::timestamptz")
_SIGN_IN = text(
    "SELECT token, user_id, username, printed_name, idle_s FROM workcell.sign_in(:c, :proof)"
)


@dataclass(frozen=True)
class PersonRow:
    """One person as the admin list shows them. ``pin`` is none, temporary or own."""

    username: str
    printed_name: str
    status: str
    roles: tuple[str, ...]
    active_badges: int
    revoked_badges: int
    pin: str
    failed_attempts: int
    created_at: dt.datetime
    identity_verified: bool = False
    user_id: int = 0  # the users row's id: its key in the audit trail


def _rows_query() -> Select[Any]:
    roles = (
        select(func.string_agg(UserRole.role, aggregate_order_by(literal(","), UserRole.role)))
        .where(UserRole.user_id == User.id)
        .scalar_subquery()
    )
    active = (
        select(func.count(Badge.id))
        .where(Badge.user_id == User.id, Badge.revoked_at.is_(None))
        .scalar_subquery()
    )
    revoked = (
        select(func.count(Badge.id))
        .where(Badge.user_id == User.id, Badge.revoked_at.is_not(None))
        .scalar_subquery()
    )
    pin = (
        select(UserPin.temporary)
        .where(UserPin.user_id == User.id)
        .order_by(UserPin.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    window = select(_POLICY.c.failure_window_s).where(_POLICY.c.id == 1).scalar_subquery()
    unlocked = (
        select(func.max(SecurityEvent.at))
        .where(SecurityEvent.user_id == User.id, SecurityEvent.kind == "account_unlocked")
        .scalar_subquery()
    )
    failed = (
        select(func.count())
        .select_from(_ACCESS_LOG)
        .where(
            _ACCESS_LOG.c.user_id == User.id,
            _ACCESS_LOG.c.outcome == "refused",
            _ACCESS_LOG.c.at > func.now() - func.make_interval(0, 0, 0, 0, 0, 0, window),
            _ACCESS_LOG.c.at > func.coalesce(unlocked, _NEVER),
        )
    )
    verified = select(IdentityVerification.id).where(IdentityVerification.user_id == User.id)
    return select(
        User, roles, active, revoked, pin, failed.scalar_subquery(), verified.exists()
    ).where(User.kind == "person")


def _row(r: Any) -> PersonRow:
    user, roles, active, revoked, temp, failed, verified = r
    pin = "none" if temp is None else ("temporary" if temp else "own")
    return PersonRow(
        user.username,
        user.printed_name,
        user.status,
        tuple((roles or "").split(",")) if roles else (),
        int(active or 0),
        int(revoked or 0),
        pin,
        int(failed or 0),
        user.created_at,
        bool(verified),
        user.id,
    )


def list_people(
    uow: UnitOfWork, *, search: str = "", role: str | None = None, status: str | None = None
) -> list[PersonRow]:
    """People (never system actors), by username; ``search`` matches name or username."""
    access.require_permission(uow, "user.administer")
    stmt = _rows_query().order_by(User.username)
    if search.strip():
        like = "%" + search.strip().replace("%", r"\%").replace("_", r"\_") + "%"
        stmt = stmt.where(or_(User.username.ilike(like), User.printed_name.ilike(like)))
    if role:
        stmt = stmt.where(
            select(UserRole.user_id)
            .where(UserRole.user_id == User.id, UserRole.role == role)
            .exists()
        )
    if status:
        if status not in STATUSES:
            raise InvalidInput(f"Unknown status {status!r}: {', '.join(STATUSES)}.")
        stmt = stmt.where(User.status == status)
    return [_row(r) for r in uow.session.execute(stmt).all()]


def person(uow: UnitOfWork, username: str) -> PersonRow:
    access.require_permission(uow, "user.administer")
    name = username.strip().lower()
    found = uow.session.execute(_rows_query().where(User.username == name)).first()
    if found is None:
        raise InvalidInput(f"No person named {username!r}.")
    return _row(found)


def add_person(
    uow: UnitOfWork, username: str, printed_name: str, roles: Sequence[str] = ()
) -> PersonRow:
    """A new person with their roles. No PIN or badge yet: those are separate steps."""
    access.require_permission(uow, "user.administer")
    view = users.add_user(uow, username, printed_name)
    for role in roles:
        access.grant_role(uow, view.username, role)
    uow.flush()
    return person(uow, view.username)


def disable_person(uow: UnitOfWork, username: str, reason: str) -> PersonRow:
    """Disable for good (users are never deleted). Not oneself, not the last administrator."""
    access.require_permission(uow, "user.administer")
    target = users.get_user(uow, username)
    if target.username == uow.actor:
        raise RuleViolation("Administrators cannot disable their own account.")
    if target.status == "disabled":
        raise InvalidInput(f"{target.username} is already disabled.")
    if (
        "admin" in access.roles_of(uow, target.username)
        and _other_active_admins(uow, target.id) == 0
    ):
        raise RuleViolation(
            f"{target.username} is the last active administrator; grant admin to someone "
            "else first."
        )
    users.disable_user(uow, target.username, reason)
    return person(uow, target.username)


def _other_active_admins(uow: UnitOfWork, user_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(UserRole)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role == "admin", User.status == "active", User.id != user_id)
    )
    return int(uow.session.scalar(stmt) or 0)


def reauthenticate(
    uow: UnitOfWork,
    creds: Credentials,
    *,
    expected: str,
    station: str,
    policy: IdentityPolicy,
    action: str,
) -> StationSession:
    """Both components again, from the administrator who is signed in (``expected``), in
    the caller's transaction: the database signs them in afresh (workcell.sign_in), so the
    rest of the transaction acts in the new session, and the caller keeps it once it
    commits. A wrong PIN counts towards their lockout like any other; someone else's
    badge is refused (and nothing of that sign-in survives the rollback): the action is
    attributed to the signed-in administrator, so the proof must be theirs.
    """
    ans = answer(uow.session_factory, creds, "sign_in")
    with refusals_recorded(
        uow.session_factory, ans, f"administrator action at {station}: {action}"
    ):
        try:
            r = uow.session.execute(_SIGN_IN, {"c": ans.challenge_id, "proof": ans.proof}).one()
        except Exception as exc:
            raise (translate(exc) or exc) from exc
    if r.username != expected.strip().lower():
        raise AuthenticationFailed(
            f"That is {r.printed_name}'s badge. Only the signed-in administrator "
            f"({expected}) can confirm this; sign in as yourself first."
        )
    return StationSession(
        r.token,
        r.user_id,
        r.username,
        r.printed_name,
        access.roles_of(uow, r.username),
        access.permissions_of(uow, r.username),
        ans.method,
        r.idle_s,
    )
