"""`workcell audit ...`: seal, verify, show, export (docs/audit.md)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from domain.audit import query
from domain.audit.anchors import Anchor, append_anchor, last_anchor, read_anchors
from domain.audit.bundle import verify_bundle
from domain.audit.export import export_bundle
from domain.audit.seal import seal
from domain.audit.verify import VerifyReport, verify
from domain.audit.watermark import VerifiedMark, read_mark, write_mark
from domain.errors import translate
from domain.watchdog import end_stuck_transactions
from kiosk.cli.common import act, add_pin_stdin, services
from kiosk.settings import load_settings

PAGE = 500
VERIFIED_MARK = "verified.json"  # what the last verify covered (domain/audit/watermark.py)
SHOW_HEADERS = (
    "id",
    "at",
    "actor",
    "station",
    "table",
    "record",
    "name",
    "op",
    "changed",
    "reason",
    "seal",
)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    au = sub.add_parser("audit", help="audit trail: seal, verify, show, export")
    ausub = au.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    p = ausub.add_parser("seal", help="chain committed entries now and anchor the head")
    p.set_defaults(func=_seal)
    p = ausub.add_parser("verify", help="check the trail; exit 0 intact, 1 not")
    p.add_argument("--anchors", type=Path, help="anchor file (default: this station's)")
    p.add_argument("--bundle", type=Path, help="verify an exported bundle offline (no database)")
    p.add_argument("--grace", type=float, help="seconds an entry may wait to be sealed")
    p.add_argument(
        "--full",
        action="store_true",
        help="compare every regulated row with the trail (default: rows touched since the "
        "last verify and rows whose xmin is not their latest entry's; full once a day)",
    )
    p.set_defaults(func=_verify)
    p = ausub.add_parser("show", help="list entries (newest first) or one entry in full")
    _show_arguments(p)
    p.set_defaults(func=_show)
    p = ausub.add_parser("export", help="write an inspector's bundle")
    p.add_argument("--out", type=Path, required=True, help="new (empty) directory")
    p.set_defaults(func=_export)


def _show_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--table", help="e.g. item or workcell.item")
    p.add_argument(
        "--record",
        help="record key, or its name: an item, lot or ECO number, a username (needs --table)",
    )
    p.add_argument("--user", help="acting user")
    p.add_argument("--station", help="station login role, e.g. station_line1")
    p.add_argument("--since", help="server time, e.g. '2026-11-26 08:00' or with zone '+01'")
    p.add_argument("--until", help="server time (exclusive)")
    p.add_argument("--text", help="text in the record key, reason or values")
    p.add_argument("--entry", type=int, help="show one entry in full (before/after, transaction)")
    p.add_argument("--limit", type=int, default=100, help="rows to show (default 100)")
    p.add_argument("--all", action="store_true", help="every matching row (streamed by pages)")
    p.add_argument("--oldest-first", action="store_true")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    # Issue 4 (identity): `--security` lists security events instead of audit entries.
    p.add_argument(
        "--security",
        action="store_true",
        help="security events (failed sign-ins, lockouts, revoked badges); needs --as",
    )
    p.add_argument(
        "--as", dest="actor", metavar="USERNAME", help="who reads (security.view; signs in)"
    )
    add_pin_stdin(p)
    p.add_argument("--unacknowledged", action="store_true", help="with --security: open ones")
    p.add_argument(
        "--access",
        action="store_true",
        help="the access log: every sign-in and signature attempt (--user, --station, --since,"
        " --refused); needs --as",
    )
    p.add_argument("--refused", action="store_true", help="with --access: refused attempts only")


def _seal(args: argparse.Namespace) -> int:
    svc = services(args)
    try:
        try:  # the watchdog first: a stuck station holding the sealer's lock is ended
            for backend in end_stuck_transactions(svc.engine):
                print(f"station watchdog: {backend.describe()}")
        except Exception as exc:  # sealing goes on without it; say why
            friendly = translate(exc)
            if friendly is None:
                raise
            print(f"warning: {friendly.message}", file=sys.stderr)
        result = seal(svc.engine)
    finally:
        svc.dispose()
    if result.blocked is not None:
        print(result.blocked.describe(), file=sys.stderr)
        return 1
    anchor = last_anchor(svc.settings.anchor_file, result.installation)
    if result.head_position and (anchor is None or anchor.position != result.head_position):
        append_anchor(
            svc.settings.anchor_file,
            result.head_position,
            result.head_hash,
            result.at,
            svc.settings.name,
            result.installation,
            result.epoch,
        )
    print(
        f"sealed {result.sealed} entries; chain head at position {result.head_position}: "
        f"{result.head_hash} (anchored in {svc.settings.anchor_file})"
    )
    return 0


def _verify(args: argparse.Namespace) -> int:
    if args.bundle:
        return _verify_bundle(args.bundle)
    settings = load_settings()
    anchor_path = args.anchors or settings.anchor_file
    if args.anchors and not args.anchors.exists():
        print(f"anchor file {args.anchors} does not exist", file=sys.stderr)
        return 1
    anchors: list[Anchor] = read_anchors(anchor_path)
    grace = args.grace if args.grace is not None else float(settings.unsealed_grace_s)
    mark_path = settings.data_dir / VERIFIED_MARK
    svc = services(args)
    try:
        mark = read_mark(mark_path)
        full = args.full or not _may_start_from(svc.engine, mark)
        since = 0 if full or mark is None else mark.entry_id
        since_xmin = "0" if full or mark is None else mark.tx_horizon
        report = verify(
            svc.engine, anchors, grace, full=full, since_entry=since, since_xmin=since_xmin
        )
    finally:
        svc.dispose()
    _print_report(report, anchor_path)
    if report.ok and report.installation and report.at is not None:
        full_at = report.at if full or mark is None else mark.full_at
        mark_now = VerifiedMark(
            report.installation, report.last_entry_id, full_at, report.epoch, report.snapshot_xmin
        )
        write_mark(mark_path, mark_now)
    return 0 if report.ok else 1


def _may_start_from(engine: Engine, mark: VerifiedMark | None) -> bool:
    if mark is None:
        return False
    with engine.connect() as conn:
        installation, epoch, now = conn.execute(
            text(
                "SELECT (SELECT id::text FROM audit.installation),"
                " (SELECT max(epoch) FROM audit.epoch), now()"
            )
        ).one()
    return mark.starts(str(installation), int(epoch or 1), now)


def _print_report(report: VerifyReport, anchor_path: Path) -> None:
    for alarm in report.alarms:
        print(f"ALARM: {alarm}")
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    mode = "all rows compared" if report.full else "rows touched since the last verify compared"
    counts = (
        f"{report.entries} entries, {report.chained} sealed, {report.pending} awaiting seal, "
        f"{report.anchors_checked} anchors checked ({anchor_path}), {mode}, "
        f"{report.seconds:.1f} s"
    )
    first = report.first
    if first is None:
        print(f"audit trail INTACT: {counts}")
        return
    print(f"audit trail NOT INTACT: {first.message}")
    if first.entry_id is not None:
        print(f"first bad entry: {first.entry_id}")
    for problem in report.problems[:50]:
        print(f"  [{problem.kind}] {problem.message}")
    if len(report.problems) > 50:
        print(f"  ... and {len(report.problems) - 50} more")
    print(counts)


def _verify_bundle(directory: Path) -> int:
    report = verify_bundle(directory)
    if report.ok:
        print(
            f"bundle INTACT: {report.entries} entries, {report.chained} chained, "
            f"{len(report.unsealed)} not yet sealed at export, "
            f"{report.anchors_checked} anchors checked"
        )
        return 0
    print(f"bundle NOT INTACT: {report.problems[0]}")
    for problem in report.problems[1:50]:
        print(f"  {problem}")
    return 1


def _export(args: argparse.Namespace) -> int:
    svc = services(args)
    try:
        anchors = read_anchors(svc.settings.anchor_file)
        result = export_bundle(svc.engine, args.out, anchors, svc.settings.name)
    finally:
        svc.dispose()
    print(
        f"exported {result.entries} entries ({result.chained} sealed) to {result.directory}\n"
        f"chain head: position {result.head_position} {result.head_hash}\n"
        f"SHA-256 of MANIFEST.sha256 (record it outside the bundle): {result.manifest_sha256}"
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    if args.security:
        return _show_security(args)
    if args.access:
        return _show_access(args)
    svc = services(args)
    try:
        with svc.session_factory() as session:
            if args.entry is not None:
                _print_detail(session, query.detail(session, args.entry))
                return 0
            if args.table:
                _require_audited(session, args.table)
            shown = _print_rows(session, _pages(session, args), args.format)
            if not shown and args.format == "table":
                print("no audit entries match these filters", file=sys.stderr)
    finally:
        svc.dispose()
    return 0


def _show_security(args: argparse.Namespace) -> int:
    """Security events, newest first (domain/services/security.py; docs/signatures.md)."""
    from domain.errors import InvalidInput
    from domain.services.security import list_security_events
    from kiosk.cli.common import print_rows

    if not args.actor:
        raise InvalidInput("Say who is reading: --as USERNAME (supervisor, QA, admin, auditor).")
    events = act(
        args,
        lambda uow: list_security_events(
            uow,
            since=args.since,
            user=args.user,
            unacknowledged_only=args.unacknowledged,
            limit=args.limit,
        ),
    )
    rows = [
        (e.id, f"{e.at:%Y-%m-%d %H:%M:%S %Z}", e.kind, e.username or "-", e.station,
         e.method or "-", e.detail, e.acknowledged_by or "")
        for e in events
    ]  # fmt: skip
    headers = ("id", "at", "kind", "user", "station", "method", "detail", "acknowledged by")
    print_rows(rows, headers, args.format)
    return 0


def _show_access(args: argparse.Namespace) -> int:
    """The access log, newest first (domain/services/access_log.py; docs/admin.md)."""
    from domain.errors import InvalidInput
    from domain.services.access_log import list_access
    from kiosk.cli.common import print_rows

    if not args.actor:
        raise InvalidInput("Say who is reading: --as USERNAME (supervisor, QA, admin, auditor).")
    entries = act(
        args,
        lambda uow: list_access(
            uow,
            user=args.user,
            station=args.station,
            outcome="refused" if args.refused else None,
            since=args.since,
            limit=args.limit,
        ),
    )
    rows = [
        (a.id, f"{a.at:%Y-%m-%d %H:%M:%S %Z}", a.outcome, a.purpose, a.username or "-",
         a.station, a.method, a.detail)
        for a in entries
    ]  # fmt: skip
    headers = ("id", "at", "outcome", "purpose", "user", "station", "method", "detail")
    print_rows(rows, headers, args.format)
    return 0


def _require_audited(session: Any, table: str) -> None:
    """Refuse a table the trail does not cover (a typo would otherwise list nothing)."""
    from sqlalchemy import text

    from domain.errors import NotFound

    names = [
        str(n)
        for n in session.execute(
            text("SELECT table_name FROM audit.regulated_table ORDER BY 1")
        ).scalars()
    ]
    if query.qualified_table(table) not in names:
        short = ", ".join(n.removeprefix("workcell.") for n in names)
        raise NotFound(f"The audit trail has no table {table!r}. Audited tables: {short}.")


def _pages(session: Any, args: argparse.Namespace) -> Iterator[query.AuditRow]:
    """Rows page by page (keyset on id), so --all never holds the trail in memory."""
    from domain.audit.labels import resolve_record

    flt = resolve_record(
        session,
        query.AuditFilter(
            args.table, args.record, args.user, args.station, args.since, args.until, args.text
        ),
    )
    remaining = None if args.all else max(0, args.limit)
    newest_first = not args.oldest_first
    cursor: int | None = None
    while remaining is None or remaining > 0:
        size = PAGE if remaining is None else min(PAGE, remaining)
        keyset = {"before_id": cursor} if newest_first else {"after_id": cursor}
        page = query.search(
            session, flt, limit=size, newest_first=newest_first, **(keyset if cursor else {})
        )
        yield from page.rows
        if not page.has_more or not page.rows:
            return
        cursor = page.last_id
        remaining = None if remaining is None else remaining - len(page.rows)


def _cells(row: query.AuditRow, name: str) -> tuple[Any, ...]:
    return (
        row.id,
        row.at.isoformat(timespec="milliseconds"),
        row.actor,
        row.station,
        row.table_name,
        row.record_key,
        name,
        row.operation,
        ",".join(row.changed),
        row.reason or "",
        "" if row.chain_position is None else row.chain_position,
    )


def _named(session: Any, rows: Iterator[query.AuditRow]) -> Iterator[tuple[Any, ...]]:
    """Each row's cells with the record's name ("WID-100", "erin.eng"), asked a page at a
    time (the rows arrive streamed)."""
    from itertools import islice

    from domain.audit.labels import record_labels

    while chunk := list(islice(rows, PAGE)):
        labels = record_labels(session, [r.id for r in chunk])
        for r in chunk:
            label = labels.get(r.id, "")
            yield _cells(r, label.removeprefix(r.table_name.removeprefix("workcell.") + " "))


def _print_rows(session: Any, rows: Iterator[query.AuditRow], fmt: str) -> int:
    """Print the rows; returns how many there were."""
    out = sys.stdout
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(SHOW_HEADERS)
        for cells in _named(session, rows):
            writer.writerow(cells)
            count += 1
    elif fmt == "json":
        out.write("[")
        for n, cells in enumerate(_named(session, rows)):
            record = dict(zip(SHOW_HEADERS, cells, strict=True))
            out.write(("," if n else "") + "\n  " + json.dumps(record, default=str))
            count += 1
        out.write("\n]\n")
    else:
        widths = (8, 29, 14, 18, 18, 8, 16, 6, 24, 0, 0)
        line = "  ".join(h.ljust(w) for h, w in zip(SHOW_HEADERS, widths, strict=True))
        print(line.rstrip())
        for cells in _named(session, rows):
            text = [str(c) for c in cells]
            print("  ".join(c.ljust(w) for c, w in zip(text, widths, strict=True)).rstrip())
            count += 1
    return count


def _print_detail(session: Any, d: query.AuditDetail) -> None:
    """One entry in full; ids inside it with the names they stand for ("item_id: 3 (WID-100)")."""
    from domain.audit.labels import record_labels, reference_names

    r = d.row
    labels = record_labels(session, [r.id, *(o.id for o in d.same_transaction[:20])])
    refs = reference_names(session, r.table_name, (d.before, d.after))

    def shown(column: str, value: Any) -> str:
        name = refs.get(column, {}).get(value) if isinstance(value, int) else None
        return json.dumps(value) + (f" ({name})" if name else "")

    named = f" ({labels[r.id]})" if r.id in labels else ""
    print(f"entry {r.id}  {r.operation} {r.table_name} {r.record_key}{named}")
    print(f"  at {r.at.isoformat()}  by {r.actor}  on {r.station}  transaction {r.tx_id}")
    print(f"  reason: {r.reason or '-'}")
    sealed = f"position {r.chain_position} ({d.chain_hash})" if r.chain_position else "not yet"
    print(f"  entry hash {d.entry_hash}; sealed: {sealed}")
    for change in d.changes:
        before, after = shown(change.name, change.before), shown(change.name, change.after)
        print(f"  {change.name}: {before} -> {after}")
    for other in d.same_transaction[:20]:
        label = f" ({labels[other.id]})" if other.id in labels else ""
        print(
            f"  same transaction: entry {other.id} {other.operation} {other.table_name} "
            f"{other.record_key}{label}"
        )
    if len(d.same_transaction) > 20:
        print(f"  ... and {len(d.same_transaction) - 20} more entries in the same transaction")
