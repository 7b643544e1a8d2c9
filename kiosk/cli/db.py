"""`workcell db ...`: roles, migrations, demo data. Runs on the admin URL."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
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
    p = dbsub.add_parser(
        "backup", help="pg_dump the database to FILE with a SHA-256 manifest beside it"
    )
    p.add_argument("file", type=Path, metavar="FILE", help="new file (never overwritten)")
    p.set_defaults(func=_backup)
    p = dbsub.add_parser(
        "restore",
        help="restore FILE (checksum checked) into a new, empty database, then seal and verify",
    )
    p.add_argument("file", type=Path, metavar="FILE", help="a backup written by `db backup`")
    p.add_argument(
        "--anchors",
        type=Path,
        action="append",
        default=[],
        help="anchor file to verify the restored chain against (repeatable; default: this "
        "station's, when it exists)",
    )
    p.set_defaults(func=_restore)
    p = dbsub.add_parser(
        "history", help="the operations log: backups taken and restores made, newest first"
    )
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=_history)


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


def _dsn(url: str) -> str:
    from kiosk.database import libpq_url

    return libpq_url(url)


def _backup(args: argparse.Namespace) -> int:
    from domain.operations.backup import backup as take_backup
    from domain.operations.backup import file_sha256, manifest_path, record_backup

    dsn = _dsn(_admin_url(args))
    manifest = take_backup(dsn, args.file)
    print(
        f"backup of {manifest.database} (installation {manifest.installation}, epoch "
        f"{manifest.epoch}, chain head at position {manifest.head_position}, "
        f"{manifest.entries} audit entries, revision {manifest.schema_revision}) written to "
        f"{args.file}: {manifest.dump_bytes} bytes, SHA-256 {manifest.dump_sha256}\n"
        f"pg_dump {manifest.pg_dump_version} for PostgreSQL {manifest.server_version}\n"
        f"SHA-256 of {manifest_path(args.file).name} (record it outside the backup): "
        f"{file_sha256(manifest_path(args.file))}"
    )
    return _logged(lambda: record_backup(dsn, args.file, manifest), "backup")


def _logged(write: Any, what: str) -> int:
    """Record the operation; the backup or restore itself stands even if that fails (a
    read-only standby), but the admin is told, with a distinct exit status."""
    import psycopg

    try:
        event = write()
    except psycopg.Error as exc:
        print(
            f"warning: the {what} is complete but was not recorded in the operations log: "
            f"{str(exc).strip()}",
            file=sys.stderr,
        )
        return 1
    print(f"recorded in the operations log as event {event.id} at {event.at} ({event.db_login})")
    return 0


def _history(args: argparse.Namespace) -> int:
    import json

    from domain.operations import oplog
    from kiosk.cli.common import print_rows

    events = oplog.recent(_dsn(_admin_url(args)), args.limit)
    rows = [
        (e.id, e.kind, e.at, e.db_login, e.os_user, e.host,
         e.detail if args.format == "json" else json.dumps(e.detail, sort_keys=True))
        for e in events
    ]  # fmt: skip
    print_rows(rows, ("id", "kind", "at", "db login", "os user", "host", "detail"), args.format)
    return 0


def _restore(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from domain.audit.anchors import read_anchors
    from domain.db import make_engine
    from domain.operations import restore
    from kiosk import dbadmin
    from kiosk.database import ensure_database

    manifest = restore.check_backup(args.file)  # before anything is created
    print(f"{args.file}: SHA-256 and size match its manifest")
    admin = _admin_url(args)
    url = make_url(admin)
    ensure_database(url, url.database or "postgres")
    major = restore.require_empty(_dsn(admin))
    dbadmin.init_roles_on(admin)
    restore.load(_dsn(admin), args.file, manifest, major)
    print(f"restored into {url.database} (PostgreSQL {major})")
    files = args.anchors or [p for p in [load_settings().anchor_file] if p.exists()]
    anchors = [a for f in files for a in read_anchors(f)]
    engine = make_engine(admin)
    try:
        report = restore.after_restore(engine, manifest, anchors)
    finally:
        engine.dispose()
    for line in report.lines(manifest):
        print(line)
    for warning in report.verify.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    verdict = "INTACT" if report.verify.ok else "NOT INTACT"
    print(
        f"audit trail {verdict}: {report.verify.entries} entries, {report.verify.chained} "
        f"sealed, {report.verify.anchors_checked} anchors checked, all rows compared"
    )
    for problem in report.verify.problems[:50]:
        print(f"  [{problem.kind}] {problem.message}")
    logged = _logged(
        lambda: restore.record_restore(_dsn(admin), args.file, manifest, report), "restore"
    )
    return 0 if report.ok and logged == 0 else 1
