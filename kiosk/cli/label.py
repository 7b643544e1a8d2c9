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

from domain.errors import DeviceUnavailable, InvalidInput
from domain.services.materials import labels
from domain.uow import UnitOfWork
from hardware.labels import LabelJob, render
from hardware.zpl import PrinterError, ZplFilePrinter, ZplTcpPrinter, label_zpl
from kiosk.cli.common import act, add_actor


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


def job_of(content: labels.LabelContent, copies: int) -> LabelJob:
    return LabelJob(content.element_string, content.hri, content.lines, copies)


def _label(args: argparse.Namespace) -> int:
    fmt = args.format or ("zpl" if args.printer else "svg")
    if args.printer and (fmt != "zpl" or args.out):
        raise InvalidInput(
            "A label printer takes ZPL: give --printer without --out or --format png/svg."
        )
    printer = None
    if args.printer:
        try:
            printer = ZplTcpPrinter.parse(args.printer)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
    destination = printer.destination if printer else (args.out or "stdout")

    def issue(uow: UnitOfWork) -> labels.LabelContent:
        content = labels.label_for(uow, args.ident)
        labels.record_issue(uow, content, args.copies, fmt, destination)
        job = job_of(content, args.copies)
        try:  # before the commit: a label that did not print is not recorded as issued
            if printer is not None:
                printer.print_labels([job])
            elif fmt == "zpl" and args.out:
                ZplFilePrinter(args.out).print_labels([job])
            else:
                _write(job, fmt, args.out)
        except PrinterError as exc:
            raise DeviceUnavailable(f"{exc} Nothing was recorded as issued.") from exc
        return content

    content = act(args, issue)
    what = (
        f"serial {content.serial} of lot {content.lot_number}"
        if content.serial
        else f"lot {content.lot_number}"
    )
    print(
        f"Label for {what} ({args.copies} × {fmt}) to {destination}: {content.hri}", file=sys.stderr
    )
    return 0


def _write(job: LabelJob, fmt: str, out: str | None) -> None:
    data = (
        label_zpl(job).encode("ascii")
        if fmt == "zpl"
        else render(job, "png" if fmt == "png" else "svg")
    )
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        with open(out, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise PrinterError(f"cannot write {out}: {exc.strerror or exc}") from exc
