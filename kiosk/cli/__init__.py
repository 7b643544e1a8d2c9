"""`workcell` command line. Each area registers its sub-commands from its own module."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from domain.errors import WorkCellError, translate

# Modules under kiosk/cli/ that contribute sub-commands, in help order.
COMMAND_MODULES = ["app", "db", "station", "user", "item", "audit", "bom", "routing", "eco", "lot"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workcell", description="WorkCell shop-floor execution (21 CFR Part 11 controls)."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"kiosk.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    if not getattr(args, "func", None):
        args = parser.parse_args(["kiosk", *(argv or [])])
    try:
        result = args.func(args)
    except WorkCellError as exc:
        print(f"{exc.title}: {exc.message}", file=sys.stderr)
        return 2
    except Exception as exc:
        translated = translate(exc)
        if translated is None:
            raise
        print(f"{translated.title}: {translated.message}", file=sys.stderr)
        return 2
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
