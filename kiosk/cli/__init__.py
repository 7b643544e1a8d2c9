"""`workcell` command line. Each area registers its sub-commands from its own module.

Start-up is kept short (docs/BENCHMARKS.md, "CLI start-up"): the parser is built from
``COMMANDS`` below, and only the module of the command being run is imported (with its
database, alembic or Textual imports). `workcell --help` imports none of them.

Exit codes (docs/admin.md, "Exit codes"): 0 done, 1 a check found a problem (`audit
verify`, `db status`), 2 usage, 3 not found, 4 refused, 5 database unavailable, 70 an
unexpected error (logged in full in the data directory's workcell.log).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Any

OK = 0
CHECK_FAILED = 1
USAGE = 2
NOT_FOUND = 3
REFUSED = 4
DATABASE_UNAVAILABLE = 5
INTERNAL_ERROR = 70

# command → (module under kiosk/cli/ that registers it, its one-line help), in help order.
# tests/unit/test_cli.py checks that each module registers exactly these, with this help.
COMMANDS: dict[str, tuple[str, str]] = {
    "kiosk": ("app", "start the station app (the default command)"),
    "demo": ("app", "start the station app on a private embedded database with demo data"),
    "db": ("db", "database: roles, migrations, demo data"),
    "station": ("station", "stations: login roles, registration and settings"),
    "user": ("user", "users, PINs, badges, roles, lock/unlock"),
    "item": ("item", "items: add, import, list, show"),
    "audit": ("audit", "audit trail: seal, verify, show, export"),
    "bom": ("bom", "bills of materials: show, explode, history, import, compare"),
    "routing": ("routing", "routings: show, history, import, compare"),
    "eco": ("eco", "engineering change orders: create, sign, show, list"),
    "lot": ("lot", "lots: receive, show, release, reject, hold, unhold, move, retest"),
    "trace": ("lot", "genealogy of a lot or serial, backward or forward"),
    "recall": ("lot", "shipped lots/serials and customers a lot reached (CSV)"),
    "inventory": ("lot", "inventory checks"),
    "label": ("label", "print or write a lot or serial label (GS1-128, ZPL)"),
    "po": ("purchasing", "purchase-order lines receipts count against: add, amend, close, show"),
    "uom": ("purchasing", "unit-of-measure conversions of an item: add, retire, list"),
    "equipment": ("equipment", "equipment and instruments: list, show, register, calibrate, clean"),
    "wo": ("work_order", "work orders: create, release, list, show, cancel"),
    "qual": ("work_order", "training: grant, list, expiring"),
    "ebr": ("ebr", "batch record / device history record: print one (PDF/A-3b), verify one"),
    "record": ("record", "true copy of one record (PDF/A-3b or JSON, registered), verify one"),
    "quality": (
        "quality",
        "AQL look-up, inspection templates, inspections, switching, NCRs, CAPA",
    ),
    "validate": ("validate", "installation and operational qualification (IQ/OQ), PDF report"),
}
COMMAND_MODULES = list(dict.fromkeys(module for module, _ in COMMANDS.values()))
EPILOG = (
    "exit codes: 0 done, 1 a check found a problem, 2 usage, 3 not found, 4 refused, "
    "5 database unavailable, 70 unexpected error (see workcell.log)"
)
log = logging.getLogger(__name__)


ALL = "*"


def build_parser(command: str | None = ALL) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported (None: none, for `workcell --help`;
    ``ALL``: every module, as for tests and documentation)."""
    parser = argparse.ArgumentParser(
        prog="workcell",
        description="WorkCell shop-floor execution (21 CFR Part 11 controls).",
        epilog=EPILOG,
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also print log records and the database used on stderr",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        names = [name for name, (m, _) in COMMANDS.items() if m == module]
        if command == ALL or command in names:
            importlib.import_module(f"kiosk.cli.{module}").register(sub)
        else:
            for name in names:
                sub.add_parser(name, help=COMMANDS[name][1], add_help=False)
    return parser


def _command_of(argv: list[str]) -> str | None:
    """The sub-command named in ``argv`` (the first word that is not an option)."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _command_of(argv)
    only_options = all(a.startswith("-") for a in argv)
    if command is None and only_options and not any(a in ("-h", "--help") for a in argv):
        argv, command = [*argv, "kiosk"], "kiosk"  # `workcell` alone starts the app
    parser = build_parser(command)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    _configure_logging(args)
    try:
        return run(args)
    finally:
        from kiosk.logs import reset_logging

        reset_logging()


def run(args: argparse.Namespace) -> int:
    from domain.errors import WorkCellError

    try:
        result = args.func(args)
    except WorkCellError as exc:
        return refused(exc)
    except KeyboardInterrupt:
        print("interrupted; nothing more was done", file=sys.stderr)
        return 130
    except Exception as exc:
        from domain.errors import translate

        translated = translate(exc)
        if translated is not None:
            return refused(translated)
        log.exception("unexpected error in `workcell %s`", args.command)
        print(
            f"Unexpected error: {type(exc).__name__}: {exc} (details in workcell.log)",
            file=sys.stderr,
        )
        return INTERNAL_ERROR
    return int(result or 0)


def refused(exc: Any) -> int:
    """Print a WorkCellError as one line and return its exit code."""
    print(f"{exc.title}: {exc.message}", file=sys.stderr)
    return exit_code(exc)


def exit_code(exc: BaseException) -> int:
    from domain.errors import DatabaseUnavailable, NotFound

    if isinstance(exc, DatabaseUnavailable):
        return DATABASE_UNAVAILABLE
    if isinstance(exc, NotFound):
        return NOT_FOUND
    return REFUSED


def _configure_logging(args: argparse.Namespace) -> None:
    from kiosk.logs import configure_logging
    from kiosk.settings import default_data_dir, load_settings

    try:
        data_dir = load_settings().data_dir
    except (OSError, ValueError):
        data_dir = default_data_dir()
    app = args.command in ("kiosk", "demo")  # the app draws on this terminal
    configure_logging(data_dir, verbose=args.verbose, app=app)


if __name__ == "__main__":
    sys.exit(main())
