"""Helpers shared by the CLI modules.

A command acting as a person (``--as USERNAME``) connects as this station's registered
login (never the owner or a superuser), signs the person in with username + PIN through
the database (identity.authenticate), does its work in ONE transaction of that session and
signs out again. The PIN is read with getpass (never echoed, never an argument) or, for
scripts and tests, as the first line on standard input with ``--pin-stdin``.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from domain.errors import InvalidInput, PermissionDenied
from domain.services import identity
from domain.services.identity import Credentials, IdentityPolicy
from domain.uow import StationSession, UnitOfWork
from kiosk.bootstrap import Services, build_services
from kiosk.database import describe, require_station_login
from kiosk.settings import StationSettings, load_settings

T = TypeVar("T")


def services(args: argparse.Namespace, *, admin: bool = False) -> Services:
    """The station's services (``admin``: the owner/admin URL, for owner-side commands).
    Names the database on stderr first; never creates one (see `resolve_urls`)."""
    settings = load_settings()
    announce(settings, verbose=getattr(args, "verbose", False))
    return build_services(settings, admin=admin)


def announce(settings: StationSettings, *, verbose: bool = False) -> None:
    """One line on stderr naming the database a command works on (so an empty answer from
    the wrong database is never mistaken for an empty plant): for a person at a terminal,
    or with -v; a script reading stdout and stderr gets only the command's own output."""
    if verbose or sys.stderr.isatty():
        print(f"workcell: database {describe(settings)}", file=sys.stderr)


def add_actor(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument(
        "--as",
        dest="actor",
        required=required,
        metavar="USERNAME",
        help="the person performing this action (signs in with their PIN; audit trail)",
    )
    add_pin_stdin(parser)


def add_pin_stdin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pin-stdin",
        action="store_true",
        help="read the PIN (then any other secret) from standard input, one per line",
    )


def add_reason(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument("--reason", required=required, help="reason for the change (audit trail)")


def cli_policy(svc: Services) -> IdentityPolicy:
    """The station's policy; the CLI signs people in by username (the database accepts that
    only on a station registered for it: `workcell station add NAME --username-pin`)."""
    return IdentityPolicy.from_settings(svc.settings, allow_username_pin=True)


def secret(args: argparse.Namespace, prompt: str, *, confirm: bool = False) -> str:
    """One secret: the next line of standard input (``--pin-stdin``) or asked for."""
    if getattr(args, "pin_stdin", False):
        line = sys.stdin.readline()
        if not line.strip():
            raise InvalidInput(f"Expected {prompt.rstrip(': ').lower()} on standard input.")
        return line.strip()
    value = getpass.getpass(prompt)
    if confirm and getpass.getpass("Again: ") != value:
        raise InvalidInput("The two entries differ. Nothing was changed.")
    return value.strip()


def actor_pin(args: argparse.Namespace) -> str:
    """The acting person's PIN (read once; a signing command uses it to sign too)."""
    cached: str | None = getattr(args, "_actor_pin", None)
    if cached is None:
        cached = secret(args, f"PIN of {args.actor}: ")
        args._actor_pin = cached
    return cached


def actor_creds(args: argparse.Namespace) -> Credentials:
    return Credentials(pin=actor_pin(args), username=args.actor)


@contextmanager
def signed_in(
    svc: Services, args: argparse.Namespace, permission: str | None = None
) -> Iterator[StationSession]:
    """``args.actor`` signed in at this station (username + PIN) for one command."""
    if not getattr(args, "actor", None):
        raise InvalidInput("Say who is acting: --as USERNAME.")
    require_station_login(svc.engine)
    who = identity.authenticate(
        svc.session_factory, actor_creds(args), station=svc.settings.name, policy=cli_policy(svc)
    )
    if who.session is None:  # authenticate raises first; a guard for the type checker
        raise PermissionDenied(f"{args.actor} could not be signed in.")
    try:
        if permission and permission not in who.permissions:
            raise PermissionDenied(f"{who.username} may not do this: it needs {permission}.")
        yield who.session
    finally:
        identity.sign_out(svc.session_factory, who.session, "command line: done")


def act(
    args: argparse.Namespace,
    action: Callable[[UnitOfWork], T],
    *,
    reason: str | None = None,
    permission: str | None = None,
    svc: Services | None = None,
) -> T:
    """Sign ``--as`` in, run ``action`` in one committed transaction of their session, sign
    out. Nothing is committed when ``action`` raises."""
    own = svc is None
    svc = svc or services(args)
    try:
        with signed_in(svc, args, permission) as session, svc.uow(session, reason) as uow:
            result = action(uow)
            uow.commit()
        return result
    finally:
        if own:
            svc.dispose()


def read(args: argparse.Namespace, action: Callable[[UnitOfWork], T]) -> T:
    """Read-only work before anyone signs in (a unit of work without a session)."""
    svc = services(args)
    try:
        with svc.uow(None) as uow:
            return action(uow)
    finally:
        svc.dispose()


def print_rows(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str],
    fmt: str = "table",
    *,
    keys: Sequence[str] | None = None,
) -> None:
    """A listing as a table (``headers`` as written), CSV, or JSON objects whose keys are
    ``keys`` or the headers in snake_case ("printed name" → "printed_name")."""
    if fmt == "json":
        names = list(keys) if keys is not None else [json_key(h) for h in headers]
        if len(set(names)) != len(names) or not all(_SNAKE.fullmatch(n) for n in names):
            raise ValueError(f"JSON keys must be distinct snake_case names: {names}")
        print(json.dumps([dict(zip(names, r, strict=True)) for r in rows], default=str, indent=2))
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(headers)
        writer.writerows(rows)
        return
    table = [list(map(_cell, headers))] + [[_cell(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    for n, row in enumerate(table):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


_SNAKE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")


def json_key(header: str) -> str:
    """A column header as a JSON key: lower case, words joined by underscores."""
    return "_".join(re.findall(r"[a-z0-9]+", header.lower()))


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def lines(items: Iterable[str]) -> None:
    for line in items:
        print(line)
