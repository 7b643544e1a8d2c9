"""Helpers for the engineering tests: unique items, drafts with lines, release without an ECO.

Releasing directly (not through an ECO) is what the ECO service does on approval; the ECO
tests cover the signed path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.services import bom, eco, effectivity, identity_admin, items, users
from domain.services.identity import Credentials
from domain.services.pin_policy import IdentityPolicy
from domain.uow import UnitOfWork
from tests.conftest import TEST_ADMIN, TestDatabase, unique

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
    lines: list[tuple[str, str]] | list[bom.BomLineInput],
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
    make_uow: Callable[..., UnitOfWork], parent: str, lines: list, start: dt.datetime | None = None
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
# Cheap argon2 parameters: the tests exercise the rules, not the hash cost.
POLICY = IdentityPolicy(allow_username_pin=True, argon2_memory_kib=1024, argon2_time_cost=1)

_GRANT = (
    "INSERT INTO workcell.user_role (user_id, role) "
    "SELECT u.id, r FROM workcell.users u, unnest(%s::text[]) AS r WHERE u.username = %s "
    "ON CONFLICT DO NOTHING"
)


def grant_roles(database: TestDatabase, username: str, *roles: str) -> None:
    """Grant roles as the test administrator (through SQL: fixtures set up, tests attack)."""
    with database.connect("admin") as conn:
        conn.execute("SELECT set_config('workcell.actor', %s, true)", (TEST_ADMIN,))
        conn.execute(_GRANT, (list(roles), username))
        conn.commit()


def ensure_engineer(database: TestDatabase, factory: sessionmaker[Session]) -> str:
    """The editing engineer used by the engineering tests (created once per database)."""
    with UnitOfWork(factory, TEST_ADMIN) as uow:
        if ENGINEER not in {u.username for u in users.list_users(uow)}:
            users.add_user(uow, ENGINEER, "Pytest Engineer")
            uow.commit()
    grant_roles(database, ENGINEER, "engineer")
    return ENGINEER


def make_signer(
    database: TestDatabase, factory: sessionmaker[Session], prefix: str, *roles: str
) -> str:
    """A person who can sign: roles, a permanent PIN, identity verified, policy acknowledged."""
    name = unique(prefix)
    grant_roles(database, TEST_ADMIN, "admin")
    with UnitOfWork(factory, TEST_ADMIN) as uow:
        users.add_user(uow, name, f"{prefix.title()} {name[-4:]}")
        uow.commit()
    grant_roles(database, name, *roles)
    with UnitOfWork(factory, TEST_ADMIN, "test signer") as uow:
        identity_admin.set_pin(uow, name, PIN, policy=POLICY, temporary=False, reason="test")
        identity_admin.verify_identity(uow, name, "test fixture: known person")
        uow.commit()
    identity_admin.acknowledge_policy(
        factory, Credentials(PIN, username=name), station=STATION, policy=POLICY
    )
    return name


def signing(username: str, comment: str | None = None, pin: str = PIN) -> eco.Signing:
    return eco.Signing(Credentials(pin, username=username), STATION, POLICY, comment)


@pytest.fixture(scope="module")
def engineer(database: TestDatabase, session_factory: sessionmaker[Session]) -> str:
    return ensure_engineer(database, session_factory)
