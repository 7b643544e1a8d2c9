"""Helpers shared by the CLI modules."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from kiosk.bootstrap import Services, build_services


def services(args: argparse.Namespace, *, admin: bool = False) -> Services:
    return build_services(admin=admin)


def add_actor(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="actor",
        required=True,
        metavar="USERNAME",
        help="the person performing this action (recorded in the audit trail)",
    )


def add_reason(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument("--reason", required=required, help="reason for the change (audit trail)")


def print_rows(rows: Sequence[Sequence[Any]], headers: Sequence[str], fmt: str = "table") -> None:
    if fmt == "json":
        print(json.dumps([dict(zip(headers, r, strict=True)) for r in rows], default=str, indent=2))
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


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def lines(items: Iterable[str]) -> None:
    for line in items:
        print(line)
