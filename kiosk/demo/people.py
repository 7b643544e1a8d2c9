"""Demo people, one or more per role, each with a badge id and a PIN (listed in README.md,
"Demo users"). Owner-side system work on the owner/admin URL: the first one is the
administrator created by the bootstrap function; the rest, their roles, PINs, badges,
identity verification and policy acknowledgement are written by the 'system' actor — so
every demo signer can sign at once.

Demo PINs are stored as the people's own (not temporary: auth.store_verifier with
verifiers derived under the server policy's argon2id cost) so the demo needs no PIN
change. A real installation sets temporary PINs (`workcell user set-pin`) that must be
changed, and an administrator verifies each identity.

``signed_in(services, username)`` signs a demo person in at the station (badge + PIN,
accepted on any registered station) for the seeders that act as people.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from domain.db import make_engine, make_session_factory
from domain.models.users import User
from domain.services import identity, identity_admin, scram, users
from domain.services.identity import Credentials, IdentityPolicy
from domain.uow import StationSession, UnitOfWork
from kiosk.bootstrap import Services

DEMO_ADMIN = "admin"
IDENTITY_CHECK = "demo: photo ID checked"


@dataclass(frozen=True)
class DemoPerson:
    username: str
    printed_name: str
    role: str
    badge_uid: str
    pin: str

    def creds(self) -> Credentials:
        return Credentials(pin=self.pin, badge_uid=self.badge_uid)


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
    DemoPerson("pat", "Pat Planner", "planner", "04A10010", "112358"),
]
BY_NAME = {p.username: p for p in PEOPLE}

_ADD_USER = text("INSERT INTO workcell.users (username, printed_name) VALUES (:u, :n) RETURNING id")
_ADD_ROLE = text("INSERT INTO workcell.user_role (user_id, role) VALUES (:id, :role)")
_STORE_PIN = text("SELECT auth.store_verifier(:id, false, :salt, :m, :t, :p, :key)")
_ADD_BADGE = text(
    "INSERT INTO workcell.badge (user_id, badge_hash) VALUES (:id, workcell.badge_digest(:uid))"
)
_VERIFIED = text(
    "INSERT INTO workcell.identity_verification (user_id, method) VALUES (:id, :method)"
)
_ACKNOWLEDGED = text(
    "INSERT INTO workcell.policy_acknowledgement (user_id, policy_version)"
    " SELECT :id, signature_policy_version FROM workcell.identity_policy WHERE id = 1"
)
_ANY_PERSON = text("SELECT EXISTS (SELECT 1 FROM workcell.users WHERE kind = 'person')")


def demo_policy(services: Services) -> IdentityPolicy:
    return IdentityPolicy.from_settings(services.settings, allow_username_pin=True)


@contextmanager
def owner(services: Services) -> Iterator[sessionmaker[Session]]:
    """A session factory on the owner/admin URL (owner-side system work only)."""
    engine = make_engine(services.urls.admin, pool_size=1)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@contextmanager
def signed_in(services: Services, username: str) -> Iterator[StationSession]:
    """A demo person signed in at the station (badge + PIN), signed out afterwards."""
    person = BY_NAME[username]
    who = identity.authenticate(
        services.session_factory,
        person.creds(),
        station=services.settings.name,
        policy=demo_policy(services),
    )
    assert who.session is not None, f"{username} must choose a PIN first"
    try:
        yield who.session
    finally:
        identity.sign_out(services.session_factory, who.session, "demo set-up done")


def seed(services: Services) -> Iterator[str]:
    policy = demo_policy(services)
    with owner(services) as factory:
        with UnitOfWork(factory, None) as uow:
            existing = {u.username for u in users.list_users(uow)}
        cost = identity.server_policy(factory).cost
        for person in PEOPLE:
            if person.username in existing:
                continue
            _seed_person(factory, person, cost, policy)
            yield f"user {person.username} ({person.printed_name}, {person.role})"


def _seed_person(
    factory: sessionmaker[Session], person: DemoPerson, cost: scram.Cost, policy: IdentityPolicy
) -> None:
    with UnitOfWork.system(factory, "system", "demo set-up") as uow:
        first = not uow.session.scalar(_ANY_PERSON)
        if first and person.role == "admin":
            # as in a real installation: the first person is created by the bootstrap
            # function, an administrator with a PIN of their own
            identity_admin.bootstrap_admin(
                uow, person.username, person.printed_name, person.pin, policy=policy
            )
            user_id = _id_of(uow, person.username)
        else:
            user_id = int(
                uow.session.execute(
                    _ADD_USER, {"u": person.username, "n": person.printed_name}
                ).scalar_one()
            )
            uow.session.execute(_ADD_ROLE, {"id": user_id, "role": person.role})
            verifier = scram.new_verifier(person.pin, cost)
            uow.session.execute(
                _STORE_PIN,
                {
                    "id": user_id,
                    "salt": verifier.salt,
                    "m": cost.memory_kib,
                    "t": cost.time_cost,
                    "p": cost.parallelism,
                    "key": verifier.stored_key,
                },
            )
        # an administrator does not issue their own badge in production; demo shortcut
        uow.session.execute(_ADD_BADGE, {"id": user_id, "uid": person.badge_uid})
        if person.role != "admin":  # the administrator signs nothing
            uow.session.execute(_VERIFIED, {"id": user_id, "method": IDENTITY_CHECK})
            uow.session.execute(_ACKNOWLEDGED, {"id": user_id})
        uow.commit()


def _id_of(uow: UnitOfWork, username: str) -> int:
    user_id = uow.session.scalar(select(User.id).where(User.username == username))
    assert user_id is not None
    return int(user_id)
