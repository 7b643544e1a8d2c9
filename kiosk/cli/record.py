"""`workcell record export TYPE KEY --as NAME [--format pdf|json] [--out FILE]` makes a true
copy of one record (item, BOM/routing revision, ECO, lot, deviation, inspection, NCR, CAPA)
with its signatures, audit excerpt and a "changed since signed" flag — the batch record's
mechanism (PDF/A-3b with its JSON twin, registered in the audit trail);
`workcell record verify FILE [--database | --bundle DIR]` is `ebr verify` (docs/records.md).
Exit codes: 0 done/intact, 1 the check found a problem, 3 not found, 4 refused."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from domain.errors import InvalidInput
from kiosk.cli.common import act, add_actor
from kiosk.cli.ebr import verify_command, write_copy

TYPES = "item|bom_revision|routing_revision|eco|lot|deviation|inspection|ncr|capa"


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser(
        "record",
        help="true copy of one record (PDF/A-3b or JSON, registered), verify one",
        description="`record export TYPE KEY --as NAME [--format pdf|json]` copies one record"
        f" (TYPE: {TYPES}; a revision's KEY is ITEM:REVISION); `record verify FILE"
        " [--database]` checks a copy (no database needed).",
    )
    p.add_argument("action", choices=("export", "verify"), help="make a copy, or check one")
    p.add_argument("what", metavar="TYPE|FILE", help="export: the record type; verify: the file")
    p.add_argument("key", nargs="?", metavar="KEY", help="with export: the record's number")
    p.add_argument(
        "--format",
        choices=("pdf", "json"),
        default="pdf",
        dest="fmt",
        help="pdf (PDF/A-3b with the JSON twin inside; the default) or the JSON twin alone",
    )
    p.add_argument("--out", type=Path, help="where to write the copy (default: ./TYPE-KEY.pdf)")
    p.add_argument(
        "--database",
        action="store_true",
        help="with verify: also check the registration and what changed since",
    )
    p.add_argument(
        "--bundle",
        type=Path,
        metavar="DIR",
        help="with verify: check the registration in an exported audit bundle",
    )
    add_actor(p, required=False)
    p.set_defaults(func=_record)


def _record(args: argparse.Namespace) -> int:
    if args.action == "verify":
        if args.key is not None:
            raise InvalidInput("record verify takes one file: workcell record verify FILE.")
        args.file = Path(args.what)
        return verify_command(args)
    if args.key is None:
        raise InvalidInput("Name the record: workcell record export TYPE KEY --as NAME.")
    if args.actor is None:
        raise InvalidInput("A true copy is made by a signed-in person: add --as USERNAME.")
    return _export(args)


def _export(args: argparse.Namespace) -> int:
    from domain.records import copies, single
    from kiosk.records_backend import station_anchor

    single.kind_of(args.what)  # a clear refusal before the PIN
    out: Path | None = args.out
    if out is not None and out.exists():
        raise InvalidInput(f"{out} exists already: a true copy is never overwritten.")
    anchor = station_anchor()
    made = act(
        args,
        lambda uow: copies.export(uow, args.what, args.key, args.fmt, anchor),
        reason=f"true copy of {args.what} {args.key.strip()} made",
        permission="record.copy",
    )
    stem = made.attachment_name.removesuffix(".json")
    target = out or Path(f"{stem}.{args.fmt}")
    write_copy(target, made.pdf if made.pdf is not None else made.json)
    flag = "CHANGED SINCE SIGNED" if made.record.changed_since_signed else "unchanged since signed"
    signatures = len(made.record.signatures)
    lines = [f"{target}: true copy of {made.record.subject.kind.lower()} {made.record.key}"
             f" ({signatures} signatures, {flag})"]  # fmt: skip
    if made.pdf is not None:
        lines[0] += f", {made.pages} pages, PDF/A-3b with {made.attachment_name}"
    lines.append(f"  JSON twin SHA-256 {made.json_sha256}")
    if made.pdf_sha256 is not None:
        lines.append(f"  PDF SHA-256       {made.pdf_sha256}")
    lines.append(f"  record copy {made.copy_id} in the audit trail")
    print("\n".join(lines))
    return 0
