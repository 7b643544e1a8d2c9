"""`workcell user ...`: people as actors. Credentials and roles are added by the identity module."""

from __future__ import annotations

import argparse
from typing import Any

from domain.services import users
from kiosk.cli.common import add_actor, add_reason, print_rows, services


def register(sub: argparse._SubParsersAction[Any]) -> None:
    us = sub.add_parser("user", help="users: add, list, disable")
    ussub = us.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    p = ussub.add_parser("add", help="add a person (usernames are never reused)")
    p.add_argument("username")
    p.add_argument("printed_name", help="full name as it appears on signatures")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--as", dest="actor", metavar="USERNAME", help="the administrator acting")
    who.add_argument(
        "--bootstrap",
        action="store_true",
        help="create the very first person; refused once a person exists",
    )
    p.set_defaults(func=_add)
    p = ussub.add_parser("list", help="list users")
    p.add_argument("--all", action="store_true", help="include system actors")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=_list)
    p = ussub.add_parser("disable", help="disable an account (never deleted)")
    p.add_argument("username")
    add_actor(p)
    add_reason(p)
    p.set_defaults(func=_disable)


def _add(args: argparse.Namespace) -> int:
    actor = "bootstrap" if args.bootstrap else args.actor
    svc = services(args)
    with svc.uow(actor) as uow:
        view = users.add_user(uow, args.username, args.printed_name)
        uow.commit()
    print(f"user {view.username} ({view.printed_name}) added by {actor}")
    return 0


def _list(args: argparse.Namespace) -> int:
    svc = services(args)
    with svc.uow("system") as uow:
        rows = users.list_users(uow, include_system=args.all)
    print_rows(
        [(u.username, u.printed_name, u.kind, u.status) for u in rows],
        ("username", "printed name", "kind", "status"),
        args.format,
    )
    return 0


def _disable(args: argparse.Namespace) -> int:
    svc = services(args)
    with svc.uow(args.actor) as uow:
        view = users.disable_user(uow, args.username, args.reason)
        uow.commit()
    print(f"user {view.username} is now {view.status}")
    return 0
