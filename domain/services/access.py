"""Roles and permissions, held as data (workcell.role, permission, role_permission, user_role).

API (stable):
  ROLES                                         the six shipped roles
  roles_of(uow, username) -> frozenset[str]
  permissions_of(uow, username) -> frozenset[str]
  require_permission(uow, permission, username=None) -> None   (PermissionDenied)
  grant_role(uow, username, role) -> frozenset[str]            (needs role.grant)
  revoke_role(uow, username, role, reason) -> frozenset[str]   (needs role.grant)
  role_matrix(uow) -> dict[str, frozenset[str]]                 role -> permissions

Admins administer users but hold no signing permission (the database refuses to give the
admin role a 'sign' permission, and refuses signatures on production records from anyone
holding the admin role).
"""

from __future__ import annotations

from sqlalchemy import func, select, text

from domain.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation, translate
from domain.models.identity import Permission, Role, RolePermission, UserRole
from domain.models.users import User
from domain.uow import UnitOfWork

ROLES = ("operator", "supervisor", "qa", "engineer", "planner", "admin", "auditor")


def _user(uow: UnitOfWork, username: str) -> User:
    user = uow.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    return user


def roles_of(uow: UnitOfWork, username: str) -> frozenset[str]:
    stmt = (
        select(UserRole.role)
        .join(User, User.id == UserRole.user_id)
        .where(User.username == username.strip().lower())
    )
    return frozenset(uow.session.scalars(stmt))


def permissions_of(uow: UnitOfWork, username: str) -> frozenset[str]:
    stmt = (
        select(RolePermission.permission)
        .join(UserRole, UserRole.role == RolePermission.role)
        .join(User, User.id == UserRole.user_id)
        .where(User.username == username.strip().lower(), User.status == "active")
    )
    return frozenset(uow.session.scalars(stmt))


def require_permission(uow: UnitOfWork, permission: str, username: str | None = None) -> None:
    """Refuse unless ``username`` (default: the transaction's actor) holds ``permission``."""
    if username is None and uow.is_system:
        return  # as workcell.require_permission: owner-side system work (demo seed, bootstrap)
    who = (username or uow.actor).strip().lower()
    if permission in permissions_of(uow, who):
        return
    holders = sorted(
        uow.session.scalars(
            select(RolePermission.role).where(RolePermission.permission == permission)
        )
    )
    if not holders and uow.session.get(Permission, permission) is None:
        raise InvalidInput(f"Unknown permission {permission!r}.")
    roles = " or ".join(holders) or "no role"
    raise PermissionDenied(
        f"{who} may not do this: it needs the {permission} permission ({roles}). "
        "Ask someone who has it, or an administrator to grant the role."
    )


def grant_role(uow: UnitOfWork, username: str, role: str) -> frozenset[str]:
    """Give a person a role (audited). Returns their roles afterwards."""
    require_permission(uow, "role.grant")
    user = _user(uow, username)
    if uow.session.get(Role, role) is None:
        raise InvalidInput(f"Unknown role {role!r}. Roles: {', '.join(ROLES)}.")
    if user.kind != "person":
        raise InvalidInput("Roles are for people; system actors hold none.")
    if user.username == uow.actor:
        raise RuleViolation("Nobody grants a role to themselves; ask another administrator.")
    if role in roles_of(uow, user.username):
        raise InvalidInput(f"{user.username} already has the {role} role.")
    _call(uow, "SELECT workcell.grant_role(:u, :r)", u=user.username, r=role)
    uow.flush()
    return roles_of(uow, user.username)


def revoke_role(uow: UnitOfWork, username: str, role: str, reason: str) -> frozenset[str]:
    """Take a role away (audited with the reason). The last administrator is kept."""
    require_permission(uow, "role.grant")
    if not reason.strip():
        raise InvalidInput("Give a reason for revoking the role.")
    user = _user(uow, username)
    if role not in roles_of(uow, user.username):
        raise InvalidInput(f"{user.username} does not have the {role} role.")
    if role == "admin" and _active_admins(uow) <= 1:
        raise RuleViolation(
            f"{user.username} is the last active administrator; grant admin to someone else first."
        )
    _call(uow, "SELECT workcell.revoke_role(:u, :r, :reason)", u=user.username, r=role,
          reason=reason)  # fmt: skip
    return roles_of(uow, user.username)


def _active_admins(uow: UnitOfWork) -> int:
    stmt = (
        select(func.count())
        .select_from(UserRole)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role == "admin", User.status == "active")
    )
    return int(uow.session.scalar(stmt) or 0)


def _call(uow: UnitOfWork, sql: str, **params: object) -> None:
    try:
        uow.session.execute(text(sql), params)
    except Exception as exc:
        raise (translate(exc) or exc) from exc


def role_matrix(uow: UnitOfWork) -> dict[str, frozenset[str]]:
    matrix: dict[str, set[str]] = {r: set() for r in uow.session.scalars(select(Role.name))}
    for role, permission in uow.session.execute(
        select(RolePermission.role, RolePermission.permission)
    ):
        matrix[role].add(permission)
    return {role: frozenset(perms) for role, perms in matrix.items()}
