"""Administering credentials: PIN resets, badges, lock/unlock, identity verification,
policy acknowledgement. Every action is audited by the database trigger; each needs the
acting administrator's permission (checked here, on the transaction's actor).

API (stable; the CLI and the admin screens call these; the caller commits):
  bootstrap_admin(uow, username, pin, *, policy)                  actor 'bootstrap' only
  set_pin(uow, username, pin, *, policy, temporary=True, reason)  admin reset
  add_badge(uow, username, badge_uid, *, replaces_badge_id=None) -> BadgeView
  revoke_badge(uow, badge_id, reason) -> BadgeView
  list_badges(uow, username) -> list[BadgeView]                   (no card ids: never stored)
  lock_user(uow, username, reason) / unlock_user(uow, username, reason) -> UserView
  verify_identity(uow, username, method) -> None                  11.100(b)
  acknowledge_policy(session_factory, creds, *, station, policy) -> None   11.10(j)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.models.identity import (
    Badge,
    IdentityVerification,
    PolicyAcknowledgement,
    UserPin,
    UserRole,
)
from domain.models.users import User
from domain.services import security
from domain.services.access import require_permission
from domain.services.identity import (
    Credentials,
    badge_digest,
    check_credentials,
    require_usable_pin,
    user_id_of,
)
from domain.services.pin_policy import IdentityPolicy, check_new_pin, hash_pin
from domain.services.users import UserView, get_user
from domain.uow import UnitOfWork

_ALREADY_ISSUED = (
    "This card was already issued (perhaps to someone else, perhaps revoked); "
    "card ids are never reassigned. Use a new card."
)


@dataclass(frozen=True)
class BadgeView:
    id: int
    username: str
    issued_at: dt.datetime
    revoked_at: dt.datetime | None
    revoke_reason: str | None
    replaces_id: int | None


def _person(uow: UnitOfWork, username: str) -> User:
    user = uow.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    if user.kind != "person":
        raise InvalidInput("System actors have no credentials.")
    return user


def bootstrap_admin(uow: UnitOfWork, username: str, pin: str, *, policy: IdentityPolicy) -> None:
    """The very first administrator: admin role and their own PIN, in the transaction that
    created them (the database closes the bootstrap actor once a person exists)."""
    if uow.actor != "bootstrap":
        raise RuleViolation("Only the bootstrap set-up creates the first administrator.")
    user = _person(uow, username)
    check_new_pin(policy, pin)
    uow.session.add(UserRole(user_id=user.id, role="admin"))
    uow.session.add(UserPin(user_id=user.id, pin_hash=hash_pin(policy, pin), temporary=False))
    uow.flush()


def set_pin(
    uow: UnitOfWork,
    username: str,
    pin: str,
    *,
    policy: IdentityPolicy,
    temporary: bool = True,
    reason: str = "PIN reset by an administrator",
) -> None:
    """Admin sets a PIN. Temporary (the default) means it only serves to choose a new one."""
    require_permission(uow, "user.administer")
    user = _person(uow, username)
    if user.username == uow.actor:
        raise RuleViolation("Change your own PIN with change-pin, not as an administrator.")
    check_new_pin(policy, pin)
    uow.session.add(UserPin(user_id=user.id, pin_hash=hash_pin(policy, pin), temporary=temporary))
    security.record_event(uow, "pin_reset", user.id, None, f"{reason} (by {uow.actor})")
    uow.flush()


def add_badge(
    uow: UnitOfWork, username: str, badge_uid: str, *, replaces_badge_id: int | None = None
) -> BadgeView:
    """Issue a badge. A card id ever issued (revoked included) is never issued again."""
    require_permission(uow, "user.administer")
    user = _person(uow, username)
    digest = badge_digest(uow.session, badge_uid)
    if uow.session.scalar(select(Badge.id).where(Badge.badge_hash == digest)) is not None:
        raise InvalidInput(_ALREADY_ISSUED)
    if replaces_badge_id is not None:
        old = uow.session.get(Badge, replaces_badge_id)
        if old is None or old.user_id != user.id:
            raise InvalidInput(f"Badge {replaces_badge_id} is not one of {user.username}'s.")
    badge = Badge(user_id=user.id, badge_hash=digest, replaces_id=replaces_badge_id)
    uow.session.add(badge)
    try:
        uow.flush()
    except InvalidInput as exc:  # issued meanwhile; the database's detail names the hash
        if "badge_hash" in str(exc):
            raise InvalidInput(_ALREADY_ISSUED) from None
        raise
    uow.session.refresh(badge)
    return _badge_view(badge, user.username)


def revoke_badge(uow: UnitOfWork, badge_id: int, reason: str) -> BadgeView:
    """Deauthorise a lost or compromised badge at once (11.300(c))."""
    require_permission(uow, "user.administer")
    if not reason.strip():
        raise InvalidInput("Give a reason (e.g. 'reported lost').")
    badge = uow.session.get(Badge, badge_id)
    if badge is None:
        raise NotFound(f"No badge {badge_id}.")
    if badge.revoked_at is not None:
        raise InvalidInput(f"Badge {badge_id} is already revoked.")
    revoked_by = user_id_of(uow, uow.actor)  # before any attribute changes (autoflush)
    uow.set_reason(reason.strip())
    badge.revoked_at = func.now()
    badge.revoked_by = revoked_by
    badge.revoke_reason = reason.strip()
    security.record_event(uow, "badge_revoked", badge.user_id, "badge", reason.strip())
    uow.flush()
    uow.session.refresh(badge)
    owner = uow.session.get(User, badge.user_id)
    return _badge_view(badge, owner.username if owner else "?")


def list_badges(uow: UnitOfWork, username: str) -> list[BadgeView]:
    user = _person(uow, username)
    badges = uow.session.scalars(select(Badge).where(Badge.user_id == user.id).order_by(Badge.id))
    return [_badge_view(b, user.username) for b in badges]


def lock_user(uow: UnitOfWork, username: str, reason: str) -> UserView:
    """Lock an account at once (all badges); unlock_user reverses it."""
    require_permission(uow, "user.administer")
    user = _status_change(uow, username, reason, frm="active", to="locked")
    security.record_event(uow, "account_locked_by_admin", user.id, None, reason.strip())
    return get_user(uow, user.username)


def unlock_user(uow: UnitOfWork, username: str, reason: str) -> UserView:
    """Unlock after a lockout (audited; the failed-attempt count starts again)."""
    require_permission(uow, "user.administer")
    user = _status_change(uow, username, reason, frm="locked", to="active")
    security.reset_failures(uow, user.id)
    security.record_event(uow, "account_unlocked", user.id, None, reason.strip())
    return get_user(uow, user.username)


def _status_change(uow: UnitOfWork, username: str, reason: str, *, frm: str, to: str) -> User:
    if not reason.strip():
        raise InvalidInput("Give a reason for the change.")
    user = _person(uow, username)
    if user.username == uow.actor:
        raise RuleViolation("Administrators cannot lock or unlock their own account.")
    if user.status != frm:
        raise RuleViolation(f"{user.username} is {user.status}, not {frm}.")
    uow.set_reason(reason.strip())
    user.status = to
    uow.flush()
    return user


def verify_identity(uow: UnitOfWork, username: str, method: str) -> None:
    """Record who verified the person's identity, how and when (before they may sign)."""
    require_permission(uow, "identity.verify")
    user = _person(uow, username)
    if user.username == uow.actor:
        raise RuleViolation("Nobody verifies their own identity; ask another administrator.")
    if not method.strip():
        raise InvalidInput("Say how the identity was checked (e.g. 'passport, HR file 123').")
    uow.session.add(IdentityVerification(user_id=user.id, method=method.strip()))
    uow.flush()


def acknowledge_policy(
    session_factory: sessionmaker[Session],
    creds: Credentials,
    *,
    station: str,
    policy: IdentityPolicy,
) -> None:
    """The person, authenticated with both components, acknowledges that their electronic
    signature is the legally binding equivalent of their handwritten one (11.10(j))."""
    with UnitOfWork(session_factory, security.SYSTEM_ACTOR) as uow:
        person = check_credentials(
            uow, creds, station=station, policy=policy, purpose="policy acknowledgement"
        )
        require_usable_pin(person)
        uow.act_as(person.username)
        uow.session.add(
            PolicyAcknowledgement(
                user_id=person.user_id, policy_version=policy.signature_policy_version
            )
        )
        uow.commit()


def _badge_view(badge: Badge, username: str) -> BadgeView:
    return BadgeView(
        badge.id,
        username,
        badge.issued_at,
        badge.revoked_at,
        badge.revoke_reason,
        badge.replaces_id,
    )
