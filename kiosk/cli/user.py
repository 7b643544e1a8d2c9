"""`workcell user ...`: people, PINs, badges, roles, lock/unlock, identity verification.

Every privileged action signs the acting administrator (``--as``) in with their PIN,
read with getpass (never echoed, never an argument) or, for scripts and tests, as lines
on standard input with ``--pin-stdin``: first the acting person's PIN, then any secret
the action needs (the new PIN, or the badge id a keyboard-wedge reader types). The CLI
signs in by username, so its station must be registered for username + PIN.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from domain.errors import InvalidInput
from domain.services import access, account_controls, identity, identity_admin, users
from domain.services.identity import Credentials
from domain.uow import UnitOfWork
from kiosk.cli.common import (
    act,
    actor_creds,
    add_actor,
    add_pin_stdin,
    add_reason,
    cli_policy,
    print_rows,
    read,
    secret,
    services,
)
from kiosk.settings import load_settings

T = TypeVar("T")
__all__ = ["cli_policy", "register"]


def register(sub: argparse._SubParsersAction[Any]) -> None:
    us = sub.add_parser("user", help="users, PINs, badges, roles, lock/unlock")
    ussub = us.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    p = _cmd(ussub, "add", _add, "add a person (usernames are never reused)", actor=False)
    add_pin_stdin(p)
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
    add_actor(p, required=False)  # optional: read in a signed-in session
    p.set_defaults(func=_list)
    p = _cmd(ussub, "disable", _disable, "disable an account (never deleted)", reason=True)
    p.add_argument("username")
    p = _cmd(ussub, "set-pin", _set_pin, "set a temporary PIN (the user must change it)")
    p.add_argument("username")
    p = _cmd(ussub, "change-pin", _change_pin, "change your own PIN", actor=False)
    add_pin_stdin(p)
    p.add_argument("username")
    p = _cmd(ussub, "add-badge", _add_badge, "issue a badge (tap it or type its id)")
    p.add_argument("username")
    p.add_argument("--replaces", type=int, metavar="BADGE_ID", help="the lost badge it replaces")
    p = _cmd(ussub, "revoke-badge", _revoke_badge, "revoke a badge at once", reason=True)
    p.add_argument("badge_id", type=int)
    p = _cmd(
        ussub, "badge-lost", _badge_lost,
        "a badge reported lost: revoked everywhere at once, its sessions ended", reason=True,
    )  # fmt: skip
    p.add_argument("badge_id", type=int)
    p = _cmd(ussub, "review", _review, "the periodic account review (roles, last sign-in, dormant)")
    p.add_argument("--dormant", action="store_true", help="only the dormant accounts")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument(
        "--report", type=Path, metavar="FILE", help="also write the review as a PDF to sign"
    )
    p = _cmd(
        ussub, "disable-dormant", _disable_dormant,
        "disable dormant accounts: one decision confirmed with your PIN", reason=True,
    )  # fmt: skip
    p.add_argument("usernames", nargs="+", metavar="USERNAME")
    p = ussub.add_parser(
        "account-policy", help="the dormancy period and reader-test interval (show or change)"
    )
    p.add_argument("--dormant-days", type=int, metavar="DAYS", help="dormant after (7-3650)")
    p.add_argument(
        "--reader-test-days", type=int, metavar="DAYS", help="test each reader every (1-730)"
    )
    add_actor(p, required=False)
    add_reason(p, required=False)
    p.set_defaults(func=_account_policy)
    p = ussub.add_parser("badges", help="list a person's badges (card ids are never shown)")
    p.add_argument("username")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
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
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=_roles)
    p = _cmd(ussub, "verify-identity", _verify_identity, "record a person's identity check")
    p.add_argument("username")
    p.add_argument("--method", required=True, help="how, e.g. 'passport checked, HR file 123'")
    p = _cmd(ussub, "acknowledge-policy", _ack, "acknowledge the e-signature policy", actor=False)
    add_pin_stdin(p)
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
    p.set_defaults(func=func)
    return p


def _add(args: argparse.Namespace) -> int:
    if args.bootstrap:
        svc = services(args, admin=True)  # owner-side: the bootstrap function, once
        try:
            pin = secret(args, f"Choose a PIN for {args.username}: ", confirm=True)
            with UnitOfWork.system(svc.session_factory, "bootstrap", "first administrator") as uow:
                identity_admin.bootstrap_admin(
                    uow, args.username, args.printed_name, pin, policy=cli_policy(svc)
                )
                uow.commit()
                view = users.get_user(uow, args.username)
        finally:
            svc.dispose()
        print(f"user {view.username} ({view.printed_name}) added as the first administrator")
        return 0
    view = act(
        args,
        lambda uow: users.add_user(uow, args.username, args.printed_name),
        permission="user.administer",
    )
    print(f"user {view.username} ({view.printed_name}) added by {args.actor}")
    print("next: verify-identity, grant a role, set-pin, add-badge")
    return 0


def _list(args: argparse.Namespace) -> int:
    def rows(uow: UnitOfWork) -> list[tuple[str, str, str, str, str]]:
        return [
            (
                u.username,
                u.printed_name,
                u.kind,
                u.status,
                ",".join(sorted(access.roles_of(uow, u.username))),
            )
            for u in users.list_users(uow, include_system=args.all)
        ]

    found = act(args, rows) if args.actor else read(args, rows)
    print_rows(found, ("username", "printed name", "kind", "status", "roles"), args.format)
    return 0


def _disable(args: argparse.Namespace) -> int:
    view = act(
        args,
        lambda uow: users.disable_user(uow, args.username, args.reason),
        permission="user.administer",
    )
    print(f"user {view.username} is now {view.status}")
    return 0


def _set_pin(args: argparse.Namespace) -> int:
    def set_pin(uow: UnitOfWork) -> None:
        pin = secret(args, f"Temporary PIN for {args.username}: ", confirm=True)
        identity_admin.set_pin(uow, args.username, pin, policy=cli_policy(svc))

    svc = services(args)
    try:  # standard input: the acting administrator's PIN first, then the temporary PIN
        act(args, set_pin, permission="user.administer", svc=svc)
    finally:
        svc.dispose()
    print(f"temporary PIN set for {args.username}: usable only to choose a new PIN")
    return 0


def _change_pin(args: argparse.Namespace) -> int:
    svc = services(args)
    try:
        old = secret(args, "Current PIN: ")
        new = secret(args, "New PIN: ", confirm=True)
        identity.change_pin(
            svc.session_factory,
            Credentials(pin=old, username=args.username),
            new,
            station=svc.settings.name,
            policy=cli_policy(svc),
        )
    finally:
        svc.dispose()
    print(f"PIN changed for {args.username}")
    return 0


def _add_badge(args: argparse.Namespace) -> int:
    def add(uow: UnitOfWork) -> identity_admin.BadgeView:
        uid = secret(args, f"Tap the new badge for {args.username} (or type its id): ")
        return identity_admin.add_badge(uow, args.username, uid, replaces_badge_id=args.replaces)

    # standard input: the acting administrator's PIN first, then the badge id
    view = act(args, add, reason="badge issued", permission="user.administer")
    extra = f", replacing badge {view.replaces_id}" if view.replaces_id else ""
    print(f"badge {view.id} issued to {view.username}{extra}")
    return 0


def _revoke_badge(args: argparse.Namespace) -> int:
    view = act(
        args,
        lambda uow: identity_admin.revoke_badge(uow, args.badge_id, args.reason),
        permission="user.administer",
    )
    print(f"badge {view.id} of {view.username} revoked")
    return 0


def _badge_lost(args: argparse.Namespace) -> int:
    view = act(
        args,
        lambda uow: account_controls.report_badge_lost(uow, args.badge_id, args.reason),
        permission="user.administer",
    )
    print(f"badge {view.id} of {view.username} revoked as lost; their badge sessions ended")
    return 0


REVIEW_HEADERS = (
    "username", "printed name", "status", "roles", "created", "last sign in", "last activity",
    "active badges", "revoked badges", "identity verified", "dormant",
)  # fmt: skip


def _review(args: argparse.Namespace) -> int:
    if args.report and args.report.exists():
        raise InvalidInput(f"{args.report} exists already; a review never overwrites a file.")

    def review(uow: UnitOfWork) -> tuple[list[account_controls.ReviewRow], str]:
        now = uow.session.scalar(sa.select(sa.func.now()))  # the server's clock
        return account_controls.review(uow), now.isoformat(timespec="seconds") if now else ""

    rows, now = act(args, review, permission="security.view")
    shown = [r for r in rows if r.dormant] if args.dormant else rows
    print_rows(
        [
            (r.username, r.printed_name, r.status, ",".join(r.roles), r.created_at,
             r.last_sign_in, r.last_activity, r.active_badges, r.revoked_badges,
             r.identity_verified, r.dormant)
            for r in shown
        ],
        REVIEW_HEADERS,
        args.format,
    )  # fmt: skip
    if args.format == "table":
        days = rows[0].dormant_after_days if rows else None
        dormant = sum(r.dormant for r in rows)
        print(f"{len(rows)} people, {dormant} dormant (unused for {days} days or more)")
    if args.report:
        _review_report(args, rows, now)
    return 0


def _review_report(
    args: argparse.Namespace, rows: list[account_controls.ReviewRow], now: str
) -> None:
    from domain.operations import account_report  # WeasyPrint: only when a report is asked
    from kiosk.database import describe

    report = account_report.ReviewReport(
        describe(load_settings()), now, args.actor,
        rows[0].dormant_after_days if rows else 0, tuple(rows),
    )  # fmt: skip
    pdf, _, pages = account_report.render(report)
    partial = args.report.with_name(f".{args.report.name}.partial")
    partial.write_bytes(pdf)
    os.replace(partial, args.report)  # never a half-written file under the real name
    print(f"report: {args.report} ({pages} pages)", file=sys.stderr)


def _disable_dormant(args: argparse.Namespace) -> int:
    """The administrator's PIN signs them in and, fresh, signs the decision itself."""
    svc = services(args)
    try:
        decision = act(
            args,
            lambda uow: account_controls.disable_dormant(
                uow, args.usernames, args.reason, actor_creds(args), station=svc.settings.name
            ),
            permission="user.administer",
            svc=svc,
        )
    finally:
        svc.dispose()
    print(f"decision {decision}: disabled {', '.join(args.usernames)} (dormant)")
    return 0


def _account_policy(args: argparse.Namespace) -> int:
    if args.dormant_days is None and args.reader_test_days is None:
        policy = read(args, account_controls.account_policy)
    else:
        if not args.actor or not args.reason:
            raise InvalidInput("A change needs --as USERNAME and --reason.")
        svc = services(args)
        try:
            policy = act(
                args,
                lambda uow: account_controls.set_account_policy(
                    uow, args.reason, actor_creds(args), station=svc.settings.name,
                    dormant_after_days=args.dormant_days,
                    reader_test_interval_days=args.reader_test_days,
                ),
                permission="user.administer",
                svc=svc,
            )  # fmt: skip
        finally:
            svc.dispose()
    print(f"dormant after {policy.dormant_after_days} days without use")
    print(f"each badge reader tested every {policy.reader_test_interval_days} days")
    return 0


def _badges(args: argparse.Namespace) -> int:
    rows = read(
        args,
        lambda uow: [
            (b.id, b.issued_at, b.revoked_at, b.revoke_reason, b.replaces_id)
            for b in identity_admin.list_badges(uow, args.username)
        ],
    )
    print_rows(rows, ("badge", "issued", "revoked", "reason", "replaces"), args.format)
    return 0


def _lock(args: argparse.Namespace) -> int:
    view = act(
        args,
        lambda uow: identity_admin.lock_user(uow, args.username, args.reason),
        permission="user.administer",
    )
    print(f"user {view.username} is now {view.status}")
    return 0


def _unlock(args: argparse.Namespace) -> int:
    """The administrator's PIN signs them in and, fresh, confirms the unlock itself."""
    svc = services(args)
    try:
        view = act(
            args,
            lambda uow: identity_admin.unlock_user(
                uow, args.username, args.reason, actor_creds(args), station=svc.settings.name
            ),
            permission="user.administer",
            svc=svc,
        )
    finally:
        svc.dispose()
    print(f"user {view.username} is now {view.status}")
    return 0


def _grant(args: argparse.Namespace) -> int:
    roles = act(
        args, lambda uow: access.grant_role(uow, args.username, args.role), permission="role.grant"
    )
    print(f"{args.username}: {', '.join(sorted(roles))}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    roles = act(
        args,
        lambda uow: access.revoke_role(uow, args.username, args.role, args.reason),
        permission="role.grant",
    )
    print(f"{args.username}: {', '.join(sorted(roles)) or 'no roles'}")
    return 0


def _roles(args: argparse.Namespace) -> int:
    if args.username:
        roles, perms = read(
            args,
            lambda uow: (
                access.roles_of(uow, args.username),
                access.permissions_of(uow, args.username),
            ),
        )
        if args.format != "table":
            row = (args.username, ",".join(sorted(roles)), ",".join(sorted(perms)))
            print_rows([row], ("username", "roles", "permissions"), args.format)
            return 0
        print(f"{args.username}: roles {', '.join(sorted(roles)) or 'none'}")
        print(f"permissions: {', '.join(sorted(perms)) or 'none'}")
        return 0
    matrix = read(args, access.role_matrix)
    print_rows(
        [(r, ", ".join(sorted(p))) for r, p in sorted(matrix.items())],
        ("role", "permissions"),
        args.format,
    )
    return 0


def _verify_identity(args: argparse.Namespace) -> int:
    act(
        args,
        lambda uow: identity_admin.verify_identity(uow, args.username, args.method),
        permission="identity.verify",
    )
    print(f"identity of {args.username} verified by {args.actor}: {args.method}")
    return 0


def _ack(args: argparse.Namespace) -> int:
    svc = services(args)
    try:
        policy = cli_policy(svc)
        version = identity.server_policy(svc.session_factory).signature_policy_version
        print(
            f"Policy {version}: my electronic signature is the legally binding equivalent of "
            "my handwritten signature, and I will not share my PIN or badge."
        )
        pin = secret(args, f"PIN of {args.username} to acknowledge: ")
        identity_admin.acknowledge_policy(
            svc.session_factory,
            Credentials(pin=pin, username=args.username),
            station=svc.settings.name,
            policy=policy,
        )
    finally:
        svc.dispose()
    print(f"{args.username} acknowledged {version}")
    return 0
