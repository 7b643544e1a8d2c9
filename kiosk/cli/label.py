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


def printer_of(spec: str | None) -> ZplTcpPrinter | None:
    if not spec:
        return None
    try:
        return ZplTcpPrinter.parse(spec)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc


def issue(
    uow: UnitOfWork,
    ident: str,
    fmt: str,
    out: str | None,
    printer: ZplTcpPrinter | None,
    copies: int = 1,
) -> labels.LabelContent:
    """Record the label as issued in ``uow``'s transaction, then print or write it; the
    caller commits after this returned (a label that did not print is not recorded)."""
    content = labels.label_for(uow, ident)
    destination = printer.destination if printer else (out or "stdout")
    labels.record_issue(uow, content, copies, fmt, destination)
    job = job_of(content, copies)
    try:
        if printer is not None:
            printer.print_labels([job])
        elif fmt == "zpl" and out:
            ZplFilePrinter(out).print_labels([job])
        else:
            _write(job, fmt, out)
    except PrinterError as exc:
        raise DeviceUnavailable(f"{exc} Nothing was recorded as issued.") from exc
    return content


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
