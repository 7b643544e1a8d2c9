"""`workcell routing ...`: show (as of a date; as text or the import's CSV), history,
create, import, compare."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from domain.services import compare, effectivity, engineering_import, routing
from domain.services.compare import text_of
from kiosk.cli.bom import FORMATS, _compare, _history
from kiosk.cli.common import act, add_actor, services
from kiosk.cli.engineering_common import add_as_of, instant, print_header


def register(sub: argparse._SubParsersAction[Any]) -> None:
    r = sub.add_parser("routing", help="routings: show, history, import, compare")
    rsub = r.add_subparsers(dest="routing_command", metavar="ACTION", required=True)
    p = rsub.add_parser("show", help="the routing in effect (or a given revision)")
    p.add_argument("item")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--rev")
    add_as_of(who)
    p.add_argument("--rework", action="store_true", help="the rework routing in effect")
    p.add_argument(
        "--format", choices=("text", "csv"), default="text",
        help="csv: the import's columns (export, edit, import into a draft)",
    )  # fmt: skip
    p.set_defaults(func=_show)
    p = rsub.add_parser("history", help="every revision with status and effectivity")
    p.add_argument("item")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=lambda a: _history(a, "routing"))
    p = rsub.add_parser("create", help="a new draft revision (empty or copied)")
    p.add_argument("item")
    p.add_argument("--label")
    p.add_argument("--copy-from", metavar="REV")
    p.add_argument("--description", default="")
    p.add_argument(
        "--rework", action="store_true",
        help="made for rework: the routing of the work orders an NCR's rework disposition plans",
    )  # fmt: skip
    add_actor(p)
    p.set_defaults(func=_create)
    p = rsub.add_parser("import", help="CSV into a draft revision; all rows or nothing")
    p.add_argument("item")
    p.add_argument("file", type=Path)
    p.add_argument("--label")
    add_actor(p)
    p.set_defaults(func=_import)
    p = rsub.add_parser("compare", help="differences between two revisions")
    p.add_argument("item")
    p.add_argument("left")
    p.add_argument("right")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=lambda a: _compare(a, compare.compare_routings))


def _show(args: argparse.Namespace) -> int:
    svc = services(args)
    with svc.uow(None) as uow:
        if args.rev:
            view = routing.get_routing(uow, args.item, args.rev)
        else:
            at = instant(svc, args.as_of) or effectivity.server_now(uow)
            view = routing.routing_as_of(
                uow, args.item, at, "rework" if args.rework else "standard"
            )
    if args.format == "csv":
        print(engineering_import.routing_csv(view.operations), end="")
        return 0
    print_header(svc, view.summary)
    for line in render_routing(view.operations):
        print(line)
    return 0


def render_routing(ops: tuple[routing.OperationSpec, ...]) -> list[str]:
    """Plain-text rendering (also used by the screens' detail panel)."""
    out = []
    for o in ops:
        out.append(
            f"Op {o.op_number}  {o.title}  @{o.work_centre}  {text_of(o.standard_minutes)} min"
        )
        if o.instructions:
            out.append(f"    {o.instructions}")
        for s in o.steps:
            crit = "  [critical]" if s.critical else ""
            signs = ", ".join(f"{g.meaning} by {g.role}" for g in s.signoffs)
            unit = f"  — unit: {s.equipment_class}" if s.equipment_class else ""
            out.append(f"  {s.step_number}. {s.title}{crit}  — signs: {signs}{unit}")
            for d in s.data:
                out.append(f"       • {d.code} {d.label}: {_data_text(d)}")
    return out


def _data_text(d: routing.DataSpec) -> str:
    if d.kind == "numeric":
        lo, hi = text_of(d.lower_limit) or "-∞", text_of(d.upper_limit) or "+∞"
        target = f" target {text_of(d.target)}" if d.target is not None else ""
        return f"number in {d.unit}, {lo} … {hi}{target}"
    if d.kind == "lot_scan":
        return f"scan lot of {d.component}"
    return d.kind.replace("_", "/")


def _create(args: argparse.Namespace) -> int:
    view = act(
        args,
        lambda uow: routing.create_routing_revision(
            uow,
            args.item,
            label=args.label,
            description=args.description,
            copy_from=args.copy_from,
            purpose="rework" if args.rework else "standard",
        ),
    )
    print(f"{view.summary.title} created as a draft with {len(view.operations)} operations")
    return 0


def _import(args: argparse.Namespace) -> int:
    text = args.file.read_text(encoding="utf-8-sig")
    view = act(
        args,
        lambda uow: engineering_import.import_routing(uow, args.item, text, label=args.label),
        reason=f"routing import from {args.file.name}",
    )
    steps = sum(len(o.steps) for o in view.operations)
    print(f"{view.summary.title}: {len(view.operations)} operations, {steps} steps imported")
    return 0
