"""`workcell ebr WORK_ORDER|LOT --as NAME [--out FILE]` prints a batch record / device
history record (PDF/A-3b with its JSON twin, registered in the audit trail);
`workcell ebr verify FILE [--database | --bundle DIR]` checks one (docs/records.md).
Exit codes: 0 intact, 1 the check found a problem, 3 not found, 4 refused (e.g. a work
order not complete)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from domain.errors import InvalidInput
from kiosk.cli.common import act, add_actor, read


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser(
        "ebr",
        help="batch record / device history record: print one (PDF/A-3b), verify one",
        description="`ebr WORK_ORDER|LOT --as NAME [--out FILE]` prints the record; "
        "`ebr verify FILE [--database]` checks a printed one (no database needed).",
    )
    p.add_argument("target", metavar="WORK_ORDER|LOT|verify", help="what to print, or verify")
    p.add_argument("file", nargs="?", type=Path, help="with verify: the PDF to check")
    p.add_argument("--out", type=Path, help="where to write the PDF (default: ./NUMBER.pdf)")
    p.add_argument(
        "--database",
        action="store_true",
        help="with verify: also check that WorkCell registered this exact PDF and whether "
        "the record changed since it was printed",
    )
    p.add_argument(
        "--bundle",
        type=Path,
        metavar="DIR",
        help="with verify: check the registration in an exported audit bundle (no database)",
    )
    add_actor(p, required=False)
    p.set_defaults(func=_ebr)


def _ebr(args: argparse.Namespace) -> int:
    if args.target == "verify":
        if args.file is None:
            raise InvalidInput("Name the PDF to check: workcell ebr verify FILE.")
        return verify_command(args)
    if args.file is not None:
        raise InvalidInput("Only verify takes a file; to choose where the PDF goes use --out.")
    return _print(args)


def _print(args: argparse.Namespace) -> int:
    from domain.records import copies
    from kiosk.records_backend import station_anchor

    out: Path | None = args.out
    if out is not None and out.exists():
        raise InvalidInput(f"{out} exists already: a printed record is never overwritten.")
    anchor = station_anchor()
    made = act(
        args,
        lambda uow: copies.generate(uow, args.target, anchor),
        reason=f"batch record of {args.target.strip().upper()} printed",
        permission="record.copy",
    )
    target = out or Path(f"{made.record.header.work_order.number}.pdf")
    write_copy(target, made.rendered.pdf)
    r = made.rendered
    print(
        f"{target}: {r.pages} pages, PDF/A-3b with {r.attachment_name}\n"
        f"  JSON twin SHA-256 {r.json_sha256}\n"
        f"  PDF SHA-256       {r.pdf_sha256} (record copy {made.copy_id} in the audit trail)"
    )
    return 0


def write_copy(target: Path, data: bytes) -> None:
    """Write the file once, never over another, whole or not at all (a full disk leaves no
    partial PDF under the record's name), forced to disk."""
    from domain.files import FileNotWritten, write_new

    try:
        write_new(target, data)
    except FileExistsError:
        raise InvalidInput(
            f"{target} exists already: the record was registered; print it again with --out."
        ) from None
    except FileNotWritten as exc:
        raise FileNotWritten(
            exc.message + " The record was registered; print it again with --out."
        ) from exc


def verify_command(args: argparse.Namespace) -> int:
    """`ebr verify` and `record verify`: one verifier for every kind of copy."""
    from domain.records.verify import verify_file

    path: Path = args.file
    if not path.is_file():
        from domain.errors import NotFound

        raise NotFound(f"There is no file {path}.")
    report = verify_file(path)
    problems = list(report.problems)
    lines = [
        f"{path}: {report.pages} pages, JSON twin {report.attachment or '-'}",
        f"  JSON twin SHA-256 {report.json_sha256 or '-'} (printed {report.printed_sha256 or '-'})",
        f"  PDF SHA-256       {report.pdf_sha256}",
        f"  {report.signatures} signature bindings checked",
    ]
    if args.database:
        problems += _database_check(args, report, lines)
    if args.bundle:
        from domain.records.verify import in_bundle

        found = in_bundle(args.bundle, report)
        problems += found
        if not found:
            lines.append(f"  registered in the audit bundle {args.bundle}")
    lines.extend(f"  note: {n}" for n in report.notes)
    print("\n".join(lines))
    if problems:
        for p in problems:
            print(f"FAILED: {p}", file=sys.stderr)
        return 1
    registered = args.database or args.bundle
    print("intact" + (" and registered" if registered else " (offline checks)"))
    return 0


def _database_check(args: argparse.Namespace, report: Any, lines: list[str]) -> list[str]:
    from domain.records import copies

    def check(uow: Any) -> tuple[Any, list[str]]:
        if report.pdf_sha256:
            row = copies.lookup(uow, pdf_sha256=report.pdf_sha256)
        else:  # a JSON copy: registered by its own digest
            row = copies.lookup(uow, json_sha256=report.json_sha256)
        changed = copies.changes_since(uow, report.twin) if row is not None and report.twin else []
        return row, changed

    row, changed = read(args, check)
    if row is None:
        digest = (
            f"PDF SHA-256 {report.pdf_sha256}"
            if report.pdf_sha256
            else (f"JSON SHA-256 {report.json_sha256}")
        )
        return [
            f"no record copy with {digest} is registered: this file is"
            " not one WorkCell printed (or it was changed after printing)"
        ]
    problems = []
    at = f"{row.made_at:%Y-%m-%d %H:%M:%S %Z}"
    lines.append(
        f"  registered: copy {row.id} of {row.record_key}, printed {at} by {row.made_by}"
        f" at {row.station}"
    )
    if row.json_sha256 != report.json_sha256:
        problems.append(
            f"the registered JSON SHA-256 is {row.json_sha256}, the file's {report.json_sha256}"
        )
    if changed:
        lines.append(f"  the record changed since it was printed ({len(changed)} differences):")
        lines.extend(f"    {c}" for c in changed)
    else:
        lines.append("  the record is unchanged since it was printed")
    return problems
