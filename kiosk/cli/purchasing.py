"""`workcell po ...` (purchase-order lines) and `workcell uom ...` (unit conversions per
item): the master data receiving and the ledger check against (issue 12 items 2 and 4;
docs/materials.md "Units" and "Purchase orders")."""

# ruff: noqa: E501  (table rows read better unwrapped)

from __future__ import annotations

import argparse
from typing import Any

from domain.services.materials import purchasing, units
from kiosk.cli.common import act, add_actor, print_rows, read
from kiosk.cli.lot import _decimal

LISTING = ("table", "csv", "json")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    po = sub.add_parser(
        "po", help="purchase-order lines receipts count against: add, amend, close, show"
    )
    psub = po.add_subparsers(dest="po_command", metavar="ACTION", required=True)
    p = psub.add_parser("add", help="add a line: what is ordered of an item from a supplier")
    p.add_argument("po")
    p.add_argument("line", type=int)
    p.add_argument("--item", required=True)
    p.add_argument("--supplier", required=True)
    p.add_argument("--quantity", type=_decimal, required=True)
    p.add_argument("--unit", help="default: the item's unit")
    p.add_argument("--note", default="")
    add_actor(p)
    p.set_defaults(func=_add)
    for name, text in (("amend", "change the ordered quantity (never below what was received)"),
                       ("close", "receive nothing more against the line"),
                       ("reopen", "receive against the line again")):  # fmt: skip
        p = psub.add_parser(name, help=text)
        p.add_argument("po")
        p.add_argument("line", type=int)
        if name == "amend":
            p.add_argument("--quantity", type=_decimal, required=True)
        p.add_argument("--reason", dest="why", required=True)
        add_actor(p)
        p.set_defaults(func=_change, change=name)
    p = psub.add_parser("show", help="the PO's lines: ordered, received, open")
    p.add_argument("po")
    p.add_argument("--format", choices=LISTING, default="table")
    p.set_defaults(func=_show)

    uom = sub.add_parser("uom", help="unit-of-measure conversions of an item: add, retire, list")
    usub = uom.add_subparsers(dest="uom_command", metavar="ACTION", required=True)
    p = usub.add_parser("add", help="1 UNIT = FACTOR x the item's unit (exact decimal)")
    p.add_argument("item")
    p.add_argument("unit")
    p.add_argument("factor", type=_decimal)
    p.add_argument("--decimals", type=int, default=6, help="decimals a quantity in UNIT may have")
    add_actor(p)
    p.set_defaults(func=_uom_add)
    p = usub.add_parser("retire", help="stop using a conversion (it never changes)")
    p.add_argument("item")
    p.add_argument("unit")
    p.add_argument("--reason", dest="why", required=True)
    add_actor(p)
    p.set_defaults(func=_uom_retire)
    p = usub.add_parser("list", help="the item's active conversions")
    p.add_argument("item")
    p.add_argument("--format", choices=LISTING, default="table")
    p.set_defaults(func=_uom_list)


def _add(args: argparse.Namespace) -> int:
    line = purchasing.PoLine(
        args.po, args.line, args.item, args.supplier, args.quantity, args.unit, args.note
    )
    act(args, lambda uow: purchasing.add_po_line(uow, line))
    print(
        f"PO {args.po.upper()} line {args.line}: {args.quantity} {args.unit or ''} of {args.item.upper()}".replace(
            "  ", " "
        )
    )
    return 0


def _change(args: argparse.Namespace) -> int:
    if args.change == "amend":
        act(
            args,
            lambda uow: purchasing.amend_po_line(uow, args.po, args.line, args.quantity, args.why),
        )
    elif args.change == "close":
        act(args, lambda uow: purchasing.close_po_line(uow, args.po, args.line, args.why))
    else:
        act(args, lambda uow: purchasing.reopen_po_line(uow, args.po, args.line, args.why))
    print(f"PO {args.po.upper()} line {args.line}: {args.change} done")
    return 0


def _show(args: argparse.Namespace) -> int:
    lines = read(args, lambda uow: purchasing.po_lines(uow, args.po))
    print_rows(
        [(x.line_no, x.item_number, x.supplier, x.ordered, x.unit, x.received, x.open, x.base_unit, x.status)
         for x in lines],
        ("line", "item", "supplier", "ordered", "unit", "received", "open", "base unit", "status"),
        args.format,
    )  # fmt: skip
    return 0


def _uom_add(args: argparse.Namespace) -> int:
    act(
        args,
        lambda uow: units.add_conversion(uow, args.item, args.unit, args.factor, args.decimals),
    )
    print(f"{args.item.upper()}: 1 {args.unit} = {args.factor} x its unit")
    return 0


def _uom_retire(args: argparse.Namespace) -> int:
    act(args, lambda uow: units.retire_conversion(uow, args.item, args.unit, args.why))
    print(f"{args.item.upper()}: conversion from {args.unit} retired")
    return 0


def _uom_list(args: argparse.Namespace) -> int:
    rows = read(args, lambda uow: units.conversions(uow, args.item))
    print_rows([(c.unit, c.factor, c.base_unit, c.decimals) for c in rows],
               ("unit", "factor", "base unit", "decimals"), args.format)  # fmt: skip
    return 0
