"""Helpers for the engineering tests: unique items, drafts with lines, release through an
ECO (the database refuses any other way: migration 0009).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from domain.services import bom, eco, identity, identity_admin, items, users
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
    release_through_eco(uow, "bom", parent, label, start)


def release_through_eco(
    uow: UnitOfWork, kind: str, parent: str, label: str, start: dt.datetime | None = None
) -> None:
    """Release a draft revision the only way the database allows: on an ECO signed as
    authored, reviewed and approved by three other people, in the caller's transaction. The
    caller's own session is named again afterwards (each signature attributes the rest of
    the transaction to its signer)."""
    author, reviewer, approver = RELEASERS[database_name(uow)]
    actor = uow.actor
    number = eco.create_eco(
        uow, f"Release {parent} {kind} {label}", "test release", effective_from=start
    ).number
    eco.add_eco_item(uow, number, parent, **{f"{kind}_revision": label})  # type: ignore[arg-type]
    eco.submit_eco(uow, number, signing(author))
    eco.review_eco(uow, number, signing(reviewer))
    eco.approve_eco(uow, number, signing(approver))
    if uow.station_session is not None:
        uow.session.execute(
            text("SELECT set_config('workcell.session', :t, true)"),
            {"t": uow.station_session.token},
        )
        uow.signed_by(actor)


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
    if database.name not in RELEASERS:
        RELEASERS[database.name] = (
            make_signer(database, factory, "rauthor", "engineer"),
            make_signer(database, factory, "rreview", "engineer"),
            make_signer(database, factory, "rqa", "qa"),
        )
    return ENGINEER


def database_name(uow: UnitOfWork) -> str:
    return str(uow.session.get_bind().url.database)


# Per database: the three people who sign the ECOs that release_through_eco makes.
RELEASERS: dict[str, tuple[str, str, str]] = {}


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
