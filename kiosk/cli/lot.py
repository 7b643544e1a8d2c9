"""`workcell lot ...`, `workcell trace`, `workcell recall`, `workcell inventory verify`:
materials at the desk or over SSH (issue 12; docs/materials.md).

Commands acting as a person sign ``--as USERNAME`` in with their PIN (getpass, or one line
on standard input with ``--pin-stdin``); release, reject and hold release sign with that
same PIN entry, proven again to the database with the signature.
"""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.errors import DeviceUnavailable, InvalidInput
from domain.services.eco import Signing
from domain.services.materials import holds, inventory, lots, receiving, retest, trace
from domain.services.materials.lots import LotView
from kiosk.cli.common import act, actor_creds, add_actor, cli_policy, print_rows, read, services
from kiosk.label_printing import issue, printer_of

FORMATS = ("tree", "json", "csv")


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
    lot = sub.add_parser(
        "lot", help="lots: receive, show, release, reject, hold, unhold, move, retest"
    )
    lsub = lot.add_subparsers(dest="lot_command", metavar="ACTION", required=True)
    p = lsub.add_parser("receive", help="receive material into quarantine (label scan or typed)")
    p.add_argument("--supplier", required=True)
    p.add_argument("--bin", required=True, help="a receiving bin")
    p.add_argument("--scan", help="the GS1 label as scanned or as (01)...(17)...(10)...")
    p.add_argument("--item")
    p.add_argument("--supplier-lot")
    p.add_argument("--quantity", type=_decimal)
    p.add_argument("--expiry", type=_date)
    p.add_argument("--retest", type=_date)
    p.add_argument("--po")
    p.add_argument("--coa")
    p.add_argument("--serial", action="append", default=[], help="repeat for each serial")
    p.add_argument("--printer", metavar="HOST:PORT", help="print the lot label (ZPL, port 9100)")
    p.add_argument("--label-out", metavar="FILE", help="write the lot label (ZPL) to a file")
    add_actor(p)
    p.set_defaults(func=_receive)
    p = lsub.add_parser("show", help="status, holds, on hand by bin, history, signatures")
    p.add_argument("lot")
    p.set_defaults(func=_show)
    for name, text in (("release", "QA release, signed (not the receiver)"),
                       ("reject", "QA rejection, signed (needs --comment)")):  # fmt: skip
        p = lsub.add_parser(name, help=text)
        p.add_argument("lot")
        p.add_argument("--comment", required=name == "reject")
        add_actor(p)
        p.set_defaults(func=_decide, decision=name)
    p = lsub.add_parser("hold", help="put a lot on hold (--forward: and everything made from it)")
    p.add_argument("lot")
    p.add_argument("--reason", dest="why", required=True)
    p.add_argument("--source", choices=holds.SOURCES, default="qa")
    p.add_argument("--ref", default="", help="NCR / inspection / recall reference")
    p.add_argument("--forward", action="store_true", help="recall hold on every lot made from it")
    add_actor(p)
    p.set_defaults(func=_hold)
    p = lsub.add_parser("unhold", help="release a QA or recall hold, signed")
    p.add_argument("hold", type=int, help="hold id (see lot show)")
    p.add_argument("--comment", required=True)
    add_actor(p)
    p.set_defaults(func=_unhold)
    p = lsub.add_parser("move", help="move all or part of a lot between bins")
    p.add_argument("lot")
    p.add_argument("--from", dest="src", required=True)
    p.add_argument("--to", dest="dst", required=True)
    p.add_argument("--quantity", type=_decimal, required=True)
    p.add_argument(
        "--unit", help="the unit of --quantity (default: the lot's; e.g. g for a kg lot)"
    )
    p.add_argument("--serial")
    add_actor(p)
    p.set_defaults(func=_move)
    p = lsub.add_parser("retest", help="QA: extend the retest date after a retest, signed")
    p.add_argument("lot")
    p.add_argument("--until", type=_date, required=True, help="the new retest date (YYYY-MM-DD)")
    p.add_argument("--reason", dest="why", required=True)
    p.add_argument("--ref", required=True, help="the retest result (report or CoA reference)")
    add_actor(p)
    p.set_defaults(func=_retest, comment=None)
    _register_trace(sub)


def _register_trace(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("trace", help="genealogy of a lot or serial, backward or forward")
    p.add_argument("ident", metavar="LOT|SERIAL")
    way = p.add_mutually_exclusive_group(required=True)
    way.add_argument("--backward", dest="direction", action="store_const", const="backward")
    way.add_argument("--forward", dest="direction", action="store_const", const="forward")
    p.add_argument("--format", choices=FORMATS, default="tree")
    p.set_defaults(func=_trace)
    p = sub.add_parser("recall", help="shipped lots/serials and customers a lot reached (CSV)")
    p.add_argument("lot")
    p.set_defaults(func=_recall)
    p = sub.add_parser("inventory", help="inventory checks")
    isub = p.add_subparsers(dest="inventory_command", metavar="ACTION", required=True)
    p = isub.add_parser("verify", help="prove every on-hand quantity equals the ledger")
    p.set_defaults(func=_verify)


def _signing(args: argparse.Namespace) -> Signing:
    svc = services(args)
    try:
        return Signing(actor_creds(args), svc.settings.name, cli_policy(svc), args.comment)
    finally:
        svc.dispose()


def _receive(args: argparse.Namespace) -> int:
    if not args.scan and not args.item:
        raise InvalidInput("Give --scan or --item (with --supplier-lot and --quantity).")
    receipt = receiving.Receipt(
        args.supplier, args.bin, scan=args.scan, item_number=args.item,
        supplier_lot=args.supplier_lot, quantity=args.quantity, expiry=args.expiry,
        retest=args.retest, po_reference=args.po, coa_reference=args.coa,
        serials=tuple(args.serial),
    )  # fmt: skip
    printer = printer_of(args.printer)

    def receive(uow: Any) -> LotView:
        view = receiving.receive(uow, receipt)
        if printer is not None or args.label_out:  # the label prints with the receipt, or neither
            try:
                issue(uow, view.lot_number, "zpl", args.label_out, printer)
            except DeviceUnavailable as exc:
                raise DeviceUnavailable(
                    f"{exc.message} The receipt was not saved either: receive without --printer "
                    "and print the label with `workcell label LOT` when the printer is back."
                ) from exc
        return view

    view = act(args, receive, reason="receipt")
    print(f"Lot {view.lot_number} received: {view.quantity} {view.unit} of {view.item_number}"
          f" in {view.stock[0].bin_code} (quarantine)")  # fmt: skip
    return 0


def _show(args: argparse.Namespace) -> int:
    def load(uow: Any) -> tuple[LotView, list[retest.Extension], int]:
        from domain.services.materials.labels import issued_count

        return (
            lots.get_lot(uow, args.lot),
            retest.retest_history(uow, args.lot),
            issued_count(uow, args.lot),
        )

    view, extensions, labels_issued = read(args, load)
    _print_lot(view)
    if extensions:
        print("\nRetest extensions:")
        print_rows([(f"{x.at:%Y-%m-%d %H:%M %Z}", x.old_date, x.new_date, x.by, x.reference, x.reason)
                    for x in extensions], ("at", "from", "to", "by", "result", "reason"))  # fmt: skip
    print(f"\nLabels issued: {labels_issued}")
    return 0


def _print_lot(v: LotView) -> None:
    held = "  ON HOLD" if v.held else ""
    print(f"Lot {v.lot_number}  {v.item_number} {v.description}  [{v.status}]{held}")
    source = f"supplier {v.supplier} lot {v.supplier_lot}" if v.origin == "received" else "produced"
    print(f"  {v.quantity} {v.unit} {v.origin}: {source}; PO {v.po_reference or '-'},"
          f" CoA {v.coa_reference or '-'}")  # fmt: skip
    print(f"  expiry {v.expiry_date or '-'}, retest {v.retest_date or '-'}; by {v.created_by}"
          f" at {v.created_at:%Y-%m-%d %H:%M %Z}; version {v.version}")  # fmt: skip
    print("\nOn hand:")
    print_rows(
        [(s.bin_code, s.zone_type, s.quantity) for s in v.stock], ("bin", "zone", "quantity")
    )
    if v.holds:
        print("\nHolds:")
        print_rows([(h.id, h.status, h.source, h.source_ref, h.reason, h.placed_by)
                    for h in v.holds], ("hold", "status", "source", "ref", "reason", "by"))  # fmt: skip
    if v.serials:
        print(f"\nSerials: {', '.join(v.serials)}")
    print("\nHistory:")
    for m in v.history:
        print(f"  {m.at:%Y-%m-%d %H:%M %Z}  {m.action} by {m.actor}: {m.from_status} → {m.to_status}"
              + (f" — {m.comment}" if m.comment else ""))  # fmt: skip


def _decide(args: argparse.Namespace) -> int:
    signing = _signing(args)
    fn = lots.release_lot if args.decision == "release" else lots.reject_lot
    signature = act(args, lambda uow: fn(uow, args.lot, signing))
    print(f"Lot {args.lot.upper()} {signature.meaning}. {signature.manifestation().line}")
    return 0


def _hold(args: argparse.Namespace) -> int:
    if args.forward:
        held = act(args, lambda uow: holds.hold_forward(uow, args.lot, args.why))
        print(f"Recall hold on {len(held)} lots: {', '.join(held)}")
        return 0
    hold = act(args, lambda uow: holds.place_hold(uow, args.lot, args.why, args.source, args.ref))
    print(f"Lot {args.lot.upper()} on hold (hold {hold})")
    return 0


def _unhold(args: argparse.Namespace) -> int:
    signing = _signing(args)
    signature = act(args, lambda uow: holds.release_hold(uow, args.hold, signing))
    print(f"Hold {args.hold} released. {signature.manifestation().line}")
    return 0


def _move(args: argparse.Namespace) -> int:
    act(args, lambda uow: inventory.move(uow, args.lot, args.src, args.dst, args.quantity,
                                         args.serial, args.unit))  # fmt: skip
    unit = f" {args.unit}" if args.unit else ""
    print(f"Moved {args.quantity}{unit} of lot {args.lot.upper()} from {args.src} to {args.dst}")
    return 0


def _retest(args: argparse.Namespace) -> int:
    signing = _signing(args)
    act(
        args,
        lambda uow: retest.extend_retest(uow, args.lot, args.until, args.why, args.ref, signing),
    )
    print(f"Lot {args.lot.upper()}: retest date extended to {args.until:%Y-%m-%d} ({args.ref})")
    return 0


def _trace(args: argparse.Namespace) -> int:
    t = read(args, lambda uow: trace.trace(uow, args.ident, args.direction))
    rows = _rows(t)
    if args.format == "json":
        print(json.dumps({"root": t.root.lot_number, "serial": t.root_serial,
                          "direction": t.direction, "lots": rows,
                          "shipments": [_shipped(s, t) for s in t.shipments]},
                         default=str, indent=2))  # fmt: skip
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    else:
        _print_tree(t)
    return 0


def _node_text(n: trace.Node) -> str:
    held = " ON HOLD" if n.held else ""
    origin = f" ← {n.supplier} lot {n.supplier_lot}" if n.origin == "received" else ""
    return (f"{n.lot_number}  {n.item_number}  [{n.status}{held}]  on hand {n.on_hand} {n.unit}"
            f"{origin}")  # fmt: skip


def _print_tree(t: trace.Trace) -> None:
    serial = f" (serial {t.root_serial})" if t.root_serial else ""
    print(f"{_node_text(t.root)}{serial}")
    seen: set[int] = set()

    def walk(lot: int, depth: int) -> None:
        for edge, node in t.children(lot):
            print(f"{'  ' * depth}└ {edge.quantity} {edge.unit}  {_node_text(node)}")
            if node.lot_id not in seen:
                seen.add(node.lot_id)
                walk(node.lot_id, depth + 1)

    walk(t.root.lot_id, 1)
    for s in t.shipments:
        print(f"shipped: {s.shipment_number} to {s.customer_code} ({s.customer_name}):"
              f" {t.nodes[s.lot_id].lot_number} {s.serial or ''} {s.quantity} {s.unit}")  # fmt: skip


def _rows(t: trace.Trace) -> list[dict[str, Any]]:
    depth = {t.root.lot_id: 0}
    frontier = [t.root.lot_id]
    while frontier:
        nxt = []
        for lot in frontier:
            for _, node in t.children(lot):
                if node.lot_id not in depth:
                    depth[node.lot_id] = depth[lot] + 1
                    nxt.append(node.lot_id)
        frontier = nxt
    return [
        {"depth": depth.get(n.lot_id, 0), "lot": n.lot_number, "item": n.item_number,
         "status": n.status, "held": n.held, "on_hand": n.on_hand, "quantity": n.quantity,
         "unit": n.unit, "expiry": n.expiry_date, "supplier": n.supplier,
         "supplier_lot": n.supplier_lot}
        for n in sorted(t.nodes.values(), key=lambda n: (depth.get(n.lot_id, 0), n.lot_number))
    ]  # fmt: skip


def _shipped(s: trace.Shipped, t: trace.Trace) -> dict[str, Any]:
    return {"shipment": s.shipment_number, "customer": s.customer_code, "name": s.customer_name,
            "lot": t.nodes[s.lot_id].lot_number, "serial": s.serial, "quantity": s.quantity,
            "unit": s.unit, "shipped_at": s.shipped_at}  # fmt: skip


def _recall(args: argparse.Namespace) -> int:
    lines = read(args, lambda uow: trace.recall(uow, args.lot))
    print_rows(
        [(r.customer_code, r.customer_name, r.shipment_number, r.shipped_at.isoformat(),
          r.item_number, r.lot_number, r.serial or "", r.quantity, r.unit) for r in lines],
        ("customer", "name", "shipment", "shipped_at", "item", "lot", "serial", "quantity", "unit"),
        "csv",
    )  # fmt: skip
    return 0


def _verify(args: argparse.Namespace) -> int:
    def check(uow: Any) -> tuple[list[inventory.Discrepancy], tuple[int, int]]:
        return inventory.verify_inventory(uow), inventory.ledger_counts(uow)

    problems, (txns, rows) = read(args, check)
    if problems:
        print_rows([(p.lot_number, p.bin_code, p.on_hand, p.ledger) for p in problems],
                   ("lot", "bin", "on hand", "ledger"))  # fmt: skip
        print(f"FAILED: {len(problems)} on-hand quantities differ from the ledger", file=sys.stderr)
        return 1
    print(f"OK: {rows} on-hand quantities equal the ledger ({txns} transactions)")
    return 0
