"""`workcell validate`: IQ on the configured database, OQ on a scratch one, a PDF report
(docs/validation.md). Runs on the admin URL (a superuser: the OQ creates and drops a scratch
database and station login, and tampers with the scratch trail to show it is detected)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

from kiosk.settings import load_settings


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser(
        "validate", help="installation and operational qualification (IQ/OQ), PDF report"
    )
    p.add_argument("--report", type=Path, metavar="FILE", help="write the report (PDF) here")
    p.add_argument(
        "--anchors",
        type=Path,
        action="append",
        default=[],
        help="anchor file(s) the trail is checked against (default: this station's)",
    )
    p.add_argument(
        "--iq-only", action="store_true", help="installation checks only (the report says so)"
    )
    p.set_defaults(func=_validate)


def _now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z (UTC%z)")


def _validate(args: argparse.Namespace) -> int:
    from domain.audit.anchors import read_anchors
    from domain.errors import InvalidInput
    from domain.operations.report import Run, render
    from kiosk import validation
    from kiosk.cli.common import announce
    from kiosk.database import resolve_urls

    if args.report and args.report.exists():
        raise InvalidInput(f"{args.report} exists already; the report never overwrites a file.")
    settings = load_settings()
    announce(settings, verbose=getattr(args, "verbose", False))
    admin = resolve_urls(settings).admin
    files = args.anchors or [p for p in [settings.anchor_file] if p.exists()]
    anchors = [a for f in files for a in read_anchors(f)]
    source = ", ".join(str(f) for f in files) or "no anchor file"
    started = _now()
    target = validation.describe(admin)
    checks = validation.iq(admin, anchors, source)
    _print(checks)
    if not args.iq_only:
        print("operational qualification on a scratch database ...", file=sys.stderr)
        oq = validation.oq(admin)
        _print(oq)
        checks += oq
    run = Run(
        target.installation, target.database, target.server, target.build_head, started,
        _now(), source, tuple(checks), not args.iq_only,
    )  # fmt: skip
    failed = [c for c in checks if not c.passed]
    print(
        f"{'PASSED' if run.passed else 'FAILED'}: {len(checks) - len(failed)} of {len(checks)} "
        f"checks passed" + ("" if run.oq_run else " (OQ not run)")
    )
    if args.report:
        pdf, _, pages = render(run)
        partial = args.report.with_name(f".{args.report.name}.partial")
        partial.write_bytes(pdf)
        os.replace(partial, args.report)
        print(f"report: {args.report} ({pages} pages)")
    return 0 if run.passed else 1


def _print(checks: list[Any]) -> None:
    for c in checks:
        line = f"{c.id} {c.verdict} {c.title}: {c.actual}"
        if not c.passed:
            line += f" [expected: {c.expected}; {', '.join(c.clauses)}]"
        print(line)
