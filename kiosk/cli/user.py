"""`workcell user ...`: people, PINs, badges, roles, lock/unlock, identity verification.

Every privileged action re-authenticates the acting administrator (``--as``) with their
PIN, read with getpass (never echoed, never an argument) or, for scripts and tests, as
lines on standard input with ``--pin-stdin``: first the acting person's PIN, then any
secret the action needs (the new PIN, or the badge id a keyboard-wedge reader types).
The CLI is an admin terminal, so username + PIN is accepted here.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from domain.errors import InvalidInput, PermissionDenied
from domain.services import access, identity, identity_admin, users
from domain.services.identity import Credentials, IdentityPolicy
from domain.uow import UnitOfWork
from kiosk.bootstrap import Services
from kiosk.cli.common import add_actor, add_reason, print_rows, services

T = TypeVar("T")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    us = sub.add_parser("user", help="users, PINs, badges, roles, lock/unlock")
    ussub = us.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    p = _cmd(ussub, "add", _add, "add a person (usernames are never reused)", actor=False)
    p.add_argument("username")
    p.add_argument("printed_name", help="full name as it appears on signatures")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--as", dest="actor", metavar="USERNAME", help="the administrator acting")
    who.add_argument(
        "--bootstrap",
        action="store_true",
        help="create the very first person (an administrator, with their own PIN); "
        "refused once a person exists",
    )
    p = ussub.add_parser("list", help="list users with their roles")
    p.add_argument("--all", action="store_true", help="include system actors")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=_list)
    p = _cmd(ussub, "disable", _disable, "disable an account (never deleted)", reason=True)
    p.add_argument("username")
    p = _cmd(ussub, "set-pin", _set_pin, "set a temporary PIN (the user must change it)")
    p.add_argument("username")
    p = _cmd(ussub, "change-pin", _change_pin, "change your own PIN", actor=False)
    p.add_argument("username")
    p = _cmd(ussub, "add-badge", _add_badge, "issue a badge (tap it or type its id)")
    p.add_argument("username")
    p.add_argument("--replaces", type=int, metavar="BADGE_ID", help="the lost badge it replaces")
    p = _cmd(ussub, "revoke-badge", _revoke_badge, "revoke a badge at once", reason=True)
    p.add_argument("badge_id", type=int)
    p = ussub.add_parser("badges", help="list a person's badges (card ids are never shown)")
    p.add_argument("username")
    p.set_defaults(func=_badges)
    for name, func, text in (("lock", _lock, "lock an account"), ("unlock", _unlock, "unlock")):
        _cmd(ussub, name, func, text, reason=True).add_argument("username")
    p = _cmd(ussub, "grant", _grant, "grant a role")
    p.add_argument("username")
    p.add_argument("role", choices=access.ROLES)
    p = _cmd(ussub, "revoke", _revoke, "revoke a role", reason=True)
    p.add_argument("username")
    p.add_argument("role", choices=access.ROLES)
    p = ussub.add_parser("roles", help="the role → permission matrix, or one user's roles")
    p.add_argument("username", nargs="?")
    p.set_defaults(func=_roles)
    p = _cmd(ussub, "verify-identity", _verify_identity, "record a person's identity check")
    p.add_argument("username")
    p.add_argument("--method", required=True, help="how, e.g. 'passport checked, HR file 123'")
    p = _cmd(ussub, "acknowledge-policy", _ack, "acknowledge the e-signature policy", actor=False)
    p.add_argument("username")


def _cmd(
    sub: argparse._SubParsersAction[Any],
    name: str,
    func: Any,
    text: str,
    *,
    actor: bool = True,
    reason: bool = False,
) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help=text)
    if actor:
        add_actor(p)
    if reason:
        add_reason(p)
    p.add_argument(
        "--pin-stdin",
        action="store_true",
        help="read the PIN (then any other secret) from standard input, one per line",
    )
    p.set_defaults(func=func)
    return p


def cli_policy(svc: Services) -> IdentityPolicy:
    """The station's policy; the CLI is an admin terminal, so username + PIN is allowed."""
    return IdentityPolicy.from_settings(svc.settings, allow_username_pin=True)


def _secret(args: argparse.Namespace, prompt: str, *, confirm: bool = False) -> str:
    if args.pin_stdin:
        line = sys.stdin.readline()
        if not line:
            raise InvalidInput(f"Expected {prompt.rstrip(': ').lower()} on standard input.")
        return line.strip()
    value = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again: ") != value:
        raise InvalidInput("The two entries differ. Nothing was changed.")
    return value.strip()


def _reauth(svc: Services, args: argparse.Namespace, permission: str) -> identity.Identity:
    """Re-authenticate the acting administrator and check the permission up front."""
    pin = _secret(args, f"PIN of {args.actor}: ")
    who = identity.authenticate(
        svc.session_factory,
        Credentials(pin=pin, username=args.actor),
        station=svc.settings.name,
        policy=cli_policy(svc),
    )
    if permission not in who.permissions:
        raise PermissionDenied(f"{who.username} may not do this: it needs {permission}.")
    return who


def _as_admin(args: argparse.Namespace, permission: str, action: Callable[[UnitOfWork], T]) -> T:
    """Re-authenticate the acting administrator, then run ``action`` in one committed
    transaction in their name."""
    svc = services(args)
    _reauth(svc, args, permission)
    with svc.uow(args.actor) as uow:
        result = action(uow)
        uow.commit()
    return result


def _add(args: argparse.Namespace) -> int:
    svc = services(args)
    if args.bootstrap:
        pin = _secret(args, f"Choose a PIN for {args.username}: ", confirm=True)
        with svc.uow("bootstrap") as uow:
            view = users.add_user(uow, args.username, args.printed_name)
            identity_admin.bootstrap_admin(uow, view.username, pin, policy=cli_policy(svc))
            uow.commit()
        print(f"user {view.username} ({view.printed_name}) added as the first administrator")
        return 0
    _reauth(svc, args, "user.administer")
    with svc.uow(args.actor) as uow:
        view = users.add_user(uow, args.username, args.printed_name)
        uow.commit()
    print(f"user {view.username} ({view.printed_name}) added by {args.actor}")
    print("next: verify-identity, grant a role, set-pin, add-badge")
    return 0


def _list(args: argparse.Namespace) -> int:
    svc = services(args)
    with svc.uow("system") as uow:
        rows = [
            (
                u.username,
                u.printed_name,
                u.kind,
                u.status,
                ",".join(sorted(access.roles_of(uow, u.username))),
            )
            for u in users.list_users(uow, include_system=args.all)
        ]
    print_rows(rows, ("username", "printed name", "kind", "status", "roles"), args.format)
    return 0


def _disable(args: argparse.Namespace) -> int:
    view = _as_admin(
        args, "user.administer", lambda uow: users.disable_user(uow, args.username, args.reason)
    )
    print(f"user {view.username} is now {view.status}")
    return 0


def _set_pin(args: argparse.Namespace) -> int:
    svc = services(args)
    _reauth(svc, args, "user.administer")
    pin = _secret(args, f"Temporary PIN for {args.username}: ", confirm=True)
    with svc.uow(args.actor) as uow:
        identity_admin.set_pin(uow, args.username, pin, policy=cli_policy(svc))
        uow.commit()
    print(f"temporary PIN set for {args.username}: usable only to choose a new PIN")
    return 0


def _change_pin(args: argparse.Namespace) -> int:
    svc = services(args)
    old = _secret(args, "Current PIN: ")
    new = _secret(args, "New PIN: ", confirm=True)
    identity.change_pin(
        svc.session_factory,
        args.username,
        old,
        new,
        station=svc.settings.name,
        policy=cli_policy(svc),
    )
    print(f"PIN changed for {args.username}")
    return 0


def _add_badge(args: argparse.Namespace) -> int:
    svc = services(args)
    _reauth(svc, args, "user.administer")
    uid = _secret(args, f"Tap the new badge for {args.username} (or type its id): ")
    with svc.uow(args.actor, "badge issued") as uow:
        view = identity_admin.add_badge(uow, args.username, uid, replaces_badge_id=args.replaces)
        uow.commit()
    extra = f", replacing badge {view.replaces_id}" if view.replaces_id else ""
    print(f"badge {view.id} issued to {view.username}{extra}")
    return 0


def _revoke_badge(args: argparse.Namespace) -> int:
    view = _as_admin(
        args,
        "user.administer",
        lambda uow: identity_admin.revoke_badge(uow, args.badge_id, args.reason),
    )
    print(f"badge {view.id} of {view.username} revoked")
    return 0


def _badges(args: argparse.Namespace) -> int:
    svc = services(args)
    with svc.uow("system") as uow:
        rows = [
            (b.id, b.issued_at, b.revoked_at, b.revoke_reason, b.replaces_id)
            for b in identity_admin.list_badges(uow, args.username)
        ]
    print_rows(rows, ("badge", "issued", "revoked", "reason", "replaces"))
    return 0


def _lock(args: argparse.Namespace) -> int:
    view = _as_admin(
        args,
        "user.administer",
        lambda uow: identity_admin.lock_user(uow, args.username, args.reason),
    )
    print(f"user {view.username} is now {view.status}")
    return 0


def _unlock(args: argparse.Namespace) -> int:
    view = _as_admin(
        args,
        "user.administer",
        lambda uow: identity_admin.unlock_user(uow, args.username, args.reason),
    )
    print(f"user {view.username} is now {view.status}")
    return 0


def _grant(args: argparse.Namespace) -> int:
    roles = _as_admin(
        args, "role.grant", lambda uow: access.grant_role(uow, args.username, args.role)
    )
    print(f"{args.username}: {', '.join(sorted(roles))}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    roles = _as_admin(
        args,
        "role.grant",
        lambda uow: access.revoke_role(uow, args.username, args.role, args.reason),
    )
    print(f"{args.username}: {', '.join(sorted(roles)) or 'no roles'}")
    return 0


def _roles(args: argparse.Namespace) -> int:
    svc = services(args)
    with svc.uow("system") as uow:
        if args.username:
            roles = access.roles_of(uow, args.username)
            perms = access.permissions_of(uow, args.username)
            print(f"{args.username}: roles {', '.join(sorted(roles)) or 'none'}")
            print(f"permissions: {', '.join(sorted(perms)) or 'none'}")
            return 0
        matrix = access.role_matrix(uow)
    print_rows(
        [(r, ", ".join(sorted(p))) for r, p in sorted(matrix.items())], ("role", "permissions")
    )
    return 0


def _verify_identity(args: argparse.Namespace) -> int:
    svc = services(args)
    _reauth(svc, args, "identity.verify")
    with svc.uow(args.actor) as uow:
        identity_admin.verify_identity(uow, args.username, args.method)
        uow.commit()
    print(f"identity of {args.username} verified by {args.actor}: {args.method}")
    return 0


def _ack(args: argparse.Namespace) -> int:
    svc = services(args)
    policy = cli_policy(svc)
    print(
        f"Policy {policy.signature_policy_version}: my electronic signature is the legally "
        "binding equivalent of my handwritten signature, and I will not share my PIN or badge."
    )
    pin = _secret(args, f"PIN of {args.username} to acknowledge: ")
    identity_admin.acknowledge_policy(
        svc.session_factory,
        Credentials(pin=pin, username=args.username),
        station=svc.settings.name,
        policy=policy,
    )
    print(f"{args.username} acknowledged {policy.signature_policy_version}")
    return 0
