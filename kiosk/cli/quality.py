"""`workcell quality ...`: the Z1.4 look-up, inspection templates, inspections, switching,
NCRs, CAPA and the NCR risk matrix at the desk or over SSH (issue 16; docs/quality.md).

Commands acting as a person sign ``--as USERNAME`` in with their PIN (getpass, or one line
on standard input with ``--pin-stdin``); signed steps sign with that same PIN entry.
``--format json`` prints snake_case keys.
"""

# ruff: noqa: E501  (help texts and table rows read better unwrapped)

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.errors import InvalidInput
from domain.quality import z14
from domain.services import signatures
from domain.services.eco import Signing
from domain.services.quality import capa, inspections, matrix, ncr, switching, templates
from domain.services.signatures import RecordRef, SignatureView
from domain.uow import UnitOfWork
from domain.views.quality import RISK_CLASSES, RISK_SCALE, MatrixRow, MatrixView
from kiosk.cli.common import act, actor_creds, add_actor, cli_policy, print_rows, read, services

# the ends of the scales named (docs/quality.md); the steps between are numbers only
_SEVERITY = {1: "1 negligible", 5: "5 catastrophic"}
_OCCURRENCE = {1: "1 remote", 5: "5 frequent"}


def _decimal(value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from exc


def _pairs(values: list[str], convert: Any) -> dict[str, Any]:
    out = {}
    for v in values:
        key, _, raw = v.partition("=")
        if not raw:
            raise InvalidInput(f"{v!r}: write CLASS=VALUE (e.g. major=1.0).")
        out[key.strip()] = convert(raw.strip())
    return out


def _characteristic(text: str) -> templates.Characteristic:
    """NAME:KIND:CLASS, or for a variable NAME:variable:CLASS:UNIT:NOMINAL:LOW:HIGH (empty
    for a limit that does not apply)."""
    parts = text.split(":")
    if len(parts) == 3:
        return templates.Characteristic(parts[0], parts[1], parts[2])
    if len(parts) == 7 and parts[1] == "variable":
        nominal, low, high = (Decimal(p) if p else None for p in parts[4:])
        return templates.Characteristic(
            parts[0], "variable", parts[2], parts[3], nominal, low, high
        )
    raise InvalidInput(
        f"Characteristic {text!r}: NAME:KIND:CLASS or NAME:variable:CLASS:UNIT:NOM:LOW:HIGH."
    )


def _cell(text: str) -> tuple[tuple[int, int], str]:
    """SEVERITY,OCCURRENCE=CLASS, e.g. 3,3=major (refused at parsing, before any PIN)."""
    where, _, cls = text.partition("=")
    severity, _, occurrence = where.partition(",")
    try:
        key = (int(severity), int(occurrence))
    except ValueError:
        key = (0, 0)
    if key[0] not in RISK_SCALE or key[1] not in RISK_SCALE or cls.strip() not in RISK_CLASSES:
        raise argparse.ArgumentTypeError(
            f"{text!r}: write SEVERITY,OCCURRENCE=CLASS (each 1..5; {', '.join(RISK_CLASSES)})"
        )
    return key, cls.strip()


def _approval(text: str) -> tuple[tuple[str, str], tuple[str, ...]]:
    """CLASS,DISPOSITION=qa[,engineering][,management], e.g. major,use_as_is=qa,engineering."""
    where, _, needed = text.partition("=")
    cls, _, disposition = (x.strip() for x in where.partition(","))
    meanings = tuple(f"{m.strip()}_approved" for m in needed.split(",") if m.strip())
    if cls not in RISK_CLASSES or disposition not in ncr.DISPOSITIONS or not meanings:
        raise argparse.ArgumentTypeError(
            f"{text!r}: write CLASS,DISPOSITION=qa[,engineering][,management]"
            f" ({', '.join(RISK_CLASSES)}; {', '.join(ncr.DISPOSITIONS)})"
        )
    return (cls, disposition), meanings


def _json(value: Any) -> None:
    """A view (frozen dataclass, snake_case fields) as JSON."""
    data = value if isinstance(value, dict) else dataclasses.asdict(value)
    print(json.dumps(data, default=str, indent=2))


def _signing(args: argparse.Namespace) -> Signing:
    svc = services(args)
    try:
        return Signing(
            actor_creds(args), svc.settings.name, cli_policy(svc), getattr(args, "comment", None)
        )
    finally:
        svc.dispose()


def register(sub: argparse._SubParsersAction[Any]) -> None:
    q = sub.add_parser(
        "quality", help="AQL look-up, inspection templates, inspections, switching, NCRs, CAPA"
    )
    qsub = q.add_subparsers(dest="quality_command", metavar="AREA", required=True)
    p = qsub.add_parser("aql", help="Z1.4 plan for a lot size, level and AQL (arrows resolved)")
    p.add_argument("--lot-size", type=int, required=True)
    p.add_argument("--level", default="II")
    p.add_argument("--aql", required=True)
    p.add_argument("--severity", choices=z14.SEVERITIES, default="normal")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_aql)
    _register_templates(qsub)
    _register_inspections(qsub)
    _register_ncr(qsub)
    _register_capa(qsub)
    _register_matrix(qsub)


def _register_matrix(qsub: argparse._SubParsersAction[Any]) -> None:
    m = qsub.add_parser("matrix", help="NCR risk matrix: list, show, propose, release")
    msub = m.add_subparsers(dest="matrix_command", metavar="ACTION", required=True)
    p = msub.add_parser("list", help="every revision: status and when it was in force")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=_matrix_list)
    p = msub.add_parser(
        "show", help="grid, approvals, who released it (the released one by default)"
    )
    p.add_argument("--revision", type=int)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_matrix_show)
    p = msub.add_parser(
        "propose", help="a draft: the open one, else the released, with --cell changes"
    )
    p.add_argument("--title", required=True, help="what changed and why")
    p.add_argument("--cell", action="append", default=[], type=_cell, metavar="S,O=CLASS",
                   help="severity,occurrence=minor|major|critical (repeat)")  # fmt: skip
    p.add_argument("--approval", action="append", default=[], type=_approval,
                   metavar="CLASS,DISPOSITION=qa,engineering",
                   help="the approvals an allowed disposition needs in a class (repeat)")  # fmt: skip
    add_actor(p)
    p.set_defaults(func=_matrix_propose)
    p = msub.add_parser(
        "release", help="QA approval (not its author): released, the one before superseded"
    )
    p.add_argument("revision", type=int)
    add_actor(p)
    p.set_defaults(func=_matrix_release)


def _register_capa(qsub: argparse._SubParsersAction[Any]) -> None:
    c = qsub.add_parser("capa", help="8-D CAPA: raise, show, write, complete, close, overdue")
    csub = c.add_subparsers(dest="capa_command", metavar="ACTION", required=True)
    p = csub.add_parser("raise", help="on an NCR: an owner and a due date for each of D0..D8")
    p.add_argument("ncr")
    p.add_argument("--title", required=True)
    p.add_argument("--owner", action="append", default=[], required=True, help="nine times, D0..D8")
    p.add_argument(
        "--due",
        action="append",
        default=[],
        required=True,
        type=dt.date.fromisoformat,
        help="nine times, YYYY-MM-DD",
    )
    add_actor(p)
    p.set_defaults(func=_capa_raise)
    p = csub.add_parser("show", help="sections with owners, due dates, status")
    p.add_argument("number")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_capa_show)
    p = csub.add_parser("write", help="a section's content (its owner, or QA)")
    p.add_argument("number")
    p.add_argument("--d", dest="discipline", type=int, required=True, choices=range(9))
    p.add_argument("--content", required=True)
    add_actor(p)
    p.set_defaults(func=_capa_write)
    p = csub.add_parser("complete", help="sign a section complete (its owner; D8: QA), in order")
    p.add_argument("number")
    p.add_argument("--d", dest="discipline", type=int, required=True, choices=range(9))
    add_actor(p)
    p.set_defaults(func=_capa_complete)
    p = csub.add_parser("close", help="QA closes the CAPA when D0..D8 are complete")
    p.add_argument("number")
    add_actor(p)
    p.set_defaults(func=_capa_close)
    p = csub.add_parser("overdue", help="open sections past their due date")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=_capa_overdue)


def _register_templates(qsub: argparse._SubParsersAction[Any]) -> None:
    t = qsub.add_parser("template", help="inspection templates: create, show, submit, release")
    tsub = t.add_subparsers(dest="template_command", metavar="ACTION", required=True)
    p = tsub.add_parser("create", help="a new draft revision")
    p.add_argument("--item", required=True)
    p.add_argument("--type", dest="kind", choices=templates.TYPES, required=True)
    p.add_argument("--title", required=True)
    p.add_argument("--sampling", choices=templates.SAMPLING, default="z14")
    p.add_argument("--level")
    p.add_argument("--aql", action="append", default=[], help="CLASS=AQL, per defect class")
    p.add_argument("--fixed-count", type=int)
    p.add_argument("--accept", action="append", default=[], help="CLASS=Ac (fixed/full plans)")
    p.add_argument("--char", action="append", default=[], required=True,
                   help="NAME:KIND:CLASS or NAME:variable:CLASS:UNIT:NOMINAL:LOW:HIGH")  # fmt: skip
    add_actor(p)
    p.set_defaults(func=_template_create)
    p = tsub.add_parser("show", help="a template (the released revision unless --revision)")
    p.add_argument("item")
    p.add_argument("--type", dest="kind", choices=templates.TYPES, required=True)
    p.add_argument("--revision", type=int)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_template_show)
    for name, text in (("submit", "sign as authored: draft -> in review"),
                       ("release", "QA approval: in review -> released (not the author)")):  # fmt: skip
        p = tsub.add_parser(name, help=text)
        p.add_argument("template", type=int, help="template id")
        add_actor(p)
        p.set_defaults(func=_template_move, move=name)


def _register_inspections(qsub: argparse._SubParsersAction[Any]) -> None:
    i = qsub.add_parser("inspection", help="inspections: show, result, complete, disposition")
    isub = i.add_subparsers(dest="inspection_command", metavar="ACTION", required=True)
    p = isub.add_parser("show", help="plans (with the data version), results, decision")
    p.add_argument("number")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_inspection_show)
    p = isub.add_parser("list", help="inspections of a lot")
    p.add_argument("--lot", required=True)
    p.set_defaults(func=_inspection_list)
    p = isub.add_parser("open", help="QA opens a final, first-article or periodic inspection")
    p.add_argument("lot")
    p.add_argument(
        "--type", dest="kind", choices=("final", "first_article", "periodic"), required=True
    )
    add_actor(p)
    p.set_defaults(func=_inspection_open)
    p = isub.add_parser("result", help="one sample's result for one characteristic")
    p.add_argument("number")
    p.add_argument("--sample", type=int, required=True)
    p.add_argument("--char", type=int, required=True, help="characteristic number (seq)")
    way = p.add_mutually_exclusive_group(required=True)
    way.add_argument("--value", type=_decimal)
    way.add_argument("--pass", dest="passed", action="store_const", const=True)
    way.add_argument("--fail", dest="passed", action="store_const", const=False)
    p.add_argument("--serial")
    p.add_argument("--note", default="")
    add_actor(p)
    p.set_defaults(func=_inspection_result)
    p = isub.add_parser("invalidate", help="invalidate a result (kept, with the reason)")
    p.add_argument("result", type=int)
    p.add_argument("--reason", dest="why", required=True)
    add_actor(p)
    p.set_defaults(func=_inspection_invalidate)
    p = isub.add_parser(
        "plan", help="QA enters and signs (plan_approved) a plan the tables do not give"
    )
    p.add_argument("number")
    p.add_argument("--class", dest="cls", required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--ac", type=int, required=True)
    p.add_argument("--re", type=int, required=True)
    p.add_argument("--note", required=True)
    add_actor(p)
    p.set_defaults(func=_inspection_plan)
    for name, text in (("complete", "sign as inspected; the database decides"),
                       ("release", "QA: release the lot (not the inspector)"),
                       ("reject", "QA: reject the lot (needs --comment)")):  # fmt: skip
        p = isub.add_parser(name, help=text)
        p.add_argument("number")
        p.add_argument("--comment", required=name == "reject")
        add_actor(p)
        p.set_defaults(func=_inspection_move, move=name)
    s = qsub.add_parser("switching", help="switching state of an item and supplier; QA moves")
    s.add_argument("item")
    s.add_argument("--supplier", required=True)
    s.add_argument("--to", choices=("reduced", "tightened", "normal"), help="QA's move")
    s.add_argument("--reason", dest="why")
    s.add_argument("--format", choices=("text", "json"), default="text")
    add_actor(s, required=False)
    s.set_defaults(func=_switching)


def _register_ncr(qsub: argparse._SubParsersAction[Any]) -> None:
    n = qsub.add_parser(
        "ncr", help="NCRs: raise, refer, show, disposition, approve, execute, close"
    )
    nsub = n.add_subparsers(dest="ncr_command", metavar="ACTION", required=True)
    for name, text in (("raise", "raise by hand on lots (they and their forward trace go on hold)"),
                       ("refer", "QA refers a completed inspection to a new NCR"),
                       ("from-deviation", "raise from a work order's deviation (its output lot,"
                                          " or the lots named, go on hold)")):  # fmt: skip
        p = nsub.add_parser(name, help=text)
        if name == "raise":
            p.add_argument("--lot", action="append", default=[], required=True)
        elif name == "from-deviation":
            p.add_argument("deviation")
            p.add_argument("--lot", action="append", default=[])
        else:
            p.add_argument("inspection")
        p.add_argument("--title", required=True)
        p.add_argument("--description", required=True)
        p.add_argument("--severity", type=int, required=True, help="1 negligible .. 5 catastrophic")
        p.add_argument("--occurrence", type=int, required=True, help="1 remote .. 5 frequent")
        add_actor(p)
        p.set_defaults(func=_ncr_raise, how=name)
    p = nsub.add_parser("show", help="risk class, lots and holds, approvals needed and given")
    p.add_argument("number")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_ncr_show)
    p = nsub.add_parser("disposition", help="choose the disposition (approvals start over)")
    p.add_argument("number")
    p.add_argument("--choose", choices=ncr.DISPOSITIONS, required=True)
    p.add_argument("--note", required=True)
    add_actor(p)
    p.set_defaults(func=_ncr_choose)
    p = nsub.add_parser("approve", help="sign an approval the risk class needs")
    p.add_argument("number")
    p.add_argument("--meaning", choices=ncr.APPROVALS, required=True)
    p.add_argument("--comment")
    add_actor(p)
    p.set_defaults(func=_ncr_approve)
    for name, text in (("execute", "QA carries the disposition out: holds released, lots rejected for scrap/return"),
                       ("close", "QA closes a dispositioned NCR")):  # fmt: skip
        p = nsub.add_parser(name, help=text)
        p.add_argument("number")
        p.add_argument("--comment")
        add_actor(p)
        p.set_defaults(func=_ncr_move, move=name)


# -- handlers ------------------------------------------------------------------------------


def _aql(args: argparse.Namespace) -> int:
    plan = z14.plan(args.lot_size, args.level, args.aql, args.severity)
    if args.format == "json":
        _json(plan)
        return 0
    print(plan.describe())
    print(f"  accept with {plan.ac} or fewer nonconforming, reject with {plan.re} or more")
    print(f"  data: {z14.reference().label}")
    print(f"  source: {plan.data_source}")
    return 0


def _template_create(args: argparse.Namespace) -> int:
    new = templates.NewTemplate(
        args.item, args.kind, args.title, args.sampling,
        tuple(_characteristic(c) for c in args.char), level=args.level,
        aql=_pairs(args.aql, Decimal), fixed_count=args.fixed_count, accept=_pairs(args.accept, int),
    )  # fmt: skip
    view = act(args, lambda uow: templates.create_template(uow, new))
    print(
        f"Template {view.id}: {view.item_number} {view.inspection_type} rev {view.revision} (draft)"
    )
    return 0


def _print_template(v: templates.TemplateView) -> None:
    print(
        f"Template {v.id}  {v.item_number} {v.inspection_type} rev {v.revision}  [{v.status}]  {v.title}"
    )
    print(f"  sampling: {v.describe_sampling()}; by {v.created_by}")
    print_rows([(c.seq, c.name, c.kind, c.defect_class, c.unit or "", c.nominal, c.lower_limit,
                 c.upper_limit) for c in v.characteristics],
               ("#", "characteristic", "kind", "class", "unit", "nominal", "low", "high"))  # fmt: skip


def _template_show(args: argparse.Namespace) -> int:
    view = read(args, lambda uow: templates.get_template(uow, args.item, args.kind, args.revision))
    if args.format == "json":
        _json(view)
    else:
        _print_template(view)
    return 0


def _template_move(args: argparse.Namespace) -> int:
    signing = _signing(args)
    fn = templates.submit_template if args.move == "submit" else templates.release_template
    view = act(args, lambda uow: fn(uow, args.template, signing))
    print(f"Template {view.id} rev {view.revision}: {view.status}")
    return 0


def _print_inspection(v: inspections.InspectionView) -> None:
    print(f"Inspection {v.number}  lot {v.lot_number} ({v.item_number}, supplier {v.supplier or '-'})"
          f"  {v.inspection_type}  [{v.status}]")  # fmt: skip
    print(f"  lot size {v.lot_size if v.lot_size is not None else 'not counted in units'};"
          f" {v.severity} inspection; sample {v.sample_size or 'waiting for QA'}")  # fmt: skip
    if v.switching_status:
        print(f"  switching: {v.switching_status}, score {v.switching_score} — {v.switching_rule}")
    print(f"  data: {v.data_version} — {v.data_source}")
    for plan in v.plans:
        print(f"  plan {plan.describe()}; nonconforming so far {plan.nonconforming}")
    if v.decision:
        print(f"  decision: {v.decision.upper()} — {v.decision_note}")
    if v.ncr_number:
        print(f"  NCR {v.ncr_number}")
    print_rows([(r.id, r.sample_no, r.seq, r.characteristic, r.value, "pass" if r.passed else "FAIL",
                 r.serial or "", r.entered_by, r.invalidated or "")
                for r in v.results],
               ("result", "sample", "#", "characteristic", "value", "verdict", "serial", "by", "invalidated"))  # fmt: skip


def _inspection_show(args: argparse.Namespace) -> int:
    view = read(args, lambda uow: inspections.get_inspection(uow, args.number))
    if args.format == "json":
        _json(view)
    else:
        _print_inspection(view)
    return 0


def _inspection_list(args: argparse.Namespace) -> int:
    for number in read(args, lambda uow: inspections.inspections_of_lot(uow, args.lot)):
        print(number)
    return 0


def _inspection_open(args: argparse.Namespace) -> int:
    view = act(args, lambda uow: inspections.open_inspection(uow, args.lot, args.kind))
    print(f"Inspection {view.number} opened for lot {view.lot_number}")
    return 0


def _inspection_result(args: argparse.Namespace) -> int:
    rid = act(args, lambda uow: inspections.record_result(
        uow, args.number, args.sample, args.char, value=args.value, passed=args.passed,
        serial=args.serial, note=args.note))  # fmt: skip
    print(f"Result {rid} recorded (sample {args.sample}, characteristic {args.char})")
    return 0


def _inspection_invalidate(args: argparse.Namespace) -> int:
    act(args, lambda uow: inspections.invalidate_result(uow, args.result, args.why))
    print(f"Result {args.result} invalidated (kept, with the reason)")
    return 0


def _inspection_plan(args: argparse.Namespace) -> int:
    signing = _signing(args)  # the plan is signed "plan_approved" with it (migration 0033)
    view = act(args, lambda uow: inspections.approve_manual_plan(
        uow, args.number, args.cls, args.n, args.ac, args.re, args.note, signing))  # fmt: skip
    print(
        f"Inspection {view.number}: {args.cls} plan entered and signed as approved;"
        f" sample {view.sample_size or 'still waiting'}"
    )
    return 0


def _inspection_move(args: argparse.Namespace) -> int:
    signing = _signing(args)
    fn = {"complete": inspections.complete_inspection, "release": inspections.release_inspection,
          "reject": inspections.reject_inspection}[args.move]  # fmt: skip
    view = act(args, lambda uow: fn(uow, args.number, signing))
    decided = f" — decision {view.decision}" if view.decision else ""
    print(f"Inspection {view.number}: {view.status}{decided}")
    return 0


def _switching(args: argparse.Namespace) -> int:
    if args.to:
        if not args.why:
            raise InvalidInput("Give --reason for QA's move.")
        view = act(
            args,
            lambda uow: switching.move_switching(uow, args.item, args.supplier, args.to, args.why),
        )
    else:
        view = read(args, lambda uow: switching.get_switching(uow, args.item, args.supplier))
    if args.format == "json":
        _json(view)
        return 0
    print(f"{view.item_number} from {view.supplier}: {view.status.upper()} inspection, score {view.score},"
          f" recent {view.recent or '-'}")  # fmt: skip
    print(f"  last rule: {view.last_rule}")
    for e in view.events:
        print(f"  {e.at:%Y-%m-%d %H:%M %Z}  {e.from_status} -> {e.to_status}  {e.rule}"
              f" ({e.inspection or 'QA'}, {e.actor})")  # fmt: skip
    return 0


def _new_ncr(args: argparse.Namespace) -> ncr.NewNcr:
    return ncr.NewNcr(args.title, args.description, args.severity, args.occurrence,
                      tuple(getattr(args, "lot", ()) or ()))  # fmt: skip


def _ncr_raise(args: argparse.Namespace) -> int:
    new = _new_ncr(args)
    if args.how == "raise":
        view = act(args, lambda uow: ncr.raise_ncr(uow, new))
    elif args.how == "from-deviation":
        view = act(args, lambda uow: ncr.raise_from_deviation(uow, args.deviation, new))
    else:
        signing = _signing(args)
        view = act(args, lambda uow: ncr.refer_inspection(uow, args.inspection, new, signing))
    held = ", ".join(f"{x.lot_number} ({x.via})" for x in view.lots)
    print(f"{view.number} raised: {view.risk_class} risk; on NCR hold: {held}")
    return 0


def _ncr_show(args: argparse.Namespace) -> int:
    view = read(args, lambda uow: ncr.get_ncr(uow, args.number))
    if args.format == "json":
        _json(view)
        return 0
    print(f"{view.number}  {view.title}  [{view.status}]  origin {view.origin}"
          f"{' (' + view.inspection + ')' if view.inspection else ''}"
          f"{' (' + view.deviation + ')' if view.deviation else ''}")  # fmt: skip
    print(f"  severity {view.severity} x occurrence {view.occurrence} = {view.risk_class} risk"
          f" (matrix rev {view.matrix_revision})")  # fmt: skip
    print(f"  disposition: {view.disposition or 'not chosen'} {view.disposition_note}")
    if view.disposition:
        print(
            f"  needs: {', '.join(view.required) or '-'}; missing: {', '.join(view.missing) or 'none'}"
        )
    print_rows([(x.lot_number, x.via, x.hold_id, x.hold_status, x.lot_status) for x in view.lots],
               ("lot", "via", "hold", "hold status", "lot status"))  # fmt: skip
    for a in view.approvals:
        print(
            f"  {a.meaning} by {a.signer} at {a.at:%Y-%m-%d %H:%M %Z}{'' if a.valid else ' (no longer valid)'}"
        )
    return 0


def _ncr_choose(args: argparse.Namespace) -> int:
    view = act(args, lambda uow: ncr.choose_disposition(uow, args.number, args.choose, args.note))
    print(f"{view.number}: {view.disposition}; needs {', '.join(view.required) or '-'}")
    return 0


def _ncr_approve(args: argparse.Namespace) -> int:
    signing = _signing(args)
    view = act(args, lambda uow: ncr.approve_ncr(uow, args.number, args.meaning, signing))
    print(f"{view.number}: {args.meaning}; still missing: {', '.join(view.missing) or 'none'}")
    return 0


def _ncr_move(args: argparse.Namespace) -> int:
    signing = _signing(args)
    fn = ncr.disposition_ncr if args.move == "execute" else ncr.close_ncr
    view = act(args, lambda uow: fn(uow, args.number, signing))
    print(f"{view.number}: {view.status}")
    return 0


def _print_capa(v: capa.CapaView) -> None:
    print(f"{v.number}  {v.title}  [{v.status}]  NCR {v.ncr_number}; by {v.created_by}")
    print_rows([(s.title, s.owner, s.due_date, s.status + (" OVERDUE" if s.overdue else ""), s.content[:60])
                for s in v.sections], ("discipline", "owner", "due", "status", "content"))  # fmt: skip


def _capa_raise(args: argparse.Namespace) -> int:
    view = act(args, lambda uow: capa.raise_capa(uow, args.ncr, args.title, args.owner, args.due))
    print(f"{view.number} raised on {view.ncr_number}")
    return 0


def _capa_show(args: argparse.Namespace) -> int:
    view = read(args, lambda uow: capa.get_capa(uow, args.number))
    if args.format == "json":
        _json(view)
    else:
        _print_capa(view)
    return 0


def _capa_write(args: argparse.Namespace) -> int:
    view = act(
        args, lambda uow: capa.write_section(uow, args.number, args.discipline, args.content)
    )
    print(f"{view.number}: {view.sections[args.discipline].title} written")
    return 0


def _capa_complete(args: argparse.Namespace) -> int:
    signing = _signing(args)
    view = act(args, lambda uow: capa.complete_section(uow, args.number, args.discipline, signing))
    print(f"{view.number}: {view.sections[args.discipline].title} complete")
    return 0


def _capa_close(args: argparse.Namespace) -> int:
    signing = _signing(args)
    view = act(args, lambda uow: capa.close_capa(uow, args.number, signing))
    print(f"{view.number}: {view.status}")
    return 0


def _capa_overdue(args: argparse.Namespace) -> int:
    rows = read(args, capa.overdue_actions)
    print_rows([(o.capa_number, o.ncr_number, o.discipline, o.owner, o.due_date) for o in rows],
               ("capa", "ncr", "discipline", "owner", "due"), args.format)  # fmt: skip
    return 0


def _in_force(row: MatrixRow, rows: list[MatrixRow]) -> str:
    """From its release to the next one; the revision installed unsigned from its creation."""
    if row.status == "draft":
        return "not released"
    start = row.released_at or row.created_at
    later = [r.released_at for r in rows if r.revision > row.revision and r.released_at]
    end = f"{min(later):%Y-%m-%d %H:%M %Z}" if row.status == "superseded" and later else "open"
    return f"{start:%Y-%m-%d %H:%M %Z} → {end}"


def _matrix_list(args: argparse.Namespace) -> int:
    rows = read(args, matrix.matrices)
    print_rows([(r.revision, r.title, r.status, _in_force(r, rows), r.created_by) for r in rows],
               ("revision", "title", "status", "effective", "proposed by"), args.format)  # fmt: skip
    return 0


def _release_of(uow: UnitOfWork, view: MatrixView) -> SignatureView | None:
    """Its "approved" signature, the release (none on a draft or the installed revision 1)."""
    sigs = signatures.signatures_for(uow, RecordRef("risk_matrix", view.id))
    return next((s for s in reversed(sigs) if s.meaning == "approved"), None)


def _needs(view: MatrixView, cls: str, disposition: str) -> list[str]:
    return list(view.approvals.get((cls, disposition), ()))


def _matrix_data(view: MatrixView, released: SignatureView | None) -> dict[str, Any]:
    """snake_case JSON: the tuple-keyed cells and approvals as lists of objects."""
    data = {k: v for k, v in dataclasses.asdict(view).items() if k not in ("cells", "approvals")}
    data["released"] = None if released is None else {
        "printed_name": released.printed_name, "username": released.username,
        "signed_at": released.signed_at, "valid": released.valid}  # fmt: skip
    data["cells"] = [{"severity": s, "occurrence": o, "risk_class": c}
                     for (s, o), c in sorted(view.cells.items())]  # fmt: skip
    data["approvals"] = [{"risk_class": c, "disposition": d, "approvals": _needs(view, c, d)}
                         for c in RISK_CLASSES for d in ncr.DISPOSITIONS]  # fmt: skip
    return data


def _print_matrix(v: MatrixView, released: SignatureView | None) -> None:
    print(f"Risk matrix revision {v.revision}  [{v.status}]  {v.title}")
    print(f"  proposed by {v.created_by} at {v.created_at:%Y-%m-%d %H:%M %Z}; version {v.version}")
    if released is not None:
        state = "" if released.valid else f" — INVALID: {released.reason}"
        print(f"  released: {released.manifestation().line} ({released.username}){state}")
    elif v.status != "draft":
        print("  released: unsigned, installed with the database (migration 0018)")
    print("\nSeverity (rows) x occurrence (columns) -> risk class")
    print_rows([(_SEVERITY.get(s, str(s)), *(v.cells.get((s, o), "-") for o in RISK_SCALE))
                for s in reversed(RISK_SCALE)],
               ("severity", *(_OCCURRENCE.get(o, str(o)) for o in RISK_SCALE)))  # fmt: skip
    print("\nApprovals an NCR disposition needs, per risk class")
    # the meanings without their common suffix: three of them fit in 80 columns
    print_rows([(c, d, ", ".join(a.removesuffix("_approved") for a in _needs(v, c, d))
                 or "not allowed") for c in RISK_CLASSES for d in ncr.DISPOSITIONS],
               ("risk class", "disposition", "signed ..._approved"))  # fmt: skip


def _matrix_show(args: argparse.Namespace) -> int:
    def load(uow: UnitOfWork) -> tuple[MatrixView, SignatureView | None]:
        view = matrix.get_matrix(uow, args.revision)
        return view, _release_of(uow, view)

    view, released = read(args, load)
    if args.format == "json":
        _json(_matrix_data(view, released))
    else:
        _print_matrix(view, released)
    return 0


def _draft_or_released(uow: UnitOfWork) -> MatrixView:
    """What a proposal edits: the open draft (propose_matrix edits it), else the released."""
    draft = next((r for r in matrix.matrices(uow) if r.status == "draft"), None)
    return matrix.get_matrix(uow, None if draft is None else draft.revision)


def _matrix_propose(args: argparse.Namespace) -> int:
    changes, approvals = dict(args.cell), dict(args.approval)

    def propose(uow: UnitOfWork) -> tuple[MatrixView, MatrixView]:
        base = _draft_or_released(uow)
        cells = {**base.cells, **changes}
        return base, matrix.propose_matrix(uow, args.title, cells, approvals)

    base, view = act(args, propose)
    how = "edited" if base.status == "draft" else f"new, from revision {base.revision}"
    print(f"Risk matrix revision {view.revision}: draft ({how}); not in force until another QA"
          " person releases it")  # fmt: skip
    for (s, o), cls in sorted(changes.items()):
        if base.cells.get((s, o)) != cls:
            print(f"  severity {s} x occurrence {o}: {base.cells.get((s, o))} -> {cls}")
    for (cls, disposition), needed in sorted(view.approvals.items()):
        if base.approvals.get((cls, disposition)) != needed:
            print(f"  {cls} {disposition.replace('_', ' ')}: needs {', '.join(needed)}")
    return 0


def _matrix_release(args: argparse.Namespace) -> int:
    signing = _signing(args)
    view = act(args, lambda uow: matrix.release_matrix(uow, args.revision, signing))
    print(f"Risk matrix revision {view.revision}: {view.status}; NCRs raised from now on are"
          " classed on it")  # fmt: skip
    return 0
