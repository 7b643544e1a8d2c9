"""`workcell station ...`: station login roles and settings."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from kiosk import dbadmin
from kiosk.database import resolve_urls, station_role_name
from kiosk.settings import default_config_path, load_settings, render_settings


def register(sub: argparse._SubParsersAction[Any]) -> None:
    st = sub.add_parser("station", help="stations: login roles and settings")
    stsub = st.add_subparsers(dest="station_command", metavar="ACTION", required=True)
    p = stsub.add_parser("add", help="create a station's own login role (member of workcell_app)")
    p.add_argument("name")
    p.add_argument("--password", action="store_true", help="prompt for a password for the login")
    p.set_defaults(func=_add)
    p = stsub.add_parser("show", help="show this station's settings")
    p.set_defaults(func=_show)


def _add(args: argparse.Namespace) -> int:
    settings = load_settings()
    role = station_role_name(args.name)
    password = getpass.getpass(f"password for {role}: ") if args.password else None
    created = dbadmin.add_station(resolve_urls(settings).admin, role, password)
    print(f"station login {role} {'created' if created else 'already existed; grants checked'}")
    print(
        "set on that station: WORKCELL_DATABASE_URL=postgresql://"
        f"{role}:<password>@<server>:5432/<database>"
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    settings = load_settings()
    print(f"# settings file: {default_config_path()}")
    print(render_settings(settings))
    return 0
