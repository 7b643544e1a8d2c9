"""`workcell equipment ...`: the equipment register at the desk or over SSH (issue 14 item
7; docs/equipment.md).

    workcell equipment list [--class BALANCE] [--format table|csv|json]
    workcell equipment show ASSET [--format text|json]
    workcell equipment add-class NAME --description ... [--calibration-days N]
                                [--cleaning-days N] [--weighing] --as USER
    workcell equipment register ASSET --class BALANCE --description ... [--serial ...
                                --readability 0.0001 --capacity 220 --unit g] --as USER
    workcell equipment status ASSET in_service|out_of_service|retired --reason ... --as USER
    workcell equipment calibrate ASSET --result pass --certificate C-1 --next-due DATE --as QA
    workcell equipment clean ASSET --procedure SOP-CLN-004 --as USER

Commands acting as a person sign ``--as USERNAME`` in with their PIN (getpass, or one line
on standard input with ``--pin-stdin``); calibrate signs "calibrated" with that same PIN.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.services import equipment
from domain.services.eco import Signing
from domain.services.equipment import Calibration, EquipmentClass, EquipmentView, Registration
from kiosk.cli.common import act, actor_creds, add_actor, cli_policy, print_rows, read, services

HEADERS = ("asset id", "class", "description", "location", "status", "calibration due",
           "cleaning due", "usable", "refusal")  # fmt: skip


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
    p = sub.add_parser(
        "equipment", help="equipment and instruments: list, show, register, calibrate, clean"
    )
    esub = p.add_subparsers(dest="equipment_command", metavar="ACTION", required=True)
    p = esub.add_parser("list", help="units with status, due dates and whether usable now")
    p.add_argument("--class", dest="class_name")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(func=_list)
    p = esub.add_parser("show", help="one unit: identity, due dates, history")
    p.add_argument("asset")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_show)
    p = esub.add_parser("add-class", help="a class of equipment (BALANCE, TORQUE-DRIVER...)")
    p.add_argument("name")
    p.add_argument("--description", required=True)
    p.add_argument("--calibration-days", type=int, help="longest calibration interval")
    p.add_argument("--cleaning-days", type=int, help="how long a cleaning is valid")
    p.add_argument("--weighing", action="store_true", help="balances and scales")
    add_actor(p)
    p.set_defaults(func=_add_class)
    p = esub.add_parser("register", help="register a unit (in service, not yet calibrated)")
    p.add_argument("asset")
    p.add_argument("--class", dest="class_name", required=True)
    p.add_argument("--description", required=True)
    p.add_argument("--location", default="")
    p.add_argument("--serial", help="the serial number the instrument reports (balances: I4)")
    p.add_argument("--readability", type=_decimal, help="balances: d, in --unit")
    p.add_argument("--capacity", type=_decimal, help="balances: maximum load, in --unit")
    p.add_argument("--unit", choices=equipment.WEIGHING_UNITS, help="balances: weighing unit")
    add_actor(p)
    p.set_defaults(func=_register)
    p = esub.add_parser("status", help="take out of service, return to service, retire")
    p.add_argument("asset")
    p.add_argument("status", choices=equipment.STATUSES)
    p.add_argument("--reason", dest="why", required=True)
    add_actor(p)
    p.set_defaults(func=_status)
    p = esub.add_parser("calibrate", help="record a calibration, signed as calibrated (QA)")
    p.add_argument("asset")
    p.add_argument("--result", choices=("pass", "fail"), required=True)
    p.add_argument("--certificate", required=True)
    p.add_argument("--next-due", type=_date, help="from the certificate (pass only)")
    p.add_argument("--provider", default="", help="calibration service, if not in-house")
    p.add_argument("--comment", default="")
    add_actor(p)
    p.set_defaults(func=_calibrate)
    p = esub.add_parser("clean", help="record a cleaning")
    p.add_argument("asset")
    p.add_argument("--procedure", required=True, help="the SOP followed")
    p.add_argument("--comment", default="")
    add_actor(p)
    p.set_defaults(func=_clean)


def _row(v: EquipmentView) -> tuple[Any, ...]:
    return (v.asset_id, v.class_name, v.description, v.location, v.status, v.calibration_due,
            v.cleaning_due, "yes" if v.usable else "no", v.refusal or "")  # fmt: skip


def _list(args: argparse.Namespace) -> int:
    units = read(args, lambda uow: equipment.list_equipment(uow, args.class_name))
    print_rows([_row(v) for v in units], HEADERS, args.format)
    return 0


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, (Decimal, dt.date, dt.datetime)) else value


def _show(args: argparse.Namespace) -> int:
    detail = read(args, lambda uow: equipment.get_equipment(uow, args.asset))
    v = detail.unit
    if args.format == "json":
        data = {k: _jsonable(x) for k, x in v.__dict__.items()}
        data["history"] = [
            {"at": str(h.at), "kind": h.kind, "by": h.by, "text": h.text} for h in detail.history
        ]
        print(json.dumps(data, indent=2))
        return 0
    print(f"{v.asset_id}  {v.description}  ({v.class_name})  [{v.status.replace('_', ' ')}]")
    if v.status_reason:
        print(f"  reason: {v.status_reason}")
    print(f"  location {v.location or '-'}; serial {v.device_serial or '-'}; version {v.version}")
    if v.readability is not None:
        print(f"  readability {v.readability} {v.weighing_unit}, capacity {v.capacity} "
              f"{v.weighing_unit}")  # fmt: skip
    print(f"  calibration due {v.calibration_due or 'none'}; cleaning due {v.cleaning_due or '-'}")
    print(f"  usable now: {'yes' if v.usable else 'NO - ' + (v.refusal or '')}")
    print("\nHistory (newest first):")
    print_rows([(h.at.strftime("%Y-%m-%d %H:%M %Z"), h.kind, h.by, h.text)
                for h in detail.history], ("at", "kind", "by", "what"))  # fmt: skip
    return 0


def _add_class(args: argparse.Namespace) -> int:
    cls = EquipmentClass(args.name, args.description, args.calibration_days, args.cleaning_days,
                         args.weighing)  # fmt: skip
    act(args, lambda uow: equipment.add_class(uow, cls), reason="equipment class")
    print(f"Equipment class {cls.name.upper()} added")
    return 0


def _register(args: argparse.Namespace) -> int:
    reg = Registration(
        args.asset, args.class_name, args.description, args.location, args.serial,
        args.readability, args.capacity, args.unit,
    )  # fmt: skip
    view = act(args, lambda uow: equipment.register(uow, reg), reason="equipment registered")
    print(f"{view.asset_id} registered ({view.class_name}, {view.status.replace('_', ' ')}); "
          f"usable: {'yes' if view.usable else 'no - ' + (view.refusal or '')}")  # fmt: skip
    return 0


def _status(args: argparse.Namespace) -> int:
    view = act(args, lambda uow: equipment.set_status(uow, args.asset, args.status, args.why))
    print(f"{view.asset_id} is {view.status.replace('_', ' ')}")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    cal = Calibration(args.result, args.certificate, args.next_due, args.provider, args.comment)
    svc = services(args)
    try:
        signing = Signing(actor_creds(args), svc.settings.name, cli_policy(svc))
        act(args, lambda uow: equipment.calibrate(uow, args.asset, cal, signing), svc=svc)
    finally:
        svc.dispose()
    due = f", next due {cal.next_due}" if cal.next_due else " (out of service)"
    print(f"{args.asset.upper()} calibration {cal.result} recorded, signed by {args.actor}{due}")
    return 0


def _clean(args: argparse.Namespace) -> int:
    act(args, lambda uow: equipment.clean(uow, args.asset, args.procedure, args.comment))
    print(f"{args.asset.upper()} cleaning recorded ({args.procedure})")
    return 0
