"""Who is at the station: badge/username + PIN checks, lockout, PIN changes.

API (stable; the kiosk calls these):
  Credentials(pin, badge_uid=None, username=None)          frozen; .method derived
  IdentityPolicy(...)                                      re-exported from pin_policy
  authenticate(session_factory, creds, *, station, policy, allow_pin_change=False) -> Identity
  identify_badge(uow, badge_uid) -> BadgeOwner(username, printed_name)
  change_pin(session_factory, username_or_badge, old_pin, new_pin, *, station, policy) -> None
  check_credentials(uow, creds, *, station, policy, purpose) -> CheckedPerson   (signatures)

Refusals (domain.errors): AuthenticationFailed (attempts left in the message), AccountLocked,
AccountDisabled, BadgeRevoked, PinChangeRequired / PinExpired (a PIN set by an admin, or an
expired one, only serves to choose a new PIN). Every failed PIN is counted in its own
committed transaction; at policy.max_failed_attempts the *user* is locked (all badges).
Nothing secret (PIN, badge id, hashes) appears in messages, logs or the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, literal, select, text
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import (
    AccountDisabled,
    AccountLocked,
    AuthenticationFailed,
    BadgeRevoked,
    InvalidInput,
    NotFound,
    PinChangeRequired,
    PinExpired,
)
from domain.models.identity import AuthState, Badge, UserPin
from domain.models.users import User
from domain.services import security
from domain.services.access import permissions_of, roles_of
from domain.services.pin_policy import (
    IdentityPolicy,
    burn_time,
    check_new_pin,
    hash_pin,
    pin_matches,
    reuses_recent,
)
from domain.uow import UnitOfWork

__all__ = [
    "BadgeOwner",
    "CheckedPerson",
    "Credentials",
    "Identity",
    "IdentityPolicy",
    "authenticate",
    "badge_digest",
    "change_pin",
    "check_credentials",
    "identify_badge",
]

_DIGEST = text("SELECT workcell.badge_digest(:uid)")
_RESET = text("SELECT workcell.reset_auth_failures(:user_id)")


@dataclass(frozen=True)
class Credentials:
    """Both components of an electronic signature. Never stored, never logged."""

    pin: str
    badge_uid: str | None = None
    username: str | None = None

    @property
    def method(self) -> str:
        if self.badge_uid and self.username:
            raise InvalidInput("Give a badge or a username, not both.")
        if self.badge_uid and self.badge_uid.strip():
            return "badge+pin"
        if self.username and self.username.strip():
            return "username+pin"
        raise InvalidInput("Tap your badge (or enter your username) first.")

    def __repr__(self) -> str:  # neither the PIN nor the card id may reach a log line
        return f"Credentials(username={self.username!r}, badge=***, pin=***)"

    __str__ = __repr__


@dataclass(frozen=True)
class Identity:
    user_id: int
    username: str
    printed_name: str
    roles: frozenset[str]
    permissions: frozenset[str]
    must_change_pin: bool = False
    method: str = "badge+pin"


@dataclass(frozen=True)
class BadgeOwner:
    username: str
    printed_name: str


@dataclass(frozen=True)
class CheckedPerson:
    """A person whose both components were just verified (not yet judged for purpose)."""

    user_id: int
    username: str
    printed_name: str
    method: str
    pin_temporary: bool
    pin_expired: bool


def badge_digest(session: Session, badge_uid: str) -> str:
    """The peppered hash of a card id, computed by the database (the pepper never leaves it)."""
    uid = badge_uid.strip()
    if not uid:
        raise InvalidInput("No badge was read. Tap the badge again.")
    return str(session.scalar(_DIGEST, {"uid": uid}))


def identify_badge(uow: UnitOfWork, badge_uid: str) -> BadgeOwner:
    """Whose badge was tapped (shown before the PIN). Unknown or revoked badges are refused
    and recorded as security events (without the card id)."""
    if not badge_uid.strip():
        raise InvalidInput("No badge was read. Tap the badge again.")
    user, badge = _resolve(uow.session, Credentials(pin="", badge_uid=badge_uid))
    if user is None or badge is None:
        security.record_event_apart(
            uow.session_factory, "unknown_badge", None, "badge+pin", "badge tap"
        )
        raise AuthenticationFailed("Badge not recognised. Ask an administrator to register it.")
    if badge.revoked_at is not None:
        security.record_event_apart(
            uow.session_factory, "revoked_badge_attempt", user.id, "badge+pin", "badge tap"
        )
        raise BadgeRevoked("This badge was revoked. Use your replacement badge or see an admin.")
    return BadgeOwner(user.username, user.printed_name)


def _resolve(session: Session, creds: Credentials) -> tuple[User | None, Badge | None]:
    if creds.method == "badge+pin":
        uid = (creds.badge_uid or "").strip()
        # one round trip: the database hashes the card id and looks it up
        row = session.execute(
            select(Badge, User)
            .join(User, User.id == Badge.user_id)
            .where(Badge.badge_hash == func.workcell.badge_digest(uid))
        ).first()
        return (row[1], row[0]) if row else (None, None)
    name = (creds.username or "").strip().lower()
    return session.scalar(select(User).where(User.username == name)), None


def _refuse_state(
    uow: UnitOfWork, user: User, badge: Badge | None, method: str, purpose: str
) -> None:
    factory = uow.session_factory
    if badge is not None and badge.revoked_at is not None:
        security.record_event_apart(factory, "revoked_badge_attempt", user.id, method, purpose)
        raise BadgeRevoked(
            "This badge was revoked. Use your replacement badge, or see an administrator."
        )
    if user.kind != "person":
        raise AuthenticationFailed("System accounts cannot sign in or sign.")
    if user.status == "disabled":
        security.record_event_apart(factory, "disabled_account_attempt", user.id, method, purpose)
        raise AccountDisabled(f"{user.printed_name}'s account is disabled. See an administrator.")
    if user.status == "locked":
        security.record_event_apart(factory, "locked_account_attempt", user.id, method, purpose)
        raise AccountLocked(
            f"{user.printed_name}'s account is locked. An administrator must unlock it."
        )


def check_credentials(
    uow: UnitOfWork, creds: Credentials, *, station: str, policy: IdentityPolicy, purpose: str
) -> CheckedPerson:
    """Verify both components against the database; count and record every failure.

    Does not judge a temporary or expired PIN: callers decide what it may be used for.
    """
    method = creds.method
    if not creds.pin:
        raise InvalidInput("Enter your PIN.")  # both components, always; not a failed attempt
    detail = f"{purpose} at {station}"
    if method == "username+pin" and not policy.allow_username_pin:
        raise AuthenticationFailed("This station accepts badge + PIN only. Tap your badge.")
    user, badge = _resolve(uow.session, creds)
    if user is None:
        burn_time(policy, creds.pin)
        kind = "unknown_badge" if method == "badge+pin" else "unknown_username"
        security.record_event_apart(uow.session_factory, kind, None, method, detail)
        what = "Badge" if method == "badge+pin" else "Username or PIN"
        raise AuthenticationFailed(f"{what} not recognised. Try again or ask a supervisor.")
    _refuse_state(uow, user, badge, method, detail)
    row = uow.session.execute(
        select(UserPin, _expired(policy), AuthState.failed_attempts)
        .outerjoin(AuthState, AuthState.user_id == UserPin.user_id)
        .where(UserPin.user_id == user.id)
        .order_by(UserPin.id.desc())
        .limit(1)
    ).first()
    if row is None:
        burn_time(policy, creds.pin)
        raise AuthenticationFailed(
            f"{user.printed_name} has no PIN yet. An administrator must set one."
        )
    pin, expired, failed = row
    if not pin_matches(pin.pin_hash, creds.pin):
        _wrong_pin(uow, user, method, policy, detail)
    if failed:  # consecutive failures end with a success
        uow.session.execute(_RESET, {"user_id": user.id})
    return CheckedPerson(
        user.id, user.username, user.printed_name, method, pin.temporary, bool(expired)
    )


def _expired(policy: IdentityPolicy) -> ColumnElement[bool]:
    """Server-time expiry (the station clock is never trusted); 0 days = never expires."""
    if policy.pin_expiry_days <= 0:
        return literal(False)
    cutoff = func.now() - func.make_interval(0, 0, 0, policy.pin_expiry_days)
    return UserPin.set_at < cutoff


def _wrong_pin(
    uow: UnitOfWork, user: User, method: str, policy: IdentityPolicy, detail: str
) -> None:
    left = security.record_failure(
        uow.session_factory, user.id, method, policy.max_failed_attempts, detail
    )
    if left <= 0:
        raise AccountLocked(
            f"Wrong PIN. {user.printed_name}'s account is now locked after "
            f"{policy.max_failed_attempts} failed attempts; an administrator must unlock it."
        )
    plural = "attempt" if left == 1 else "attempts"
    raise AuthenticationFailed(f"Wrong PIN. {left} {plural} left before the account locks.")


def require_usable_pin(person: CheckedPerson) -> None:
    """A temporary (admin-set) or expired PIN only serves to choose a new PIN."""
    if person.pin_temporary:
        raise PinChangeRequired(
            f"{person.printed_name}, your PIN was set by an administrator. "
            "Choose your own PIN before you sign in or sign.",
            username=person.username,
        )
    if person.pin_expired:
        raise PinExpired(
            f"{person.printed_name}, your PIN has expired. Choose a new PIN.",
            username=person.username,
        )


def authenticate(
    session_factory: sessionmaker[Session],
    creds: Credentials,
    *,
    station: str,
    policy: IdentityPolicy,
    allow_pin_change: bool = False,
) -> Identity:
    """Sign-in / unlock. With ``allow_pin_change`` a temporary or expired PIN returns an
    Identity with ``must_change_pin=True`` (the caller must then force a PIN change);
    otherwise it raises PinChangeRequired / PinExpired."""
    with UnitOfWork(session_factory, security.SYSTEM_ACTOR) as uow:
        person = check_credentials(uow, creds, station=station, policy=policy, purpose="sign-in")
        must_change = person.pin_temporary or person.pin_expired
        if must_change and not allow_pin_change:
            require_usable_pin(person)
        identity = Identity(
            person.user_id,
            person.username,
            person.printed_name,
            roles_of(uow, person.username),
            permissions_of(uow, person.username),
            must_change,
            person.method,
        )
        uow.commit()
    return identity


def change_pin(
    session_factory: sessionmaker[Session],
    username_or_badge: str,
    old_pin: str,
    new_pin: str,
    *,
    station: str,
    policy: IdentityPolicy,
) -> None:
    """A person replaces their own PIN (also the way out of a temporary or expired PIN)."""
    check_new_pin(policy, new_pin)
    with UnitOfWork(session_factory, security.SYSTEM_ACTOR) as uow:
        creds = _credentials_for(uow, username_or_badge, old_pin)
        person = check_credentials(uow, creds, station=station, policy=policy, purpose="PIN change")
        uow.commit()  # keep the cleared failure counter even if the new PIN is refused
    with UnitOfWork(session_factory, person.username, "PIN changed by its owner") as uow:
        recent = list(
            uow.session.scalars(
                select(UserPin.pin_hash)
                .where(UserPin.user_id == person.user_id)
                .order_by(UserPin.id.desc())
                .limit(policy.pin_history)
            )
        )
        if reuses_recent(new_pin, recent):
            raise InvalidInput(
                f"That PIN was one of your last {policy.pin_history}. Choose a different PIN."
            )
        uow.session.add(
            UserPin(user_id=person.user_id, pin_hash=hash_pin(policy, new_pin), temporary=False)
        )
        uow.commit()


def _credentials_for(uow: UnitOfWork, username_or_badge: str, pin: str) -> Credentials:
    value = username_or_badge.strip()
    if not value:
        raise InvalidInput("Tap your badge (or enter your username) first.")
    digest = badge_digest(uow.session, value)
    if uow.session.scalar(select(Badge.id).where(Badge.badge_hash == digest)) is not None:
        return Credentials(pin=pin, badge_uid=value)
    return Credentials(pin=pin, username=value)


def user_id_of(uow: UnitOfWork, username: str) -> int:
    user_id = uow.session.scalar(select(User.id).where(User.username == username.strip().lower()))
    if user_id is None:
        raise NotFound(f"No user named {username!r}.")
    return int(user_id)
