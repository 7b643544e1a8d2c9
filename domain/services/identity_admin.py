"""Administering credentials: PIN resets, badges, lock/unlock, identity verification,
policy acknowledgement. Each action is a SECURITY DEFINER function in the database that
checks the session holder's permission and the segregation rules (no self-service, the last
administrator stays); stations have no direct write on any identity table.

API (stable; the CLI and the admin screens call these; the caller commits):
  bootstrap_admin(uow, username, printed_name, pin, *, policy)     owner-side, once
  set_pin(uow, username, pin, *, policy, reason)                     always temporary
  add_badge(uow, username, badge_uid, *, replaces_badge_id=None) -> BadgeView
  check_card_unissued(uow, badge_uid) -> None                       before the re-authentication
  revoke_badge(uow, badge_id, reason) -> BadgeView
  list_badges(uow, username) -> list[BadgeView]                     (no card ids: never stored)
  badge_view(uow, badge_id) -> BadgeView
  lock_user(uow, username, reason) / unlock_user(uow, username, reason, admin_creds) -> UserView
  verify_identity(uow, username, method) -> None                    11.100(b)
  acknowledge_policy(session_factory, creds, *, station, policy) -> None   11.10(j)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import InvalidInput, NotFound, translate
from domain.models.identity import Badge
from domain.models.users import User
from domain.services.identity import (
    Credentials,
    answer,
    new_verifier_for,
    refusals_recorded,
)
from domain.services.pin_policy import IdentityPolicy, check_new_pin
from domain.services.users import UserView, get_user
from domain.uow import UnitOfWork


@dataclass(frozen=True)
class BadgeView:
    id: int
    username: str
    issued_at: dt.datetime
    revoked_at: dt.datetime | None
    revoke_reason: str | None
    replaces_id: int | None


def call(uow: UnitOfWork, sql: str, **params: Any) -> Any:
    """One administrative database function; its refusal becomes a WorkCellError."""
    try:
        return uow.session.execute(text(sql), params).scalar()
    except Exception as exc:
        raise (translate(exc) or exc) from exc


def bootstrap_admin(
    uow: UnitOfWork, username: str, printed_name: str, pin: str, *, policy: IdentityPolicy
) -> int:
    """The very first administrator with their own PIN (owner connection; refused once a
    person exists)."""
    check_new_pin(policy, pin)
    verifier = new_verifier_for(uow.session_factory, pin)
    sql = "SELECT workcell.bootstrap_admin(:u, :n, :salt, :m, :t, :p, :key)"
    return int(call(uow, sql, u=username, n=printed_name, **verifier.params()))


def set_pin(
    uow: UnitOfWork,
    username: str,
    pin: str,
    *,
    policy: IdentityPolicy,
    reason: str = "PIN reset by an administrator",
) -> None:
    """An administrator sets a PIN: always temporary, it only serves to choose a new one."""
    check_new_pin(policy, pin)
    verifier = new_verifier_for(uow.session_factory, pin)
    sql = "SELECT workcell.admin_set_pin(:u, :salt, :m, :t, :p, :key, :reason)"
    call(uow, sql, u=username, reason=reason, **verifier.params())


def add_badge(
    uow: UnitOfWork, username: str, badge_uid: str, *, replaces_badge_id: int | None = None
) -> BadgeView:
    """Issue a badge. A card id ever issued (revoked included) is never issued again."""
    if not badge_uid.strip():
        raise InvalidInput("No badge was read. Tap the badge again.")
    badge_id = call(
        uow,
        "SELECT workcell.issue_badge(:u, :uid, :replaces)",
        u=username,
        uid=badge_uid.strip(),
        replaces=replaces_badge_id,
    )
    return badge_view(uow, int(badge_id))


CARD_ISSUED = (
    "This card was already issued (perhaps to someone else, perhaps revoked); card ids are "
    "never reassigned. Use a new card."
)


def check_card_unissued(uow: UnitOfWork, badge_uid: str) -> None:
    """Refuse a card that was ever issued, before anyone re-authenticates. The database
    answers yes/no only, to a session holding user.administer (workcell.card_issued)."""
    if not badge_uid.strip():
        raise InvalidInput("No badge was read. Tap the badge again.")
    if call(uow, "SELECT workcell.card_issued(:uid)", uid=badge_uid.strip()):
        raise InvalidInput(CARD_ISSUED)


def revoke_badge(uow: UnitOfWork, badge_id: int, reason: str) -> BadgeView:
    """Deauthorise a lost or compromised badge at once (11.300(c))."""
    if not reason.strip():
        raise InvalidInput("Give a reason (e.g. 'reported lost').")
    call(uow, "SELECT workcell.revoke_badge(:b, :reason)", b=badge_id, reason=reason.strip())
    return badge_view(uow, badge_id)


def list_badges(uow: UnitOfWork, username: str) -> list[BadgeView]:
    user = _person(uow, username)
    rows = uow.session.execute(_BADGES.where(Badge.user_id == user.id).order_by(Badge.id))
    return [BadgeView(r.id, user.username, *r[1:]) for r in rows]


def lock_user(uow: UnitOfWork, username: str, reason: str) -> UserView:
    """Lock an account at once (all badges, every open session)."""
    if not reason.strip():
        raise InvalidInput("Give a reason for the change.")
    call(uow, "SELECT workcell.lock_user(:u, :reason)", u=username, reason=reason.strip())
    return get_user(uow, username)


def unlock_user(
    uow: UnitOfWork, username: str, reason: str, admin_creds: Credentials, *, station: str
) -> UserView:
    """Unlock after a lockout, with the administrator's fresh badge/username + PIN; the
    person's failure count starts again."""
    if not reason.strip():
        raise InvalidInput("Give a reason for the change.")
    ans = answer(uow.session_factory, admin_creds, "sign")
    with refusals_recorded(uow.session_factory, ans, f"unlock of {username} at {station}"):
        call(
            uow,
            "SELECT workcell.unlock_user(:u, :reason, :c, :proof)",
            u=username,
            reason=reason.strip(),
            c=ans.challenge_id,
            proof=ans.proof,
        )
    return get_user(uow, username)


def verify_identity(uow: UnitOfWork, username: str, method: str) -> None:
    """Record who verified the person's identity, how and when (before they may sign)."""
    if not method.strip():
        raise InvalidInput("Say how the identity was checked (e.g. 'passport, HR file 123').")
    call(uow, "SELECT workcell.verify_identity(:u, :m)", u=username, m=method.strip())


def acknowledge_policy(
    session_factory: sessionmaker[Session],
    creds: Credentials,
    *,
    station: str,
    policy: IdentityPolicy,
) -> None:
    """The person, authenticated with both components, acknowledges that their electronic
    signature is the legally binding equivalent of their handwritten one (11.10(j))."""
    ans = answer(session_factory, creds, "sign")
    with (
        refusals_recorded(session_factory, ans, f"policy acknowledgement at {station}"),
        UnitOfWork(session_factory, None) as uow,
    ):
        call(uow, "SELECT workcell.acknowledge_policy(:c, :proof)", c=ans.challenge_id,
             proof=ans.proof)  # fmt: skip
        uow.commit()


_BADGES = select(
    Badge.id, Badge.issued_at, Badge.revoked_at, Badge.revoke_reason, Badge.replaces_id
)


def _person(uow: UnitOfWork, username: str) -> User:
    user = uow.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    if user.kind != "person":
        raise InvalidInput("System actors have no credentials.")
    return user


def badge_view(uow: UnitOfWork, badge_id: int) -> BadgeView:
    row = uow.session.execute(
        _BADGES.add_columns(User.username)
        .join(User, User.id == Badge.user_id)
        .where(Badge.id == badge_id)
    ).one()
    return BadgeView(row.id, row.username, row.issued_at, row.revoked_at, row.revoke_reason,
                     row.replaces_id)  # fmt: skip
