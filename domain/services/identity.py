"""Who is at the station: sign-in, PIN changes, and the station's half of every PIN check.

The database proves the person (migration 0007). For each check the station asks the
database for a challenge (the salt and argon2id cost of the person's current PIN, and a
single-use nonce), derives the argon2id output from the PIN typed here and answers with a
SCRAM proof (domain/services/scram.py). The database verifies it, counts every failure on
rollback-proof counters and locks the person at the policy's limit. The station never sees
a verifier; the PIN never leaves the station.

API (stable; the kiosk and the CLI call these):
  Credentials(pin, badge_uid=None, username=None)          frozen; .method derived
  authenticate(session_factory, creds, *, station, policy, allow_pin_change=False) -> Identity
  sign_out(session_factory, session, reason) -> None
  change_pin(session_factory, creds, new_pin, *, station, policy) -> None
  answer(session_factory, creds, purpose) -> Answer       a proof for one database call
  refusals_recorded(session_factory, answer, detail)      context: commit the refusal apart
  server_policy(session_factory) -> ServerPolicy

Refusals (domain.errors): AuthenticationFailed (attempts left in the message), AccountLocked,
AccountDisabled, BadgeRevoked, ChallengeExpired, PinChangeRequired / PinExpired (a PIN set
by an admin, or an expired one, only serves to choose a new PIN). Nothing secret (PIN, badge
id, proof, token) appears in messages, logs or the audit trail.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import (
    AuthenticationFailed,
    ChallengeExpired,
    InvalidInput,
    NotFound,
    PinChangeRequired,
    translate,
)
from domain.models.identity import RolePermission, UserRole
from domain.models.users import User
from domain.services import scram
from domain.services.pin_policy import IdentityPolicy, check_new_pin
from domain.uow import StationSession, UnitOfWork

__all__ = [
    "Answer",
    "Credentials",
    "Identity",
    "IdentityPolicy",
    "ServerPolicy",
    "answer",
    "authenticate",
    "change_pin",
    "refusals_recorded",
    "server_policy",
    "sign_out",
]

log = logging.getLogger(__name__)

_CHALLENGE = text(
    "SELECT challenge_id, auth_message, salt, memory_kib, time_cost, parallelism, history"
    " FROM workcell.auth_challenge(:method, :identifier, :purpose)"
)
_SIGN_IN = text(
    "SELECT token, user_id, username, printed_name, idle_s FROM workcell.sign_in(:c, :proof)"
)
_REFUSAL = text("SELECT workcell.record_refusal(:c, :detail)")
_END = text("SELECT set_config('workcell.session', :token, true), workcell.end_session(:reason)")
_CHANGE_PIN = text(
    "SELECT workcell.change_pin(:c, :proof, :salt, :m, :t, :p, :key, CAST(:history AS text[]))"
)
_POLICY = text(
    "SELECT max_failed_attempts, pin_history, pin_expiry_days, session_idle_s,"
    " argon2_memory_kib, argon2_time_cost, argon2_parallelism, signature_policy_version"
    " FROM workcell.identity_policy WHERE id = 1"
)


@dataclass(frozen=True)
class Credentials:
    """Both components of an electronic signature. Never stored, never logged."""

    pin: str = field(repr=False)
    badge_uid: str | None = field(default=None, repr=False)
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

    @property
    def identifier(self) -> str:
        return ((self.badge_uid if self.method == "badge+pin" else self.username) or "").strip()

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
    session: StationSession | None = None


@dataclass(frozen=True)
class ServerPolicy:
    """The database's identity policy (workcell.identity_policy): it decides, not the station."""

    max_failed_attempts: int
    pin_history: int
    pin_expiry_days: int
    session_idle_s: int
    cost: scram.Cost
    signature_policy_version: str


@dataclass(frozen=True)
class Challenge:
    id: int
    auth_message: str
    salt: str
    cost: scram.Cost
    history: tuple[tuple[str, scram.Cost], ...]


@dataclass(frozen=True)
class Answer:
    """The station's answer to one challenge: usable once, for the purpose it was asked for."""

    challenge_id: int
    proof: str = field(repr=False)
    method: str = "badge+pin"


def server_policy(session_factory: sessionmaker[Session]) -> ServerPolicy:
    with session_factory() as session:
        r = session.execute(_POLICY).one()
    return ServerPolicy(
        r.max_failed_attempts,
        r.pin_history,
        r.pin_expiry_days,
        r.session_idle_s,
        scram.Cost(r.argon2_memory_kib, r.argon2_time_cost, r.argon2_parallelism),
        r.signature_policy_version,
    )


MAX_IDENTIFIER = 128  # workcell.challenge refuses a longer badge UID or username


def _challenge(
    session_factory: sessionmaker[Session], creds: Credentials, purpose: str
) -> Challenge:
    if not creds.pin:
        raise InvalidInput("Enter your PIN.")  # both components, always
    if len(creds.identifier or "") > MAX_IDENTIFIER:  # the database refuses it by this limit
        what = "badge" if creds.badge_uid else "username"
        raise InvalidInput(f"That {what} is not one WorkCell reads (far too long): try again.")
    params = {"method": creds.method, "identifier": creds.identifier, "purpose": purpose}
    with session_factory() as session:
        try:
            r = session.execute(_CHALLENGE, params).one()
            session.commit()  # a challenge is answered only once it is committed
        except Exception as exc:
            raise (translate(exc) or exc) from exc
    history = tuple(
        (h["salt"], scram.Cost(h["memory_kib"], h["time_cost"], h["parallelism"]))
        for h in (r.history or [])
    )
    cost = scram.Cost(r.memory_kib, r.time_cost, r.parallelism)
    return Challenge(r.challenge_id, r.auth_message, r.salt, cost, history)


def answer(session_factory: sessionmaker[Session], creds: Credentials, purpose: str) -> Answer:
    """Ask the database for a challenge and answer it with ``creds`` (argon2id runs here)."""
    challenge = _challenge(session_factory, creds, purpose)
    return _answer(challenge, creds)


def _answer(challenge: Challenge, creds: Credentials) -> Answer:
    salted = scram.salted_password(creds.pin, bytes.fromhex(challenge.salt), challenge.cost)
    return Answer(challenge.id, scram.client_proof(salted, challenge.auth_message), creds.method)


@contextmanager
def refusals_recorded(
    session_factory: sessionmaker[Session], ans: Answer, detail: str
) -> Iterator[None]:
    """A refused PIN check rolls its transaction back; commit the refusal (access log, security
    event, lockout) in a transaction of its own. The counters moved whatever happens."""
    try:
        yield
    except AuthenticationFailed as exc:
        if not isinstance(exc, (PinChangeRequired, ChallengeExpired)):
            record_refusal(session_factory, ans.challenge_id, detail)
        raise


def record_refusal(session_factory: sessionmaker[Session], challenge_id: int, detail: str) -> None:
    with UnitOfWork(session_factory, None) as uow:
        uow.session.execute(_REFUSAL, {"c": challenge_id, "detail": detail})
        uow.commit()
    log.warning("refused PIN check (challenge %s): %s", challenge_id, detail)


def authenticate(
    session_factory: sessionmaker[Session],
    creds: Credentials,
    *,
    station: str,
    policy: IdentityPolicy,
    allow_pin_change: bool = False,
) -> Identity:
    """Sign-in / unlock: opens a database session for this station. With ``allow_pin_change``
    a temporary or expired PIN returns an Identity with ``must_change_pin=True`` and no
    session (the caller must then force a PIN change); otherwise it raises."""
    ans = answer(session_factory, creds, "sign_in")
    try:
        with (
            refusals_recorded(session_factory, ans, f"sign-in at {station}"),
            UnitOfWork(session_factory, None, "sign-in") as uow,
        ):
            r = uow.session.execute(_SIGN_IN, {"c": ans.challenge_id, "proof": ans.proof}).one()
            roles, permissions = _access_of(uow.session, r.user_id)
            uow.commit()
    except PinChangeRequired:
        if not allow_pin_change:
            raise
        return Identity(0, creds.username or "", "", frozenset(), frozenset(), True, ans.method)
    session = StationSession(
        r.token, r.user_id, r.username, r.printed_name, roles, permissions, ans.method, r.idle_s
    )
    return Identity(
        r.user_id, r.username, r.printed_name, roles, permissions, False, ans.method, session
    )


def _access_of(session: Session, user_id: int) -> tuple[frozenset[str], frozenset[str]]:
    roles = frozenset(session.scalars(select(UserRole.role).where(UserRole.user_id == user_id)))
    permissions = frozenset(
        session.scalars(
            select(RolePermission.permission)
            .join(UserRole, UserRole.role == RolePermission.role)
            .where(UserRole.user_id == user_id)
        )
    )
    return roles, permissions


def sign_out(session_factory: sessionmaker[Session], session: StationSession, reason: str) -> None:
    """End a database session (sign-out, lock, idle lock). Idempotent."""
    with UnitOfWork(session_factory, None) as uow:
        uow.session.execute(_END, {"token": session.token, "reason": reason})
        uow.commit()


def change_pin(
    session_factory: sessionmaker[Session],
    creds: Credentials,
    new_pin: str,
    *,
    station: str,
    policy: IdentityPolicy,
) -> None:
    """A person replaces their own PIN (also the way out of a temporary or expired PIN).

    The database never sees a PIN, so its complexity is checked here; the database enforces
    the cost, the history (the station shows it the new PIN's keys under the last PINs'
    salts) and who may change it."""
    check_new_pin(policy, new_pin)
    cost = server_policy(session_factory).cost
    challenge = _challenge(session_factory, creds, "pin_change")
    ans = _answer(challenge, creds)
    verifier = scram.new_verifier(new_pin, cost)
    history = [scram.stored_key_under(new_pin, salt, c) for salt, c in challenge.history]
    params = {"c": ans.challenge_id, "proof": ans.proof, "history": history}
    params.update(verifier.params())
    with (
        refusals_recorded(session_factory, ans, f"PIN change at {station}"),
        UnitOfWork(session_factory, None) as uow,
    ):
        uow.session.execute(_CHANGE_PIN, params)
        uow.commit()


def new_verifier_for(session_factory: sessionmaker[Session], pin: str) -> scram.Verifier:
    """A verifier for a PIN set by an administrator (with the server policy's cost)."""
    return scram.new_verifier(pin, server_policy(session_factory).cost)


def user_id_of(uow: UnitOfWork, username: str) -> int:
    user_id = uow.session.scalar(select(User.id).where(User.username == username.strip().lower()))
    if user_id is None:
        raise NotFound(f"No user named {username!r}.")
    return int(user_id)


__all__ += ["ChallengeExpired", "new_verifier_for", "record_refusal", "user_id_of"]
