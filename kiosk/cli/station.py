"""`workcell station ...`: station logins, their registration (11.10(h)), and settings.

``add`` runs on the owner/admin URL: it creates the station's login role and registers the
station (where it is, which sign-in methods it accepts). ``list`` reads the registry (with
``--as`` someone with security.view: open sessions and failures too);
``disable``/``enable``/``clear`` are an administrator's actions (``--as``, with their PIN)
through domain/services/stations.py, from another admin terminal.
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from sqlalchemy import text

from domain.services import account_controls, stations
from domain.services.identity import Credentials
from domain.uow import UnitOfWork
from kiosk.bootstrap import station_name
from kiosk.cli.common import (
    act,
    actor_creds,
    actor_pin,
    add_actor,
    add_reason,
    print_rows,
    read,
    secret,
    services,
)
from kiosk.database import resolve_urls, station_role_name
from kiosk.settings import default_config_path, load_settings, render_settings

_STATIONS = text(
    "SELECT name, login_role, site, zone, array_to_string(methods, ', '),"
    " concurrent_sessions, enabled FROM workcell.station ORDER BY name"
)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    st = sub.add_parser("station", help="stations: login roles, registration and settings")
    stsub = st.add_subparsers(dest="station_command", metavar="ACTION", required=True)
    p = stsub.add_parser(
        "add", help="create a station's own login role (member of workcell_app) and register it"
    )
    p.add_argument("name")
    p.add_argument("--password", action="store_true", help="prompt for a password for the login")
    p.add_argument("--site", default="", help="where the station is (at most 40 characters)")
    p.add_argument("--zone", default="", help="area or line (at most 40 characters)")
    p.add_argument(
        "--username-pin",
        action="store_true",
        help="also accept username + PIN (admin terminals only; the floor uses badge + PIN)",
    )
    p.add_argument(
        "--concurrent",
        action="store_true",
        help="an admin terminal serving several people at once (CLI sessions); a kiosk "
        "has one person at a time, and a sign-in ends the previous person's session",
    )
    p.set_defaults(func=_add)
    p = stsub.add_parser("list", help="registered stations")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    add_actor(p, required=False)
    p.set_defaults(func=_list)
    for name, enabled, text_ in (
        ("disable", False, "disable a station at once (its sessions end)"),
        ("enable", True, "enable a disabled station again"),
    ):
        p = stsub.add_parser(name, help=text_)
        p.add_argument("name")
        add_actor(p)
        add_reason(p)
        p.set_defaults(func=_set_enabled, enabled=enabled)
    p = stsub.add_parser(
        "clear", help="start a station's failed-attempt count again (after a review)"
    )
    p.add_argument("name")
    add_actor(p)
    add_reason(p)
    p.set_defaults(func=_clear)
    rt = stsub.add_parser("reader-test", help="the periodic test of badge readers (11.300(e))")
    rtsub = rt.add_subparsers(dest="reader_test_command", metavar="ACTION", required=True)
    p = rtsub.add_parser(
        "record",
        help="record a reader test: a pass is your badge tapped on the reader of this station",
    )
    p.add_argument("name", help="the station tested")
    p.add_argument("--reader", required=True, help="the reader's name (e.g. 'ACS ACR122U')")
    p.add_argument("--result", required=True, choices=account_controls.RESULTS)
    p.add_argument("--detail", default="", help="what happened (required for a failure)")
    add_actor(p)
    p.set_defaults(func=_reader_test_record)
    p = rtsub.add_parser("overdue", help="stations whose reader's last passed test is too old")
    p.add_argument("--all", action="store_true", help="every badge station, not just overdue")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    add_actor(p)
    p.set_defaults(func=_reader_test_overdue)
    p = stsub.add_parser("show", help="show this station's settings")
    p.set_defaults(func=_show)


def _add(args: argparse.Namespace) -> int:
    from kiosk import dbadmin  # alembic: only for the commands that need it

    settings = load_settings()
    role = station_role_name(args.name)
    name = station_name(args.name)
    password = getpass.getpass(f"password for {role}: ") if args.password else None
    methods = ("badge+pin", "username+pin") if args.username_pin else ("badge+pin",)
    created = dbadmin.add_station(
        resolve_urls(settings).admin,
        role,
        password,
        name=name,
        methods=methods,
        concurrent=args.concurrent,
        site=args.site,
        zone=args.zone,
    )
    state = "created" if created else "already existed; grants checked"
    print(f"station {name}: login {role} {state}; accepts {' or '.join(methods)}")
    print(
        "set on that station: WORKCELL_DATABASE_URL=postgresql://"
        f"{role}:<password>@<server>:5432/<database>"
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    headers = ("station", "login", "site", "zone", "methods", "concurrent", "enabled")
    if not args.actor:
        rows = read(args, lambda uow: [tuple(r) for r in uow.session.execute(_STATIONS)])
        print_rows(rows, headers, args.format)
        return 0
    views = act(args, stations.list_stations)
    print_rows(
        [
            (v.name, v.login_role, v.site, v.zone, ", ".join(v.methods), v.concurrent_sessions,
             v.enabled, v.open_sessions, v.failures, v.blocked)
            for v in views
        ],
        (*headers, "sessions", "failures", "blocked"),
        args.format,
    )  # fmt: skip
    return 0


def _set_enabled(args: argparse.Namespace) -> int:
    act(
        args,
        lambda uow: stations.set_enabled(uow, args.name, args.enabled, args.reason),
        reason=args.reason,
    )
    print(f"station {args.name} is now {'enabled' if args.enabled else 'disabled'}")
    return 0


def _clear(args: argparse.Namespace) -> int:
    act(args, lambda uow: stations.clear(uow, args.name, args.reason), reason=args.reason)
    print(f"station {args.name}: failed-attempt count starts again")
    return 0


def _reader_test_record(args: argparse.Namespace) -> int:
    """The tester's PIN signs them in; a pass then reads their badge from the reader under
    test (a keyboard-wedge reader types it; with --pin-stdin the next line), a failure
    is confirmed with the PIN again."""
    svc = services(args)

    def record(uow: UnitOfWork) -> int:
        if args.result == "pass":
            uid = secret(args, "Tap your badge on the reader under test: ")
            creds = Credentials(pin=actor_pin(args), badge_uid=uid)
        else:
            creds = actor_creds(args)
        return account_controls.record_reader_test(
            uow, args.name, args.reader, args.result, args.detail, creds,
            station=svc.settings.name,
        )  # fmt: skip

    try:
        test_id = act(args, record, permission="reader.test", svc=svc)
    finally:
        svc.dispose()
    print(f"reader test {test_id}: {args.name} {args.reader} {args.result}")
    return 0


def _reader_test_overdue(args: argparse.Namespace) -> int:
    views = act(
        args,
        lambda uow: account_controls.reader_test_status(uow, overdue_only=not args.all),
        permission="security.view",
    )
    print_rows(
        [
            (v.station, v.site, v.zone, v.last_tested_at, v.last_result, v.last_passed_at,
             v.due_at, v.overdue)
            for v in views
        ],
        ("station", "site", "zone", "last tested", "last result", "last passed", "due",
         "overdue"),
        args.format,
    )  # fmt: skip
    # a scheduled job can alert on the exit code: 1 when a reader is overdue (a check that
    # found a problem, as `audit verify`), 0 when none is
    return 1 if any(v.overdue for v in views) else 0


def _show(args: argparse.Namespace) -> int:
    settings = load_settings()
    print(f"# settings file: {default_config_path()}")
    print(render_settings(settings))
    return 0
