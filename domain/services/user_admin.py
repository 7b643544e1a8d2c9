"""User administration as the admin screens see it: people with roles, badges and state,
and the refusals the screens need that the identity services leave to their callers.

API (the kiosk's admin backend calls these; the caller commits):
  list_people(uow, *, search="", role=None, status=None) -> list[PersonRow]
  person(uow, username) -> PersonRow
  add_person(uow, username, printed_name, roles=()) -> PersonRow
  disable_person(uow, username, reason) -> PersonRow
  reauthenticate(uow, creds, *, expected, station, policy, action) -> CheckedPerson

Every function needs the actor's ``user.administer`` permission (reading included: the
list shows who is locked and who holds which role, which is not everybody's business).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, literal, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from domain.errors import AuthenticationFailed, InvalidInput, RuleViolation
from domain.models.identity import AuthState, Badge, IdentityVerification, UserPin, UserRole
from domain.models.users import User
from domain.services import access, users
from domain.services.identity import (
    CheckedPerson,
    Credentials,
    check_credentials,
    require_usable_pin,
)
from domain.services.pin_policy import IdentityPolicy
from domain.uow import UnitOfWork

STATUSES = ("active", "locked", "disabled")


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
    failed = select(AuthState.failed_attempts).where(AuthState.user_id == User.id)
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
) -> CheckedPerson:
    """Both components again, from the administrator who is signed in (``expected``).

    A wrong PIN counts towards their lockout like any other; someone else's badge is
    refused: the action is attributed to the signed-in administrator, so it must be theirs.
    """
    person = check_credentials(
        uow, creds, station=station, policy=policy, purpose=f"administrator action: {action}"
    )
    require_usable_pin(person)
    if person.username != expected.strip().lower():
        raise AuthenticationFailed(
            f"That is {person.printed_name}'s badge. Only the signed-in administrator "
            f"({expected}) can confirm this; sign in as yourself first."
        )
    return person
