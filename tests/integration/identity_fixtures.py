"""Helpers for integration tests that act as people or attack the identity layer: a unit of
work as a signed-in person, a raw connection holding a person's session, owner-side
set-up (backdating a PIN), and station logins other than the shared test station."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from domain.db import make_engine, make_session_factory
from domain.uow import UnitOfWork
from kiosk import dbadmin
from tests.conftest import TestDatabase, busy_station_policy
from tests.sessions import as_system, session_of, token_of

# A floor kiosk (badge + PIN only, one person at a time): a second registered station login.
KIOSK = "station_pytest_kiosk"

__all__ = [
    "KIOSK",
    "as_person",
    "backdate_pin",
    "busy_station_policy",
    "dsn_of",
    "extra_station",
    "holding_session",
    "station_factory",
    "token_at",
]


def as_person(
    session_factory: sessionmaker[Session], username: str, reason: str | None = None
) -> UnitOfWork:
    """A unit of work in ``username``'s session at the test station (signed in for real)."""
    return UnitOfWork(session_factory, session_of(session_factory, username), reason)


def holding_session(
    conn: psycopg.Connection, session_factory: sessionmaker[Session], username: str
) -> None:
    """Name ``username``'s session token in the connection's current transaction."""
    conn.execute(
        "SELECT set_config('workcell.session', %s, true)", (token_of(session_factory, username),)
    )


def token_at(database: TestDatabase, username: str) -> str:
    """``username``'s session token at the test station of ``database`` (signed in once,
    reused), its idle time started afresh (a committed touch) so it stays valid a while."""
    engine = make_engine(database.station)
    try:
        factory = make_session_factory(engine)
        session = session_of(factory, username)
        with UnitOfWork(factory, session) as uow:
            uow.commit()
        return session.token
    finally:
        engine.dispose()


def backdate_pin(database: TestDatabase, username: str, days: int) -> None:
    """Owner-side: a copy of the person's current PIN (same verifier) set ``days`` ago, as if
    it had not been changed since. The station role cannot write user_pin at all."""
    with database.connect("admin") as conn:
        as_system(conn, reason=f"test: PIN backdated {days} days")
        row = conn.execute(
            "SELECT up.id, up.user_id FROM workcell.user_pin up"
            " JOIN workcell.users u ON u.id = up.user_id WHERE u.username = %s"
            " ORDER BY up.id DESC LIMIT 1",
            (username,),
        ).fetchone()
        assert row is not None, f"{username} has no PIN"
        current, user_id = row
        new = conn.execute(
            "INSERT INTO workcell.user_pin (user_id, temporary, set_at)"
            " VALUES (%s, false, now() - make_interval(days => %s)) RETURNING id",
            (user_id, days),
        ).fetchone()
        assert new is not None
        conn.execute(
            "INSERT INTO auth.pin_verifier (pin_id, salt, memory_kib, time_cost, parallelism,"
            " stored_key) SELECT %s, salt, memory_kib, time_cost, parallelism, stored_key"
            " FROM auth.pin_verifier WHERE pin_id = %s",
            (new[0], current),
        )
        conn.commit()


def extra_station(
    database: TestDatabase,
    role: str,
    *,
    methods: Sequence[str] = ("badge+pin",),
    concurrent: bool = False,
) -> str:
    """Register another station login (a cluster-wide role, created once) in this database
    and return its URL. Idempotent."""
    dbadmin.add_station(database.admin, role, methods=tuple(methods), concurrent=concurrent)
    return make_url(database.station).set(username=role).render_as_string(hide_password=False)


def dsn_of(url: str) -> str:
    """A SQLAlchemy URL as a libpq DSN (for a raw psycopg connection)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def station_factory(url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on another station login, disposed afterwards."""
    engine = make_engine(url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()
