"""`workcell item ...`: item master data."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from domain.models.items import ITEM_TYPES, TRACKING, UNITS
from domain.services import engineering_import, items
from domain.uow import UnitOfWork
from kiosk.cli.common import act, add_actor, print_rows, read


def register(sub: argparse._SubParsersAction[Any]) -> None:
    it = sub.add_parser("item", help="items: add, import, list, show")
    itsub = it.add_subparsers(dest="item_command", metavar="ACTION", required=True)
    p = itsub.add_parser("add", help="add a draft item")
    p.add_argument("item_number")
    p.add_argument("description")
    p.add_argument("--type", dest="item_type", choices=ITEM_TYPES, required=True)
    p.add_argument("--unit", choices=UNITS, required=True)
    p.add_argument("--tracking", choices=TRACKING, default="lot")
    p.add_argument("--shelf-life-days", type=int)
    p.add_argument("--gtin")
    add_actor(p)
    p.set_defaults(func=_add)
    p = itsub.add_parser("import", help="draft items from CSV; all rows or nothing")
    p.add_argument("file", type=Path)
    add_actor(p)
    p.set_defaults(func=_import)
    p = itsub.add_parser("list", help="list items")
    p.add_argument("--search", default="")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=_list)
    p = itsub.add_parser("show", help="one item: its master data and signatures")
    p.add_argument("item_number")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=_show)


def _add(args: argparse.Namespace) -> int:
    cmd = items.NewItem(
        args.item_number,
        args.description,
        args.item_type,
        args.unit,
        args.tracking,
        args.shelf_life_days,
        args.gtin,
    )
    view = act(args, lambda uow: items.create_item(uow, cmd))
    print(f"item {view.item_number} created as {view.status} (version {view.version})")
    return 0


def _import(args: argparse.Namespace) -> int:
    """CSV columns and checks: domain/services/engineering_import.py (docs/engineering.md)."""
    text = args.file.read_text(encoding="utf-8-sig")
    created = act(
        args, lambda uow: engineering_import.import_items(uow, text),
        reason=f"item import from {args.file.name}",
    )  # fmt: skip
    print(f"{len(created)} draft items imported from {args.file.name}")
    return 0


def _list(args: argparse.Namespace) -> int:
    rows = read(args, lambda uow: items.list_items(uow, search=args.search))
    print_rows(
        [
            (i.item_number, i.description, i.item_type, i.unit, i.tracking, i.status, i.version)
            for i in rows
        ],
        ("item", "description", "type", "unit", "tracking", "status", "v"),
        args.format,
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    from domain.services import signatures

    def load(uow: UnitOfWork) -> tuple[items.ItemView, list[signatures.SignatureView]]:
        view = items.get_item(uow, args.item_number)
        record = signatures.RecordRef("workcell.item", view.id)
        return view, signatures.signatures_for(uow, record)

    view, sigs = read(args, load)
    facts = {
        "item_number": view.item_number,
        "description": view.description,
        "item_type": view.item_type,
        "unit": view.unit,
        "tracking": view.tracking,
        "shelf_life_days": view.shelf_life_days,
        "gtin": view.gtin,
        "status": view.status,
        "version": view.version,
    }
    lines_ = [
        {
            "meaning": s.meaning,
            "printed_name": s.printed_name,
            "username": s.username,
            "signed_at": s.signed_at.isoformat(),
            "record_version": s.record_version,
            "valid": s.valid,
        }
        for s in sigs
    ]
    if args.format == "json":
        print(json.dumps({**facts, "signatures": lines_}, indent=2))
        return 0
    for key, value in facts.items():
        print(f"{key.replace('_', ' '):<16} {'' if value is None else value}")
    for s in sigs:
        state = "" if s.valid else f" — INVALID: {s.reason}"
        print(f"signature        {s.manifestation().line} (version {s.record_version}){state}")
    return 0
