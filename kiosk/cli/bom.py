"""`workcell bom ...`: show (as of a date, exploded), history, create, import, compare,
where-used. Release happens only through `workcell eco approve`."""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path
from typing import Any

from domain.services import bom, compare, effectivity, engineering_import, explosion
from kiosk.cli.common import act, add_actor, print_rows, services
from kiosk.cli.engineering_common import (
    add_as_of,
    instant,
    print_comparison,
    print_header,
    print_history,
    qty,
)

FORMATS = ("table", "csv", "json")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    b = sub.add_parser("bom", help="bills of materials: show, explode, history, import, compare")
    bsub = b.add_subparsers(dest="bom_command", metavar="ACTION", required=True)
    p = bsub.add_parser("show", help="the BOM in effect (or a given revision), optionally exploded")
    p.add_argument("item")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--rev", help="a specific revision instead of the one in effect")
    add_as_of(who)
    p.add_argument("--explode", action="store_true", help="all levels, quantities rolled up")
    p.add_argument("--qty", type=Decimal, default=Decimal(1), help="quantity of the top item")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=_show)
    p = bsub.add_parser("history", help="every revision with status and effectivity")
    p.add_argument("item")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=lambda a: _history(a, "bom"))
    p = bsub.add_parser("create", help="a new draft revision (empty or copied)")
    p.add_argument("item")
    p.add_argument("--label", help="revision label (default: the next letter)")
    p.add_argument("--copy-from", metavar="REV", help="copy the lines of this revision")
    p.add_argument("--description", default="")
    add_actor(p)
    p.set_defaults(func=_create)
    p = bsub.add_parser("import", help="CSV into a draft revision; all rows or nothing")
    p.add_argument("item")
    p.add_argument("file", type=Path)
    p.add_argument("--label", help="existing draft to replace, or the new revision's label")
    add_actor(p)
    p.set_defaults(func=_import)
    p = bsub.add_parser("compare", help="added, removed and changed lines between two revisions")
    p.add_argument("item")
    p.add_argument("left")
    p.add_argument("right")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=lambda a: _compare(a, compare.compare_boms))
    p = bsub.add_parser("where-used", help="every item containing this one, at any level")
    p.add_argument("item")
    add_as_of(p)
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=_where_used)


def _show(args: argparse.Namespace) -> int:
    svc = services(args)
    with svc.uow(None) as uow:
        at = instant(svc, args.as_of) or effectivity.server_now(uow)
        if args.explode:
            ex = explosion.explode(uow, args.item, at, args.qty)
            view = bom.get_bom(uow, ex.item_number, ex.revision)
        elif args.rev:
            view = bom.get_bom(uow, args.item, args.rev)
        else:
            view = bom.bom_as_of(uow, args.item, at)
    if args.format == "table":
        print_header(svc, view.summary)
    if not args.explode:
        print_rows(
            [
                (x.position, x.component, x.description, qty(x.quantity_per), x.unit,
                 qty(x.scrap_factor), qty(x.component_quantity),
                 "opt" if x.optional else (f"alt {x.alternate_of}" if x.alternate_of else ""),
                 " ".join(x.ref_designators))
                for x in view.lines
            ],
            ("pos", "component", "description", "qty per", "unit", "scrap", "with scrap", "",
             "ref des"),
            args.format,
            keys=("pos", "component", "description", "qty_per", "unit", "scrap", "with_scrap",
                  "option", "ref_des"),
        )  # fmt: skip
        return 0
    _print_explosion(ex, args.format)
    return 0


def _print_explosion(ex: bom.Explosion, fmt: str) -> None:
    print_rows(
        [
            ("." * (x.level - 1) + str(x.level), x.component, x.component_revision or "",
             x.description, qty(x.quantity_per), x.unit, qty(x.scrap_factor),
             qty(x.extended), x.item_unit, "" if x.counted else "not counted")
            for x in ex.lines
        ],
        ("lvl", "component", "rev", "description", "qty per", "unit", "scrap",
         f"for {qty(ex.quantity)}", "unit", ""),
        fmt,
        keys=("level", "component", "rev", "description", "qty_per", "unit", "scrap",
              "extended", "item_unit", "note"),
    )  # fmt: skip
    if fmt == "table":
        print()
        print(f"Rolled up for {qty(ex.quantity)} x {ex.item_number} rev {ex.revision}:")
        print_rows(
            [(t.item_number, t.description, qty(t.quantity), t.unit, "made" if t.made else "")
             for t in ex.totals],
            ("item", "description", "total", "unit", ""),
        )  # fmt: skip


def _history(args: argparse.Namespace, kind: effectivity.Kind) -> int:
    svc = services(args)
    with svc.uow(None) as uow:
        revs = effectivity.history(uow, kind, args.item)
    print_history(svc, revs, args.format)
    return 0


def _create(args: argparse.Namespace) -> int:
    view = act(
        args,
        lambda uow: bom.create_bom_revision(
            uow, args.item, label=args.label, description=args.description, copy_from=args.copy_from
        ),
    )
    print(f"{view.summary.title} created as a draft with {len(view.lines)} lines")
    return 0


def _import(args: argparse.Namespace) -> int:
    text = args.file.read_text(encoding="utf-8-sig")
    view = act(
        args,
        lambda uow: engineering_import.import_bom(uow, args.item, text, label=args.label),
        reason=f"BOM import from {args.file.name}",
    )
    print(f"{view.summary.title}: {len(view.lines)} lines imported (draft)")
    return 0


def _compare(args: argparse.Namespace, fn: Any) -> int:
    svc = services(args)
    with svc.uow(None) as uow:
        result = fn(uow, args.item, args.left, args.right)
    print_comparison(result, args.format)
    return 0


def _where_used(args: argparse.Namespace) -> int:
    svc = services(args)
    with svc.uow(None) as uow:
        at = instant(svc, args.as_of) or effectivity.server_now(uow)
        rows = explosion.where_used(uow, args.item, at)
    print_rows(
        [("." * (r.level - 1) + str(r.level), r.parent, r.revision, r.description,
          qty(r.quantity_per), r.unit) for r in rows],
        ("lvl", "used in", "rev", "description", "qty per", "unit"),
        args.format,
    )  # fmt: skip
    return 0
