"""`workcell wo ...` and `workcell qual ...`: work orders and training records at the desk or
over SSH (issue 14; docs/work_orders.md).

Commands acting as a person sign ``--as USERNAME`` in with their PIN (getpass, or one line
on standard input with ``--pin-stdin``); `qual grant` attests the training with that same
PIN entry, proven again to the database with the signature. `--format json` prints
snake_case keys.
"""

# ruff: noqa: E501  (table rows read better unwrapped)

from __future__ import annotations

import argparse
import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.services.eco import Signing
from domain.services.work_orders import execution, planning, training
from domain.views.work_orders import (
    WORK_ORDER_STATUSES,
    PersonQualificationView,
    WorkOrderSummary,
)
from kiosk.cli.common import act, actor_creds, add_actor, cli_policy, print_rows, read, services

FORMATS = ("table", "json", "csv")


def _decimal(value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from exc


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def register(sub: argparse._SubParsersAction[Any]) -> None:
    wo = sub.add_parser("wo", help="work orders: create, release, list, show, cancel")
    wsub = wo.add_subparsers(dest="wo_command", metavar="ACTION", required=True)
    p = wsub.add_parser("create", help="plan a work order (planner)")
    p.add_argument("item")
    p.add_argument("--quantity", type=_decimal, required=True)
    p.add_argument("--due", type=_date, required=True, help="due date YYYY-MM-DD")
    p.add_argument("--note", default="")
    p.add_argument("--release", action="store_true", help="release it at once")
    add_actor(p)
    p.set_defaults(func=_create)
    p = wsub.add_parser("release", help="lock the BOM and routing in effect now and release")
    p.add_argument("number")
    add_actor(p)
    p.set_defaults(func=_release)
    p = wsub.add_parser("cancel", help="cancel a work order nothing was recorded on")
    p.add_argument("number")
    p.add_argument("--reason", dest="why", required=True)
    add_actor(p)
    p.set_defaults(func=_cancel)
    p = wsub.add_parser("list", help="work orders, newest first")
    p.add_argument("--status", choices=WORK_ORDER_STATUSES)
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=_list)
    p = wsub.add_parser("show", help="a work order: lock, output, steps")
    p.add_argument("number")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_show)

    qual = sub.add_parser("qual", help="training: grant, list, expiring")
    qsub = qual.add_subparsers(dest="qual_command", metavar="ACTION", required=True)
    p = qsub.add_parser("grant", help="record a person's training, attested by your signature")
    p.add_argument("username")
    p.add_argument("code", help="qualification code (defined with --define on first use)")
    p.add_argument("--trained-on", type=_date, required=True)
    p.add_argument("--expires-on", type=_date)
    p.add_argument("--define", nargs=3, metavar=("TITLE", "DOCUMENT", "REVISION"),
                   help="define the qualification first")  # fmt: skip
    p.add_argument("--comment")
    add_actor(p)
    p.set_defaults(func=_grant)
    p = qsub.add_parser("list", help="training records (of one person)")
    p.add_argument("--user")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=_qual_list)
    p = qsub.add_parser("expiring", help="qualifications running out soon")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=_expiring)


def _line(w: WorkOrderSummary) -> str:
    lock = (
        f" BOM {w.bom_revision} routing {w.routing_revision} lock {w.lock_hash[:12]}…"
        if w.lock_hash
        else ""
    )
    return f"{w.number} {w.item_number} {w.quantity.normalize():f} {w.unit} due {w.due_date} [{w.status}]{lock}"


def _create(args: argparse.Namespace) -> int:
    def action(uow: Any) -> WorkOrderSummary:
        wo = planning.create_work_order(uow, args.item, args.quantity, args.due, args.note)
        return planning.release_work_order(uow, wo.number) if args.release else wo

    print(_line(act(args, action, reason="work order planned")))
    return 0


def _release(args: argparse.Namespace) -> int:
    print(_line(act(args, lambda uow: planning.release_work_order(uow, args.number))))
    return 0


def _cancel(args: argparse.Namespace) -> int:
    print(_line(act(args, lambda uow: planning.cancel_work_order(uow, args.number, args.why))))
    return 0


_HEADERS = (
    "number",
    "item",
    "quantity",
    "unit",
    "due",
    "status",
    "progress",
    "open deviations",
    "output lot",
)


def _row(w: WorkOrderSummary) -> tuple[Any, ...]:
    return (w.number, w.item_number, f"{w.quantity.normalize():f}", w.unit, w.due_date, w.status,
            w.progress, w.open_deviations, w.output_lot)  # fmt: skip


def _list(args: argparse.Namespace) -> int:
    rows = read(args, lambda uow: planning.list_work_orders(uow, args.status))
    print_rows([_row(w) for w in rows], _HEADERS, args.format)
    return 0


def _show(args: argparse.Namespace) -> int:
    w, steps = read(args, lambda uow: (planning.get_work_order(uow, args.number),
                                       execution.steps_of(uow, args.number)))  # fmt: skip
    if args.format == "json":
        out = {
            "number": w.number, "item_number": w.item_number, "quantity": str(w.quantity), "unit": w.unit,
            "due_date": str(w.due_date), "status": w.status, "bom_revision": w.bom_revision,
            "routing_revision": w.routing_revision, "lock_hash": w.lock_hash, "output_lot": w.output_lot,
            "actual_quantity": None if w.actual_quantity is None else str(w.actual_quantity),
            "yield_pct": None if w.yield_pct is None else str(w.yield_pct),
            "labels_issued": w.labels_issued, "labels_used": w.labels_used, "labels_destroyed": w.labels_destroyed,
            "open_deviations": w.open_deviations,
            "steps": [{"seq": s.seq, "op_number": s.op_number, "step_number": s.step_number, "title": s.title,
                       "status": s.status, "blocking": list(s.blocking)} for s in steps],
        }  # fmt: skip
        print(json.dumps(out, indent=2))
        return 0
    print(_line(w))
    print(f"  output lot {w.output_lot or '-'}; actual {w.actual_quantity or '-'}; yield {w.yield_pct or '-'}%;"
          f" labels issued {w.labels_issued}, used {w.labels_used}, destroyed {w.labels_destroyed}")  # fmt: skip
    print(f"  created by {w.created_by}; released {w.released_at or '-'} by {w.released_by or '-'}")
    print_rows([(s.seq, f"{s.op_number}/{s.step_number}", s.title, s.status, "; ".join(s.blocking))
                for s in steps], ("seq", "op/step", "title", "status", "blocking"))  # fmt: skip
    return 0


def _grant(args: argparse.Namespace) -> int:
    svc = services(args)
    try:
        signing = Signing(actor_creds(args), svc.settings.name, cli_policy(svc), args.comment)

        def action(uow: Any) -> PersonQualificationView:
            if args.define:
                training.define_qualification(uow, args.code, *args.define)
            return training.grant_qualification(
                uow, args.username, args.code, args.trained_on, args.expires_on, signing
            )

        rec = act(args, action, reason="training recorded", svc=svc)
    finally:
        svc.dispose()
    print(f"{rec.printed_name}: {rec.code} ({rec.document} rev {rec.document_revision}) trained on"
          f" {rec.trained_on}, expires {rec.expires_on or 'never'} — attested by {rec.attested_by}")  # fmt: skip
    return 0


def _qual_list(args: argparse.Namespace) -> int:
    rows = read(args, lambda uow: training.qualifications_of(uow, args.user))
    print_rows(
        [(r.id, r.username, r.code, r.document, r.document_revision, r.trained_on, r.expires_on, r.status,
          r.expired, r.attested_by) for r in rows],
        ("id", "username", "code", "document", "revision", "trained on", "expires on", "status", "expired", "attested by"),
        args.format,
    )  # fmt: skip
    return 0


def _expiring(args: argparse.Namespace) -> int:
    rows = read(args, lambda uow: training.expiring(uow, args.days))
    print_rows(
        [(r.username, r.printed_name, r.code, r.document, r.document_revision, r.expires_on, r.days_left)
         for r in rows],
        ("username", "printed name", "code", "document", "revision", "expires on", "days left"),
        args.format,
    )  # fmt: skip
    return 0
