"""Test database: real PostgreSQL, real migrations, one database per run (per xdist worker).

Server choice: WORKCELL_TEST_DATABASE_URL (a superuser URL, or the word ``embedded``),
else the server on 127.0.0.1:5432 if it answers, else the embedded PostgreSQL 18.
Each run creates its own database, migrates it with `workcell db upgrade`'s code path,
and drops it at the end. Roles are cluster-wide and created once, idempotently.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from domain.db import make_engine, make_session_factory
from domain.services import access, identity_admin, users
from domain.uow import UnitOfWork
from kiosk import dbadmin
from kiosk.database import libpq_url, normalise, start_embedded
from tests import sessions

LOCAL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
EMBEDDED_DIR = Path(os.environ.get("WORKCELL_TEST_EMBEDDED_DIR", "/tmp/wc-test-pg"))
STATION_ROLE = "station_pytest"
TEST_ADMIN = "pytest_admin"

# Real PC/SC stack (pcscd + vpcd virtual cards): fixtures for hardware and kiosk tests.
pytest_plugins = ["tests.pcsc_fixtures"]


@dataclass(frozen=True)
class TestDatabase:
    """URLs of this run's database. ``admin`` is a superuser; ``station`` a station login."""

    __test__ = False

    name: str
    admin: str
    station: str
    embedded: bool

    def dsn(self, which: str = "station") -> str:
        url = self.admin if which == "admin" else self.station
        return libpq_url(url)  # also a high-availability multi-host URL

    def connect(self, which: str = "station", **kwargs: object) -> psycopg.Connection:
        return psycopg.connect(self.dsn(which), **kwargs)  # type: ignore[arg-type]


def _local_server_answers() -> bool:
    try:
        with psycopg.connect(
            make_url(LOCAL_URL).set(drivername="postgresql").render_as_string(), connect_timeout=2
        ):
            return True
    except psycopg.OperationalError:
        return False


def server_url() -> tuple[str, bool]:
    configured = os.environ.get("WORKCELL_TEST_DATABASE_URL", "").strip()
    if configured and configured != "embedded":
        return normalise(configured), False
    if not configured and _local_server_answers():
        return LOCAL_URL, False
    return start_embedded(EMBEDDED_DIR).render_as_string(hide_password=False), True


def create_test_database(prefix: str = "wct", revision: str = "head") -> TestDatabase:
    """A fresh database migrated to ``revision`` (at head: with the test station registered
    and the cheap argon2id policy)."""
    base, embedded = server_url()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    plain = make_url(base).set(drivername="postgresql", database="postgres")
    with psycopg.connect(plain.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    admin = make_url(base).set(database=name)
    admin_s = admin.render_as_string(hide_password=False)
    dbadmin.upgrade(admin_s, revision)
    if revision == "head":
        # the tests' station is an admin terminal serving many sessions at once (xdist, CLI)
        dbadmin.add_station(
            admin_s, STATION_ROLE, methods=("badge+pin", "username+pin"), concurrent=True
        )
        cheap_argon2(admin_s)
    station = admin.set(username=STATION_ROLE, password=None)
    return TestDatabase(name, admin_s, station.render_as_string(hide_password=False), embedded)


def cheap_argon2(admin_url: str) -> None:
    """The test database's policy row: argon2id at its smallest cost (the real code path,
    cheap parameters). Production keeps OWASP's m=19 MiB, t=2."""
    with psycopg.connect(libpq_url(admin_url)) as conn:
        sessions.as_system(conn, reason="test database: cheap argon2id")
        conn.execute(
            "UPDATE workcell.identity_policy SET argon2_memory_kib = 64, argon2_time_cost = 1,"
            " version = version + 1 WHERE id = 1"
        )
        conn.commit()


def drop_test_database(db: TestDatabase) -> None:
    with psycopg.connect(libpq_url(db.admin, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')


def bootstrap_test_admin(
    db: TestDatabase, username: str = TEST_ADMIN, printed_name: str = "Pytest Administrator"
) -> None:
    """The first person, created by the bootstrap function as in a real installation, with a
    PIN of their own (remembered, so ``sessions.session_of`` can sign them in)."""
    admin_engine, engine = make_engine(db.admin), make_engine(db.station)
    try:
        pin = sessions.new_pin()
        with UnitOfWork.system(make_session_factory(admin_engine), "bootstrap") as uow:
            identity_admin.bootstrap_admin(uow, username, printed_name, pin, policy=sessions.POLICY)
            uow.commit()
        sessions.remember_pin(make_session_factory(engine), username, pin)
        # The suite's fixture writer also creates the items and drafts tests need: creating
        # an item needs item.create (engineer) in the database. Administrators still sign
        # nothing (the database refuses signatures from anyone holding the admin role).
        with psycopg.connect(db.dsn("admin")) as conn:
            sessions.as_system(conn, reason="test administrator also writes test records")
            conn.execute(
                "INSERT INTO workcell.user_role (user_id, role)"
                " SELECT id, 'engineer' FROM workcell.users WHERE username = %s",
                (username,),
            )
            conn.commit()
    finally:
        admin_engine.dispose()
        engine.dispose()


def busy_station_policy(admin_url: str) -> None:
    """Raise the per-station look-up and failure limits of a test database's policy row (the
    one test station serves a whole suite). Owner-side, audited like any policy change."""
    with psycopg.connect(libpq_url(admin_url)) as conn:
        sessions.as_system(conn, reason="test database: one station serves the whole suite")
        conn.execute(
            "UPDATE workcell.identity_policy SET station_lookup_limit = 100000,"
            " station_failure_limit = 1000, version = version + 1"
            " WHERE id = 1 AND (station_lookup_limit, station_failure_limit) <> (100000, 1000)"
        )
        conn.commit()


@pytest.fixture(scope="session")
def database() -> Iterator[TestDatabase]:
    """This worker's database. The suite's sign-ins, signatures and deliberate wrong PINs all
    come from one station login, so its per-station limits are raised here, for every test
    whatever runs first (they are tested on stations of their own in tests/security)."""
    db = create_test_database()
    bootstrap_test_admin(db)
    busy_station_policy(db.admin)
    yield db
    drop_test_database(db)


@pytest.fixture(scope="session")
def app_engine(database: TestDatabase) -> Iterator[Engine]:
    engine = make_engine(database.station)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def session_factory(app_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(app_engine)


@pytest.fixture
def make_uow(session_factory: sessionmaker[Session]) -> Callable[..., UnitOfWork]:
    """``with make_uow("alice", reason="...") as uow: ...`` — alice signed in at the test
    station through the real functions (she must have a PIN: see ``new_user``)."""

    def factory(actor: str = TEST_ADMIN, reason: str | None = None) -> UnitOfWork:
        return UnitOfWork(session_factory, sessions.session_of(session_factory, actor), reason)

    return factory


def unique(prefix: str) -> str:
    """A name no other test (or xdist worker) will use."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@pytest.fixture
def new_user(
    make_uow: Callable[..., UnitOfWork], session_factory: sessionmaker[Session]
) -> Callable[..., users.UserView]:
    """Create a person with a unique username (created by the test administrator) and a PIN
    of their own, so tests can act as them."""

    def factory(
        prefix: str = "u",
        printed_name: str | None = None,
        *,
        pin: bool = True,
        roles: tuple[str, ...] = (),
    ) -> users.UserView:
        name = unique(prefix)
        with make_uow(TEST_ADMIN) as uow:
            view = users.add_user(uow, name, printed_name or f"Test {name.title()}")
            for role in roles:
                access.grant_role(uow, name, role)
            uow.commit()
        if pin:
            sessions.own_pin(session_factory, TEST_ADMIN, name)
        return view

    return factory
