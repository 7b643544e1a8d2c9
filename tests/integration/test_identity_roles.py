"""Roles and permissions as data (§11.10(g)): the shipped matrix, grants and revocations
with their refusals, and the demo people for every role."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from domain.db import make_engine, make_session_factory
from domain.errors import InvalidInput, PermissionDenied, RuleViolation
from domain.models.identity import Permission
from domain.services import access, identity, item_approval, items
from domain.uow import UnitOfWork
from kiosk.bootstrap import Services
from kiosk.database import DatabaseUrls
from kiosk.demo import people
from kiosk.settings import StationSettings
from tests.conftest import TestDatabase, create_test_database, drop_test_database
from tests.identity_helpers import POLICY, STATION, admin_for, enrol
from tests.integration.identity_fixtures import as_person

Factory = sessionmaker[Session]

# The shipped matrix for the identity area (later migrations add engineering permissions).
EXPECTED = {
    "operator": {"work.execute"},
    "supervisor": {"work.execute", "security.view", "audit.view", "security_event.acknowledge"},
    "qa": {
        "security.view",
        "audit.view",
        "item.return",
        "item.approve",
        "security_event.acknowledge",
    },
    "engineer": {"item.create", "item.return"},
    "admin": {"user.administer", "role.grant", "identity.verify", "security.view", "audit.view"},
    "auditor": {"security.view", "audit.view"},
}


def test_role_permission_matrix(session_factory: Factory) -> None:
    """Every role holds exactly its identity-area permissions; no admin signing permission."""
    with UnitOfWork(session_factory, None) as uow:
        matrix = access.role_matrix(uow)
        sign_perms = set(
            uow.session.scalars(select(Permission.name).where(Permission.kind == "sign"))
        )
    for role, expected in EXPECTED.items():
        assert expected <= matrix[role], role
        extra = matrix[role] - expected
        assert all(not p.startswith(("user.", "role.", "item.", "security")) for p in extra), role
    assert not matrix["admin"] & sign_perms
    assert not matrix["auditor"] & sign_perms


def test_grant_and_revoke_are_audited(database: TestDatabase, session_factory: Factory) -> None:
    """A grant shows in the person's permissions; a revoke needs a reason kept in the trail."""
    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("operator",))
    with as_person(session_factory, admin) as uow:
        assert access.grant_role(uow, person.username, "supervisor") == {"operator", "supervisor"}
        uow.commit()
    with as_person(session_factory, admin) as uow:
        assert "security.view" in access.permissions_of(uow, person.username)
        assert access.revoke_role(uow, person.username, "supervisor", "moved to day shift") == {
            "operator"
        }
        uow.commit()
    with database.connect() as conn:
        row = conn.execute(
            "SELECT operation, reason, actor FROM audit.entry"
            " WHERE table_name = 'workcell.user_role' AND before->>'role' = 'supervisor'"
            " ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert row == ("DELETE", "moved to day shift", admin)


def test_role_refusals(database: TestDatabase, session_factory: Factory) -> None:
    """No self-grant, no unknown role, no double grant, no grant without role.grant."""
    admin = admin_for(database)
    person = enrol(session_factory, admin, roles=("qa",))
    with as_person(session_factory, admin) as uow:
        with pytest.raises(RuleViolation, match="themselves"):
            access.grant_role(uow, admin, "qa")
        with pytest.raises(InvalidInput, match="Unknown role"):
            access.grant_role(uow, person.username, "superuser")
        with pytest.raises(InvalidInput, match="already has"):
            access.grant_role(uow, person.username, "qa")
    with (
        as_person(session_factory, person.username) as uow,
        pytest.raises(PermissionDenied, match=r"role\.grant permission \(admin\)"),
    ):
        access.grant_role(uow, person.username, "admin")


def test_demo_people_cover_every_role_and_can_work() -> None:
    """seed-demo creates a person per role with badge and PIN; QA can approve an item the
    engineer authored, using the demo badge and PIN listed in the README; the only
    administrator cannot remove their own admin role (a fresh database, so it is the last)."""
    db = create_test_database("wcdemo")
    engine = make_engine(db.station)
    try:
        settings = replace(StationSettings(), name="demo", allow_username_pin=True)
        svc = Services(
            settings, DatabaseUrls(db.station, db.admin), engine, make_session_factory(engine)
        )
        seeded = list(people.seed(svc))
        assert list(people.seed(svc)) == []  # idempotent
        assert len(seeded) == len(people.PEOPLE)
        roles = {p.role for p in people.PEOPLE}
        assert roles == set(access.ROLES)
        by_name = {p.username: p for p in people.PEOPLE}
        signed_in = {}
        for person in people.PEOPLE:
            creds = identity.Credentials(pin=person.pin, badge_uid=person.badge_uid)
            who = identity.authenticate(svc.session_factory, creds, station="demo", policy=POLICY)
            assert person.role in who.roles and who.session is not None
            signed_in[person.username] = who.session
        with svc.uow(signed_in["erin"]) as uow:
            items.create_item(uow, items.NewItem("DEMO-1", "Tubing", "raw", "m"))
            uow.commit()
        quinn = by_name["quinn"]
        with svc.uow(signed_in["quinn"]) as uow:
            sig = item_approval.approve_item(
                uow,
                "DEMO-1",
                identity.Credentials(pin=quinn.pin, badge_uid=quinn.badge_uid),
                station=STATION,
                policy=POLICY,
            )
            uow.commit()
        assert sig.valid and sig.printed_name == "Quinn QA"
        with (
            svc.uow(signed_in["admin"]) as uow,
            pytest.raises(RuleViolation, match="last active admin"),
        ):
            access.revoke_role(uow, "admin", "admin", "leaving")
    finally:
        engine.dispose()
        drop_test_database(db)
