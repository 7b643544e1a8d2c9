"""`workcell label LOT|SERIAL`: a lot or serial label as GS1-128 (PNG or SVG) or ZPL, to a
file, standard output or a label printer over TCP port 9100 (issue 12 item 5;
docs/materials.md "Labels"). Every label issued is recorded (workcell.label_issue) in the
same transaction, committed only after the printer or file took it: a label that did not
print is not counted as issued.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from domain.errors import InvalidInput
from domain.services.materials import labels
from kiosk.cli.common import act, add_actor
from kiosk.label_printing import issue, printer_of


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("label", help="print or write a lot or serial label (GS1-128, ZPL)")
    p.add_argument("ident", metavar="LOT|SERIAL", help="our lot number, or a serial number")
    p.add_argument(
        "--format", choices=labels.FORMATS, help="png, svg or zpl (default: svg; zpl to a printer)"
    )
    p.add_argument("--out", metavar="FILE", help="write the label here (default: standard output)")
    p.add_argument(
        "--printer", metavar="HOST:PORT", help="send ZPL raw over TCP (port 9100 by default)"
    )
    p.add_argument("--copies", type=int, default=1, help="copies (1-500)")
    add_actor(p)
    p.set_defaults(func=_label)


def _label(args: argparse.Namespace) -> int:
    fmt = args.format or ("zpl" if args.printer else "svg")
    if args.printer and (fmt != "zpl" or args.out):
        raise InvalidInput(
            "A label printer takes ZPL: give --printer without --out or --format png/svg."
        )
    printer = printer_of(args.printer)
    content = act(args, lambda uow: issue(uow, args.ident, fmt, args.out, printer, args.copies))
    what = (
        f"serial {content.serial} of lot {content.lot_number}"
        if content.serial
        else f"lot {content.lot_number}"
    )
    where = printer.destination if printer else (args.out or "stdout")
    print(f"Label for {what} ({args.copies} × {fmt}) to {where}: {content.hri}", file=sys.stderr)
    return 0
