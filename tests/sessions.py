"""Signing people in for tests, through the real database functions (no test-only bypass).

Every person a test creates gets a PIN of their own (an administrator sets a temporary one,
the person replaces it, as in a plant); ``session_of(factory, username)`` signs them in at
the test station once and reuses the session. The test database's policy row lowers the
argon2id cost (tests.conftest), so this is cheap.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from domain.services import identity, identity_admin
from domain.services.identity import Credentials
from domain.services.pin_policy import IdentityPolicy, is_trivial
from domain.uow import StationSession, UnitOfWork

POLICY = IdentityPolicy(allow_username_pin=True)
STATION = "pytest-station"

_PINS: dict[tuple[str, str], str] = {}
_SESSIONS: dict[tuple[str, str], StationSession] = {}


def _key(factory: sessionmaker[Session], username: str) -> tuple[str, str]:
    bind: Any = factory.kw["bind"]
    return bind.url.database or "", username.strip().lower()


def new_pin(digits: int = 6) -> str:
    while True:
        pin = "".join(secrets.choice("0123456789") for _ in range(digits))
        if not is_trivial(pin):
            return pin


def remember_pin(factory: sessionmaker[Session], username: str, pin: str) -> None:
    _PINS[_key(factory, username)] = pin
    _SESSIONS.pop(_key(factory, username), None)


def pin_of(factory: sessionmaker[Session], username: str) -> str:
    return _PINS[_key(factory, username)]


def forget_session(factory: sessionmaker[Session], username: str) -> None:
    _SESSIONS.pop(_key(factory, username), None)


def session_of(factory: sessionmaker[Session], username: str) -> StationSession:
    """``username`` signed in at the test station with username + PIN (cached)."""
    key = _key(factory, username)
    cached = _SESSIONS.get(key)
    if cached is not None and _still_valid(factory, cached):
        return cached
    who = identity.authenticate(
        factory, Credentials(pin=_PINS[key], username=key[1]), station=STATION, policy=POLICY
    )
    assert who.session is not None, f"{username} must change their PIN first"
    _SESSIONS[key] = who.session
    return who.session


def _still_valid(factory: sessionmaker[Session], session: StationSession) -> bool:
    try:
        with UnitOfWork(factory, session):
            return True
    except Exception:
        return False


def own_pin(factory: sessionmaker[Session], admin: str, username: str) -> str:
    """An administrator sets a temporary PIN; the person replaces it with their own."""
    temporary, own = new_pin(), new_pin()
    with UnitOfWork(factory, session_of(factory, admin), "PIN for a test person") as uow:
        identity_admin.set_pin(uow, username, temporary, policy=POLICY)
        uow.commit()
    identity.change_pin(
        factory, Credentials(pin=temporary, username=username), own, station=STATION, policy=POLICY
    )
    remember_pin(factory, username, own)
    return own


def token_of(factory: sessionmaker[Session], username: str) -> str:
    """For raw psycopg tests: ``SELECT set_config('workcell.session', token, true)``."""
    return session_of(factory, username).token


def as_system(conn: Any, actor: str = "system", reason: str = "test set-up") -> None:
    """Owner-side system work on a superuser connection (migrations, seeding, set-up)."""
    conn.execute(
        "SELECT set_config('role', 'workcell_owner', true),"
        " set_config('workcell.system_actor', %s, true), set_config('workcell.reason', %s, true)",
        (actor, reason),
    )
