"""Rendering shared by `workcell bom`, `workcell routing` and `workcell eco`."""

from __future__ import annotations

import argparse
import datetime as dt
from decimal import Decimal

from domain.services import effectivity
from domain.services.compare import Comparison, text_of
from domain.services.effectivity import RevisionSummary
from kiosk.bootstrap import Services
from kiosk.cli.common import print_rows


def add_as_of(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        metavar="DATE",
        help="YYYY-MM-DD (00:00 in the site time zone) or an ISO date and time; default now",
    )


def instant(svc: Services, value: str | None) -> dt.datetime | None:
    """The --as-of instant, or None for "now on the database server"."""
    return effectivity.parse_instant(value, svc.settings.timezone) if value else None


def local(svc: Services, when: dt.datetime | None) -> str:
    if when is None:
        return "-"
    zone = effectivity.site_zone(svc.settings.timezone)
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def effective_text(svc: Services, s: RevisionSummary) -> str:
    if s.effective_from is None:
        return "not released"
    end = local(svc, s.effective_to) if s.effective_to else "open"
    return f"{local(svc, s.effective_from)} → {end}"


def print_header(svc: Services, s: RevisionSummary) -> None:
    print(f"{s.title}  [{s.status.replace('_', ' ')}]  {s.description}".rstrip())
    print(f"  effective: {effective_text(svc, s)}")
    print(f"  created {local(svc, s.created_at)} by {s.created_by}; version {s.version}")
    print(f"  content sha256 {s.content_hash}")


def print_history(svc: Services, revs: list[RevisionSummary], fmt: str) -> None:
    print_rows(
        [
            (s.revision, s.status, local(svc, s.effective_from), local(svc, s.effective_to),
             s.created_by, s.description)
            for s in revs
        ],
        ("rev", "status", "effective from", "effective to", "created by", "description"),
        fmt,
    )  # fmt: skip


def print_comparison(c: Comparison, fmt: str) -> None:
    if fmt == "table":
        print(f"{c.left.title} → rev {c.right.revision}: {c.count('added')} added, "
              f"{c.count('removed')} removed, {c.count('changed')} changed")  # fmt: skip
    rows = []
    for d in c.differences:
        if d.kind == "changed":
            for ch in d.changes:
                rows.append(("~", d.key, ch.field, ch.before, ch.after))
        else:
            sign = "+" if d.kind == "added" else "-"
            rows.append((sign, d.key, "", d.before, d.after))
    headers = ("", "line", "field", c.left.revision, c.right.revision)
    print_rows(rows, headers, fmt, keys=("change", "line", "field", "left", "right"))


def qty(value: Decimal) -> str:
    return text_of(value)
