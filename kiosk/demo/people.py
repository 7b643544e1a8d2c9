"""Demo people. The first one is created by the bootstrap actor, the rest by that admin."""

from __future__ import annotations

from collections.abc import Iterator

from domain.errors import InvalidInput
from domain.services import users
from kiosk.bootstrap import Services

DEMO_ADMIN = "admin"
PEOPLE = [
    ("admin", "Avery Admin"),
    ("olivia", "Olivia Operator"),
    ("sam", "Sam Supervisor"),
    ("quinn", "Quinn QA"),
    ("erin", "Erin Engineer"),
    ("eddie", "Eddie Engineer"),
    ("aude", "Aude Auditor"),
]


def seed(services: Services) -> Iterator[str]:
    for username, name in PEOPLE:
        actor = "bootstrap" if username == DEMO_ADMIN else DEMO_ADMIN
        try:
            with services.uow(actor) as uow:
                if any(u.username == username for u in users.list_users(uow)):
                    continue
                users.add_user(uow, username, name)
                uow.commit()
            yield f"user {username} ({name})"
        except InvalidInput:
            continue
