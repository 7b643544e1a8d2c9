"""Demo people, one or more per role, each with a badge id and a PIN (listed in README.md,
"Demo users"). The first one is the administrator created by the bootstrap actor; the
administrator then adds the rest, verifies their identity, and each person acknowledges
the e-signature policy — so every demo signer can sign at once.

Demo PINs are set as the people's own (not temporary) so the demo needs no PIN change.
A real installation sets temporary PINs (`workcell user set-pin`) that must be changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from domain.services import access, identity_admin, users
from domain.services.identity import Credentials, IdentityPolicy
from kiosk.bootstrap import Services

DEMO_ADMIN = "admin"


@dataclass(frozen=True)
class DemoPerson:
    username: str
    printed_name: str
    role: str
    badge_uid: str
    pin: str


PEOPLE = [
    DemoPerson("admin", "Avery Admin", "admin", "04A10001", "135790"),
    DemoPerson("olivia", "Olivia Operator", "operator", "04A10002", "246801"),
    DemoPerson("oscar", "Oscar Operator", "operator", "04A10003", "258036"),
    DemoPerson("sam", "Sam Supervisor", "supervisor", "04A10004", "314159"),
    DemoPerson("quinn", "Quinn QA", "qa", "04A10005", "271828"),
    DemoPerson("rita", "Rita Reviewer (QA)", "qa", "04A10006", "577215"),
    DemoPerson("erin", "Erin Engineer", "engineer", "04A10007", "161803"),
    DemoPerson("eddie", "Eddie Engineer", "engineer", "04A10008", "141421"),
    DemoPerson("aude", "Aude Auditor", "auditor", "04A10009", "173205"),
]


def demo_policy(services: Services) -> IdentityPolicy:
    return IdentityPolicy.from_settings(services.settings, allow_username_pin=True)


def seed(services: Services) -> Iterator[str]:
    policy = demo_policy(services)
    with services.uow("system") as uow:
        existing = {u.username for u in users.list_users(uow)}
    for person in PEOPLE:
        if person.username in existing:
            continue
        if person.username == DEMO_ADMIN:
            _seed_admin(services, person, policy)
        else:
            _seed_person(services, person, policy)
        yield f"user {person.username} ({person.printed_name}, {person.role})"


def _seed_admin(services: Services, person: DemoPerson, policy: IdentityPolicy) -> None:
    with services.uow("bootstrap") as uow:
        users.add_user(uow, person.username, person.printed_name)
        identity_admin.bootstrap_admin(uow, person.username, person.pin, policy=policy)
        uow.commit()
    with services.uow(DEMO_ADMIN, "demo badge") as uow:
        # an administrator does not issue their own badge in production; demo shortcut
        identity_admin.add_badge(uow, person.username, person.badge_uid)
        uow.commit()


def _seed_person(services: Services, person: DemoPerson, policy: IdentityPolicy) -> None:
    with services.uow(DEMO_ADMIN, "demo set-up") as uow:
        users.add_user(uow, person.username, person.printed_name)
        access.grant_role(uow, person.username, person.role)
        identity_admin.set_pin(uow, person.username, person.pin, policy=policy, temporary=False)
        identity_admin.add_badge(uow, person.username, person.badge_uid)
        identity_admin.verify_identity(uow, person.username, "demo: photo ID checked")
        uow.commit()
    identity_admin.acknowledge_policy(
        services.session_factory,
        Credentials(pin=person.pin, badge_uid=person.badge_uid),
        station=services.settings.name,
        policy=policy,
    )
