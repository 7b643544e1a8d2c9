"""People as actors: create, list, disable. Users are never deleted; usernames never reused."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select, text

from domain.errors import InvalidInput, NotFound, translate
from domain.models import User
from domain.uow import UnitOfWork

USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{1,62}$")


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    printed_name: str
    kind: str
    status: str


def _view(user: User) -> UserView:
    return UserView(user.id, user.username, user.printed_name, user.kind, user.status)


def normalise_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        raise InvalidInput(
            f"Username {username!r} is not valid: 2-63 characters, starting with a letter; "
            "letters, digits, '.', '_' and '-' only."
        )
    return name


def add_user(uow: UnitOfWork, username: str, printed_name: str) -> UserView:
    name = normalise_username(username)
    if not printed_name.strip():
        raise InvalidInput("The printed name is required: it appears on every signature.")
    existing = uow.session.scalar(select(User).where(User.username == name))
    if existing is not None:
        raise InvalidInput(
            f"Username {name} was already issued (to {existing.printed_name}, now "
            f"{existing.status}); usernames are never reused. Choose another."
        )
    try:
        uow.session.execute(
            text("SELECT workcell.add_user(:u, :n)"), {"u": name, "n": printed_name.strip()}
        )
    except Exception as exc:
        raise (translate(exc) or exc) from exc
    return get_user(uow, name)


def get_user(uow: UnitOfWork, username: str) -> UserView:
    return _view(_load(uow, username))


def list_users(uow: UnitOfWork, *, include_system: bool = False) -> list[UserView]:
    stmt = select(User).order_by(User.username)
    if not include_system:
        stmt = stmt.where(User.kind == "person")
    return [_view(u) for u in uow.session.scalars(stmt)]


def disable_user(uow: UnitOfWork, username: str, reason: str) -> UserView:
    if not reason.strip():
        raise InvalidInput("Give a reason for disabling the account.")
    user = _load(uow, username)
    if user.kind != "person":
        raise InvalidInput("System actors cannot be disabled.")
    try:
        uow.session.execute(
            text("SELECT workcell.disable_user(:u, :reason)"),
            {"u": user.username, "reason": reason},
        )
    except Exception as exc:
        raise (translate(exc) or exc) from exc
    uow.session.expire_all()
    return get_user(uow, user.username)


def _load(uow: UnitOfWork, username: str) -> User:
    user = uow.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    return user
