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

from domain.services import access, identity_admin, users
from domain.services.identity import Credentials
from domain.services.pin_policy import IdentityPolicy, is_trivial
from domain.uow import UnitOfWork
from tests.conftest import TestDatabase, unique

POLICY = IdentityPolicy(allow_username_pin=True)
BADGE_ONLY = IdentityPolicy(allow_username_pin=False)
STATION = "pytest-station"

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


def new_pin(digits: int = 6) -> str:
    while True:
        pin = "".join(secrets.choice("0123456789") for _ in range(digits))
        if not is_trivial(pin):
            return pin


def new_badge_uid() -> str:
    return secrets.token_hex(7).upper()


def admin_for(database: TestDatabase) -> str:
    """An active administrator (role admin, own PIN) for this database; created once."""
    if database.name in _ADMINS:
        return _ADMINS[database.name]
    name = unique("adm")
    with database.connect("admin") as conn:
        conn.execute("SELECT set_config('workcell.actor', 'system', true)")
        row = conn.execute(
            "INSERT INTO workcell.users (username, printed_name) VALUES (%s, %s) RETURNING id",
            (name, f"Admin {name}"),
        ).fetchone()
        assert row is not None
        conn.execute("INSERT INTO workcell.user_role (user_id, role) VALUES (%s, 'admin')", row)
        conn.commit()
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
    with UnitOfWork(session_factory, admin) as uow:
        view = users.add_user(uow, name, f"Test {name.title()}")
        for role in roles:
            access.grant_role(uow, name, role)
        identity_admin.set_pin(uow, name, pin, policy=policy, temporary=temporary)
        if uid:
            identity_admin.add_badge(uow, name, uid)
        if verified:
            identity_admin.verify_identity(uow, name, "photo ID checked (pytest)")
        uow.commit()
    person = Person(name, view.printed_name, pin, uid)
    if acknowledged and not temporary:
        identity_admin.acknowledge_policy(
            session_factory, person.by_name(), station=STATION, policy=policy
        )
    return person
