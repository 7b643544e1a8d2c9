"""Test helpers for people with credentials (roles, PIN, badge), usable by any test area.

``enrol(session_factory, admin, roles=("qa",))`` makes a person who can sign: identity
verified, policy acknowledged, a PIN of their own and a badge. ``admin_for(database)``
is an administrator created once per test database (by the 'system' actor through a
superuser connection, since the bootstrap actor is closed by then).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from domain.db import make_engine, make_session_factory
from domain.services import access, identity_admin, users
from domain.services.identity import Credentials, new_verifier_for
from domain.services.pin_policy import IdentityPolicy
from domain.uow import UnitOfWork
from tests.conftest import TEST_ADMIN, TestDatabase, unique
from tests.sessions import POLICY, STATION, as_system, new_pin, own_pin, session_of, token_of

BADGE_ONLY = IdentityPolicy(allow_username_pin=False)
__all__ = [
    "BADGE_ONLY",
    "POLICY",
    "STATION",
    "Person",
    "admin_for",
    "dormant_person",
    "enrol",
    "new_pin",
]

_ADMINS: dict[str, str] = {}


@dataclass(frozen=True)
class Person:
    username: str
    printed_name: str
    pin: str
    badge_uid: str | None

    def creds(self, pin: str | None = None) -> Credentials:
        """Badge + PIN (the floor's way)."""
        return Credentials(pin=pin or self.pin, badge_uid=self.badge_uid)

    def by_name(self, pin: str | None = None) -> Credentials:
        """Username + PIN (admin terminals)."""
        return Credentials(pin=pin or self.pin, username=self.username)


def new_badge_uid() -> str:
    return secrets.token_hex(7).upper()


def admin_for(database: TestDatabase) -> str:
    """An active administrator (role admin, own PIN) for this database; created once, by the
    test administrator."""
    if database.name in _ADMINS:
        return _ADMINS[database.name]
    name = unique("adm")
    engine = make_engine(database.station)
    try:
        factory = make_session_factory(engine)
        with UnitOfWork(factory, session_of(factory, TEST_ADMIN)) as uow:
            users.add_user(uow, name, f"Admin {name}")
            access.grant_role(uow, name, "admin")
            uow.commit()
        own_pin(factory, TEST_ADMIN, name)
    finally:
        engine.dispose()
    _ADMINS[database.name] = name
    return name


def enrol(
    session_factory: sessionmaker[Session],
    admin: str,
    *,
    roles: Sequence[str] = (),
    prefix: str = "p",
    badge: bool = True,
    verified: bool = True,
    acknowledged: bool = True,
    temporary: bool = False,
    policy: IdentityPolicy = POLICY,
) -> Person:
    """A person with roles, a PIN (their own unless ``temporary``) and a badge."""
    name = unique(prefix)
    pin = new_pin()
    uid = new_badge_uid() if badge else None
    with UnitOfWork(session_factory, session_of(session_factory, admin)) as uow:
        view = users.add_user(uow, name, f"Test {name.title()}")
        for role in roles:
            access.grant_role(uow, name, role)
        identity_admin.set_pin(uow, name, pin, policy=policy)
        if uid:
            identity_admin.add_badge(uow, name, uid)
        if verified:
            identity_admin.verify_identity(uow, name, "photo ID checked (pytest)")
        uow.commit()
    if not temporary:
        pin = own_pin(session_factory, admin, name)
    person = Person(name, view.printed_name, pin, uid)
    if acknowledged and not temporary:
        identity_admin.acknowledge_policy(
            session_factory, person.by_name(), station=STATION, policy=policy
        )
    return person


def dormant_person(
    database: TestDatabase, session_factory: sessionmaker[Session], days: int = 400
) -> Person:
    """An operator created ``days`` ago (owner-side, as a migration from an older system
    would) with their own PIN and a badge, who has not proved themselves since."""
    name, pin, uid = unique("dorm"), new_pin(), new_badge_uid()
    verifier = new_verifier_for(session_factory, pin).params()
    with database.connect("admin") as conn:
        as_system(conn, reason="test: an account unused for a long time")
        row = conn.execute(
            "INSERT INTO workcell.users (username, printed_name, created_at)"
            " VALUES (%s, %s, now() - make_interval(days => %s)) RETURNING id",
            (name, f"Test {name.title()}", days),
        ).fetchone()
        assert row is not None
        conn.execute(
            "INSERT INTO workcell.user_role (user_id, role) VALUES (%s, 'operator')", (row[0],)
        )
        conn.execute(
            "SELECT auth.store_verifier(%(u)s, false, %(salt)s, %(m)s, %(t)s, %(p)s, %(key)s)",
            {"u": row[0], **verifier},
        )
        conn.execute(
            "INSERT INTO workcell.badge (user_id, badge_hash)"
            " VALUES (%s, workcell.badge_digest(%s))",
            (row[0], uid),
        )
        conn.commit()
    return Person(name, f"Test {name.title()}", pin, uid)


_DOC_SQL = """
CREATE TABLE workcell.pytest_doc (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body       text NOT NULL,
    author_id  bigint NOT NULL DEFAULT workcell.current_actor_id() REFERENCES workcell.users (id),
    stamped_at timestamptz NOT NULL DEFAULT now(),
    status     text NOT NULL DEFAULT 'draft',
    version    integer NOT NULL DEFAULT 1
);
SELECT audit.attach('workcell.pytest_doc');
GRANT SELECT, INSERT, UPDATE ON workcell.pytest_doc TO workcell_app;
-- capped like every text column a station writes (else test_field_caps, run later in the
-- same database, finds this table's columns uncapped)
SELECT workcell.add_field_cap('workcell.pytest_doc', 'body', 'Pytest doc body', 2000, 'characters');
SELECT workcell.add_field_cap('workcell.pytest_doc', 'status', 'Pytest doc status', 20,
                              'characters');
-- deliberately sloppy: a timestamptz through to_jsonb follows the session TimeZone, so
-- only the registry's pinned UTC keeps the hash stable
CREATE FUNCTION workcell.pytest_doc_content(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('type', 'pytest_doc', 'id', d.id, 'body', d.body,
                              'stamped_at', d.stamped_at)
      FROM workcell.pytest_doc d WHERE d.id = p_id
$$;
INSERT INTO workcell.permission (name, kind, description) VALUES
    ('pytest.perform', 'sign', 'pytest: perform'), ('pytest.verify', 'sign', 'pytest: verify');
INSERT INTO workcell.role_permission (role, permission) VALUES
    ('operator', 'pytest.perform'), ('supervisor', 'pytest.perform'),
    ('supervisor', 'pytest.verify');
INSERT INTO workcell.signable_type (record_type, table_name, content_function, author_column)
VALUES ('pytest_doc', 'workcell.pytest_doc', 'workcell.pytest_doc_content(bigint)', 'author_id');
INSERT INTO workcell.signing_rule (record_type, meaning, permission, requires, distinct_from) VALUES
    ('pytest_doc', 'reviewed', 'item.approve', '{}', '{author}'),
    ('pytest_doc', 'approved', 'item.approve', '{reviewed}', '{author,reviewed}'),
    ('pytest_doc', 'performed', 'pytest.perform', '{}', '{}'),
    ('pytest_doc', 'verified', 'pytest.verify', '{performed}', '{performed}');
"""

_DOCS: set[str] = set()


def register_test_doc(database: TestDatabase) -> None:
    """A signable record type of the tests' own, registered the way migration 0004 does:
    a table, a content function, a signable_type row and signing rules (once per DB)."""
    if database.name in _DOCS:
        return
    with database.connect("admin") as conn:
        conn.execute("SELECT pg_advisory_xact_lock(4242)")
        exists = conn.execute(
            "SELECT 1 FROM workcell.signable_type WHERE record_type = 'pytest_doc'"
        ).fetchone()
        if not exists:
            as_system(conn, reason="pytest_doc registered")
            conn.execute(_DOC_SQL)
        conn.commit()
    _DOCS.add(database.name)


def new_doc(database: TestDatabase, author: str, body: str = "batch record page") -> int:
    engine = make_engine(database.station)
    try:
        token = token_of(make_session_factory(engine), author)
    finally:
        engine.dispose()
    with database.connect() as conn:
        conn.execute("SELECT set_config('workcell.session', %s, true)", (token,))
        row = conn.execute(
            "INSERT INTO workcell.pytest_doc (body) VALUES (%s) RETURNING id", (body,)
        ).fetchone()
        conn.commit()
    assert row is not None
    return int(row[0])
