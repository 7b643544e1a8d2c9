"""Helpers for the engineering tests: unique items, drafts with lines, release without an ECO.

Releasing directly (not through an ECO) is what the ECO service does on approval; the ECO
tests cover the signed path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.services import bom, eco, effectivity, identity, identity_admin, items, users
from domain.services.identity import Credentials
from domain.services.pin_policy import IdentityPolicy
from domain.uow import UnitOfWork
from tests.conftest import TEST_ADMIN, TestDatabase, unique
from tests.sessions import as_system, new_pin, pin_of, remember_pin, session_of

D = Decimal


def make_item(
    uow: UnitOfWork,
    prefix: str = "E",
    item_type: str = "component",
    unit: str = "ea",
    tracking: str = "lot",
) -> str:
    number = unique(prefix).upper()
    items.create_item(uow, items.NewItem(number, f"Test {number}", item_type, unit, tracking))
    return number


def draft_bom(
    uow: UnitOfWork,
    parent: str,
    lines: Sequence[tuple[str, str] | bom.BomLineInput],
    label: str | None = None,
) -> str:
    view = bom.create_bom_revision(uow, parent, label=label)
    inputs = [
        x if isinstance(x, bom.BomLineInput) else bom.BomLineInput(x[0], D(x[1])) for x in lines
    ]
    bom.replace_bom_lines(uow, parent, view.summary.revision, inputs)
    return view.summary.revision


def release_bom(uow: UnitOfWork, parent: str, label: str, start: dt.datetime | None = None) -> None:
    rev = effectivity.load_revision(uow, "bom", parent, label)
    effectivity.set_status(uow, rev, "in_review")
    effectivity.release(uow, "bom", rev, start)


def released_bom(
    make_uow: Callable[..., UnitOfWork],
    parent: str,
    lines: Sequence[tuple[str, str] | bom.BomLineInput],
    start: dt.datetime | None = None,
) -> str:
    """Create, fill and release a BOM revision in one committed transaction; return its label."""
    with make_uow(ENGINEER, reason="test release") as uow:
        label = draft_bom(uow, parent, lines)
        release_bom(uow, parent, label, start)
        uow.commit()
    return label


# --- people ------------------------------------------------------------------------------

ENGINEER = "pytest_engineer"
STATION = "station_pytest"
PIN = "482916"
POLICY = IdentityPolicy(allow_username_pin=True)

_GRANT = (
    "INSERT INTO workcell.user_role (user_id, role) "
    "SELECT u.id, r FROM workcell.users u, unnest(%s::text[]) AS r WHERE u.username = %s "
    "ON CONFLICT DO NOTHING"
)


def grant_roles(database: TestDatabase, username: str, *roles: str) -> None:
    """Grant roles owner-side (fixtures set up, tests attack): the 'system' actor on the
    superuser connection, audited like any change."""
    with database.connect("admin") as conn:
        as_system(conn, reason="test fixture: roles")
        conn.execute(_GRANT, (list(roles), username))
        conn.commit()


def _own_pin(factory: sessionmaker[Session], username: str, reason: str) -> None:
    """The test administrator sets a temporary PIN; the person replaces it with PIN."""
    temporary = new_pin()
    with UnitOfWork(factory, session_of(factory, TEST_ADMIN), reason) as uow:
        identity_admin.set_pin(uow, username, temporary, policy=POLICY, reason=reason)
        uow.commit()
    identity.change_pin(
        factory, Credentials(temporary, username=username), PIN, station=STATION, policy=POLICY
    )
    remember_pin(factory, username, PIN)


def ensure_engineer(database: TestDatabase, factory: sessionmaker[Session]) -> str:
    """The editing engineer used by the engineering tests (created once per database, with
    their own PIN, so the tests can act in their session)."""
    with UnitOfWork(factory, session_of(factory, TEST_ADMIN)) as uow:
        exists = ENGINEER in {u.username for u in users.list_users(uow)}
        if not exists:
            users.add_user(uow, ENGINEER, "Pytest Engineer")
            uow.commit()
    if not exists:
        _own_pin(factory, ENGINEER, "test engineer")
    else:
        try:
            pin_of(factory, ENGINEER)
        except KeyError:  # created by an earlier process: give them a PIN we know
            _own_pin(factory, ENGINEER, "test engineer")
    grant_roles(database, ENGINEER, "engineer")
    return ENGINEER


def make_signer(
    database: TestDatabase, factory: sessionmaker[Session], prefix: str, *roles: str
) -> str:
    """A person who can sign: roles, their own PIN (PIN), identity verified, policy
    acknowledged."""
    name = unique(prefix)
    with UnitOfWork(factory, session_of(factory, TEST_ADMIN)) as uow:
        users.add_user(uow, name, f"{prefix.title()} {name[-4:]}")
        uow.commit()
    grant_roles(database, name, *roles)
    with UnitOfWork(factory, session_of(factory, TEST_ADMIN), "test signer") as uow:
        identity_admin.verify_identity(uow, name, "test fixture: known person")
        uow.commit()
    _own_pin(factory, name, "test signer")
    identity_admin.acknowledge_policy(
        factory, Credentials(PIN, username=name), station=STATION, policy=POLICY
    )
    return name


def signing(username: str, comment: str | None = None, pin: str = PIN) -> eco.Signing:
    return eco.Signing(Credentials(pin, username=username), STATION, POLICY, comment)


@pytest.fixture(scope="module")
def engineer(database: TestDatabase, session_factory: sessionmaker[Session]) -> str:
    return ensure_engineer(database, session_factory)
