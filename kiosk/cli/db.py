"""`workcell db ...`: roles, migrations, demo data. Runs on the admin URL."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kiosk.settings import load_settings

# Imports of alembic (kiosk.dbadmin) and the database layer are inside the commands: the
# parser is built on every `workcell` start (docs/BENCHMARKS.md, CLI start-up).


def register(sub: argparse._SubParsersAction[Any]) -> None:
    db = sub.add_parser("db", help="database: roles, migrations, demo data")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    p = dbsub.add_parser("init-roles", help="create the owner/app/auditor roles (idempotent)")
    p.set_defaults(func=_init_roles)
    p = dbsub.add_parser("upgrade", help="create roles (when allowed) and migrate to the latest")
    p.add_argument("--revision", default="head")
    p.set_defaults(func=_upgrade)
    p = dbsub.add_parser("status", help="show the schema revision against this build's")
    p.set_defaults(func=_status)
    p = dbsub.add_parser("seed-demo", help="load demo users, items and master data")
    p.set_defaults(func=_seed_demo)


def _admin_url(args: argparse.Namespace, *, create: bool = False) -> str:
    from kiosk.cli.common import announce
    from kiosk.database import resolve_urls

    settings = load_settings()
    announce(settings, verbose=getattr(args, "verbose", False))
    return resolve_urls(settings, create=create).admin


def _init_roles(args: argparse.Namespace) -> int:
    from kiosk import dbadmin

    url = _admin_url(args)
    dbadmin.init_roles_on(url)
    print("roles workcell_owner, workcell_app, workcell_auditor are in place")
    if dbadmin.watchdog_rights(url):
        print("workcell_owner holds pg_signal_backend and pg_read_all_stats (station watchdog)")
        return 0
    print(
        "warning: workcell_owner lacks pg_signal_backend/pg_read_all_stats: the station "
        "watchdog cannot end stuck station transactions; run init-roles as a superuser",
        file=sys.stderr,
    )
    return 1


def _upgrade(args: argparse.Namespace) -> int:
    from kiosk import dbadmin

    url = _admin_url(args, create=True)  # the one command (with `demo`) that may create a database
    dbadmin.upgrade(url, args.revision)
    current, head = dbadmin.status(url)
    print(f"database at revision {current} (this build's head: {head})")
    return 0


def _status(args: argparse.Namespace) -> int:
    from kiosk import dbadmin

    current, head = dbadmin.status(_admin_url(args))
    state = "up to date" if current == head else "needs `workcell db upgrade`"
    print(f"database revision: {current or 'none'}\nbuild head:        {head}\n{state}")
    return 0 if current == head else 1


def _seed_demo(args: argparse.Namespace) -> int:
    from kiosk.cli.common import services as station_services
    from kiosk.demo import seed_demo

    services = station_services(args)
    try:
        for line in seed_demo(services):
            print(line)
    finally:
        services.dispose()
    return 0
