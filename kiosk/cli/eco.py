"""`workcell eco ...`: engineering change orders for scripted loads and desk work.

Every command acting as a person signs the one named by ``--as`` in with their PIN:
read with getpass, or one line from standard input with ``--pin-stdin`` (scripts, tests).
Signing commands (submit, review, approve, reject) sign with that same PIN entry, proven
again to the database with the signature. The CLI signs in by username + PIN.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from domain.services import eco, signatures
from domain.services.signatures import RecordRef, SignatureView
from domain.uow import UnitOfWork
from kiosk.bootstrap import Services
from kiosk.cli.common import (
    act,
    actor_creds,
    add_actor,
    add_reason,
    cli_policy,
    print_rows,
    services,
)
from kiosk.cli.engineering_common import instant, local

FORMATS = ("table", "csv", "json")
SIGNING: dict[str, tuple[Callable[[UnitOfWork, str, eco.Signing], SignatureView], str]] = {
    "submit": (eco.submit_eco, "sign as authored and send for review (engineer)"),
    "review": (eco.review_eco, "sign as reviewed (engineer or QA, not the author)"),
    "approve": (eco.approve_eco, "sign as approved and release the revisions (QA)"),
    "reject": (eco.reject_eco, "signed rejection back to the author (needs --comment)"),
}


def register(sub: argparse._SubParsersAction[Any]) -> None:
    e = sub.add_parser("eco", help="engineering change orders: create, sign, show, list")
    esub = e.add_subparsers(dest="eco_command", metavar="ACTION", required=True)
    p = esub.add_parser("create", help="a new draft ECO")
    p.add_argument("--title", required=True)
    p.add_argument("--reason", dest="why", required=True, help="why the change is needed")
    p.add_argument("--description", default="")
    p.add_argument("--effective", metavar="DATE", help="requested start (default: on approval)")
    add_actor(p)
    p.set_defaults(func=_create)
    p = esub.add_parser("add-item", help="list an item with its new draft revision(s)")
    p.add_argument("number")
    p.add_argument("item")
    bom = p.add_mutually_exclusive_group()
    bom.add_argument("--bom", metavar="REV", help="an existing draft BOM revision")
    bom.add_argument("--new-bom", action="store_true", help="new draft copied from the current")
    rt = p.add_mutually_exclusive_group()
    rt.add_argument("--routing", metavar="REV")
    rt.add_argument("--new-routing", action="store_true")
    p.add_argument("--note", default="", help="what changes on this item")
    add_actor(p)
    p.set_defaults(func=_add_item)
    p = esub.add_parser("remove-item", help="take an item off a draft ECO")
    p.add_argument("number")
    p.add_argument("item")
    add_actor(p)
    add_reason(p)
    p.set_defaults(func=_remove_item)
    _register_signing(esub)
    p = esub.add_parser("cancel", help="close an open ECO without releasing anything")
    p.add_argument("number")
    add_actor(p)
    add_reason(p)
    p.set_defaults(func=_cancel)
    p = esub.add_parser("show", help="an ECO with its items, impact, history and signatures")
    p.add_argument("number")
    p.set_defaults(func=_show)
    p = esub.add_parser("list", help="ECOs, newest first")
    p.add_argument("--open", action="store_true", help="only open ones")
    p.add_argument("--item", help="only ECOs listing this item")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(func=_list)


def _register_signing(esub: argparse._SubParsersAction[Any]) -> None:
    for name, (_, text) in SIGNING.items():
        p = esub.add_parser(name, help=text)
        p.add_argument("number")
        p.add_argument("--comment", required=name == "reject")
        add_actor(p)
        p.set_defaults(func=_sign, action=name)


def _create(args: argparse.Namespace) -> int:
    svc = services(args)
    view = act(
        args,
        lambda uow: eco.create_eco(
            uow, args.title, args.why, description=args.description,
            effective_from=instant(svc, args.effective),
        ),
        svc=svc,
    )  # fmt: skip
    print(f"{view.number} created (draft)")
    return 0


def _add_item(args: argparse.Namespace) -> int:
    view = act(
        args,
        lambda uow: eco.add_eco_item(
            uow, args.number, args.item, bom_revision=args.bom, routing_revision=args.routing,
            new_bom=args.new_bom, new_routing=args.new_routing, change_note=args.note,
        ),
    )  # fmt: skip
    for i in view.items:
        if i.item_number == args.item.strip().upper():
            revs = ", ".join(
                f"{k} rev {r}"
                for k, r in (("BOM", i.bom_revision), ("routing", i.routing_revision))
                if r
            )
            print(f"{view.number}: {i.item_number} → {revs} (draft)")
    return 0


def _remove_item(args: argparse.Namespace) -> int:
    act(args, lambda uow: eco.remove_eco_item(uow, args.number, args.item, args.reason))
    print(f"{args.item} removed from {args.number}")
    return 0


def _sign(args: argparse.Namespace) -> int:
    svc = services(args)
    fn, _ = SIGNING[args.action]

    def sign(uow: UnitOfWork) -> tuple[SignatureView, eco.EcoView]:
        signing = eco.Signing(actor_creds(args), svc.settings.name, cli_policy(svc), args.comment)
        return fn(uow, args.number, signing), eco.get_eco(uow, args.number)

    signature, view = act(args, sign, svc=svc)
    m = signature.manifestation(svc.settings.timezone)
    print(f"{view.number} is now {view.status.replace('_', ' ')}. {m.line}")
    return 0


def _cancel(args: argparse.Namespace) -> int:
    view = act(args, lambda uow: eco.cancel_eco(uow, args.number, args.reason))
    print(f"{view.number} cancelled")
    return 0


def _show(args: argparse.Namespace) -> int:
    svc = services(args)
    with svc.uow(None) as uow:
        view = eco.get_eco(uow, args.number)
        sigs = signatures.signatures_for(uow, RecordRef("eco", view.id))
    _print_eco(svc, view, sigs)
    return 0


def _print_eco(svc: Services, view: eco.EcoView, sigs: list[SignatureView]) -> None:
    effective = local(svc, view.effective_from) if view.effective_from else "when approved"
    print(f"{view.number}  {view.title}  [{view.status.replace('_', ' ')}]")
    print(f"  reason: {view.reason}")
    if view.description:
        print(f"  {view.description}")
    print(f"  effective: {effective}; author {view.created_by}; version {view.version}")
    print(f"  content sha256 {view.content_hash}")
    print("\nAffected items:")
    print_rows(
        [(i.item_number, i.description, i.bom_revision or "", i.bom_status or "",
          i.routing_revision or "", i.routing_status or "", i.change_note) for i in view.items],
        ("item", "description", "BOM rev", "status", "routing rev", "status", "change"),
        keys=("item", "description", "bom_rev", "bom_status", "routing_rev", "routing_status",
              "change"),
    )  # fmt: skip
    print(
        "\nWhere used (at submission):" if view.impact else "\nWhere used: (computed at submission)"
    )
    for r in view.impact:
        print(f"  {r.item_number} → {'  ' * (r.level - 1)}{r.used_in} rev {r.revision}")
    print("\nHistory:")
    for h in view.history:
        note = f" — {h.comment}" if h.comment else ""
        print(
            f"  {local(svc, h.at)}  {h.action} by {h.actor}: {h.from_status} → {h.to_status}{note}"
        )
    print("\nSignatures:")
    for s in sigs:
        state = "valid" if s.valid else f"INVALID ({s.reason})"
        print(f"  {s.manifestation(svc.settings.timezone).line}  [{state}]")


def _list(args: argparse.Namespace) -> int:
    svc = services(args)
    with svc.uow(None) as uow:
        rows = eco.list_ecos(uow, open_only=args.open, item_number=args.item)
    print_rows(
        [
            (r.number, r.status, r.title, r.items, r.created_by, local(svc, r.created_at))
            for r in rows
        ],
        ("eco", "status", "title", "items", "author", "created"),
        args.format,
    )
    return 0
