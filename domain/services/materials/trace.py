"""Trace both ways over the genealogy edges, in one statement each (a recursive CTE over
workcell.genealogy_edge, then the reached lots' status, holds, on-hand, supplier, and the
confirmed shipments and customers they reached).

API:
  trace(uow, lot_or_serial, direction) -> Trace        direction "backward" | "forward"
  recall(uow, lot_number) -> list[RecallLine]          shipped lots/serials and customers
  forward_lot_ids(uow, lot_id) -> list[int]

Backward is the as-built history down to receipt, supplier and supplier lot; forward is
every lot, serial, shipment and customer a suspect lot reached.
"""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.errors import InvalidInput, NotFound
from domain.services.materials.db import one, run
from domain.uow import UnitOfWork

DIRECTIONS = ("backward", "forward")


@dataclass(frozen=True)
class Node:
    lot_id: int
    lot_number: str
    item_number: str
    description: str
    origin: str
    status: str
    held: bool
    on_hand: Decimal
    quantity: Decimal
    unit: str
    expiry_date: dt.date | None
    supplier: str | None
    supplier_lot: str | None


@dataclass(frozen=True)
class Edge:
    parent_lot_id: int
    child_lot_id: int
    quantity: Decimal
    unit: str
    parent_serial: str | None
    child_serial: str | None


@dataclass(frozen=True)
class Shipped:
    shipment_number: str
    customer_code: str
    customer_name: str
    lot_id: int
    serial: str | None
    quantity: Decimal
    unit: str
    shipped_at: dt.datetime


@dataclass(frozen=True)
class Trace:
    root: Node
    root_serial: str | None
    direction: str
    nodes: dict[int, Node]
    edges: tuple[Edge, ...]
    shipments: tuple[Shipped, ...]

    def children(self, lot: int) -> list[tuple[Edge, Node]]:
        """The next level from ``lot`` in the trace's direction (inputs when backward)."""
        if self.direction == "backward":
            pairs = [(e, self.nodes[e.parent_lot_id]) for e in self.edges if e.child_lot_id == lot]
        else:
            pairs = [(e, self.nodes[e.child_lot_id]) for e in self.edges if e.parent_lot_id == lot]
        return sorted(pairs, key=lambda p: p[1].lot_number)


# :root lot; :serial (optional) narrows the first level to that serial's edges.
_START = {
    "backward": "SELECT e.parent_lot_id AS lot_id FROM workcell.genealogy_edge e WHERE e.child_lot_id = :root"
    " AND (CAST(:serial AS bigint) IS NULL OR e.child_serial_id IS NULL OR e.child_serial_id = :serial)",
    "forward": "SELECT e.child_lot_id FROM workcell.genealogy_edge e WHERE e.parent_lot_id = :root"
    " AND (CAST(:serial AS bigint) IS NULL OR e.parent_serial_id IS NULL OR e.parent_serial_id = :serial)",
}
_STEP = {
    "backward": "SELECT e.parent_lot_id FROM workcell.genealogy_edge e JOIN reach r ON e.child_lot_id = r.lot_id",
    "forward": "SELECT e.child_lot_id FROM workcell.genealogy_edge e JOIN reach r ON e.parent_lot_id = r.lot_id",
}
_EDGE_SIDE = {"backward": "child_lot_id", "forward": "parent_lot_id"}

_BODY = """
WITH RECURSIVE reach(lot_id) AS ({start} UNION {step}),
ids AS (SELECT array_agg(lot_id) || CAST(:root AS bigint) AS ids FROM reach)
SELECT
  (SELECT json_agg(json_build_array(l.id, l.lot_number, i.item_number, i.description, l.origin,
                   l.status, l.id IN (SELECT h.lot_id FROM workcell.hold h WHERE h.status = 'open'),
                   coalesce((SELECT sum(o.quantity) FROM workcell.on_hand o WHERE o.lot_id = l.id), 0),
                   l.quantity, l.unit, l.expiry_date, s.code, l.supplier_lot))
     FROM unnest((SELECT ids FROM ids)) AS x(lot_id) JOIN workcell.lot l ON l.id = x.lot_id JOIN workcell.item i ON i.id = l.item_id
     LEFT JOIN workcell.supplier s ON s.id = l.supplier_id)::text,
  (SELECT json_agg(json_build_array(e.parent_lot_id, e.child_lot_id, e.quantity, e.unit,
                   ps.serial_number, cs.serial_number))
     FROM unnest((SELECT ids FROM ids)) AS x(lot_id) JOIN workcell.genealogy_edge e ON e.{side} = x.lot_id
     LEFT JOIN workcell.serial ps ON ps.id = e.parent_serial_id
     LEFT JOIN workcell.serial cs ON cs.id = e.child_serial_id
    WHERE (e.{side} <> :root OR CAST(:serial AS bigint) IS NULL
           OR coalesce({serial_side}, CAST(:serial AS bigint)) = :serial))::text,
  (SELECT json_agg(json_build_array(sh.shipment_number, c.code, c.name, sl.lot_id, sn.serial_number,
                   sl.quantity, t.at))
     FROM unnest((SELECT ids FROM ids)) AS x(lot_id) JOIN workcell.shipment_line sl ON sl.lot_id = x.lot_id
     JOIN workcell.shipment sh ON sh.id = sl.shipment_id AND sh.status = 'confirmed'
     JOIN workcell.customer c ON c.id = sh.customer_id
     LEFT JOIN workcell.serial sn ON sn.id = sl.serial_id
     LEFT JOIN workcell.inventory_txn t ON t.shipment_line_id = sl.id)::text
"""
SQL = {
    d: _BODY.format(
        start=_START[d],
        step=_STEP[d],
        side=_EDGE_SIDE[d],
        serial_side="e.child_serial_id" if d == "backward" else "e.parent_serial_id",
    )
    for d in DIRECTIONS
}


def resolve(uow: UnitOfWork, ident: str) -> tuple[int, int | None, str | None]:
    """(lot id, serial id, serial number) for a lot number or a serial number."""
    value = ident.strip()
    row = one(uow, "SELECT id FROM workcell.lot WHERE lot_number = :v", {"v": value.upper()})
    if row is not None:
        return int(row[0]), None, None
    rows = run(
        uow, "SELECT lot_id, id, serial_number FROM workcell.serial WHERE serial_number = :v",
        {"v": value},
    )  # fmt: skip
    if not rows:
        raise NotFound(f"{value!r} is neither a lot nor a serial number.")
    if len(rows) > 1:
        raise InvalidInput(f"Serial {value} exists on several items: trace its lot instead.")
    return int(rows[0][0]), int(rows[0][1]), str(rows[0][2])


def trace(uow: UnitOfWork, ident: str, direction: str) -> Trace:
    if direction not in DIRECTIONS:
        raise InvalidInput("Trace backward (what went into it) or forward (where it went).")
    lot, serial, serial_number = resolve(uow, ident)
    row = one(uow, SQL[direction], {"root": lot, "serial": serial})
    assert row is not None
    nodes = {n.lot_id: n for n in (_node(x) for x in _json(row[0]))}
    edges = tuple(
        Edge(int(a), int(b), Decimal(str(q)), u, ps, cs) for a, b, q, u, ps, cs in _json(row[1])
    )
    # a shipment line is in the lot's unit (the node carries it)
    shipped = tuple(
        Shipped(n, cc, cn, int(lt), sn, Decimal(str(q)), nodes[int(lt)].unit, _instant(at))
        for n, cc, cn, lt, sn, q, at in _json(row[2])
    )
    return Trace(nodes[lot], serial_number, direction, nodes, edges, shipped)


def forward_lot_ids(uow: UnitOfWork, lot: int) -> list[int]:
    return [int(r[0]) for r in run(
        uow, f"WITH RECURSIVE reach(lot_id) AS ({_START['forward']} UNION {_STEP['forward']})"
        " SELECT lot_id FROM reach ORDER BY lot_id", {"root": lot, "serial": None},
    )]  # fmt: skip


@dataclass(frozen=True)
class RecallLine:
    customer_code: str
    customer_name: str
    shipment_number: str
    shipped_at: dt.datetime
    item_number: str
    lot_number: str
    serial: str | None
    quantity: Decimal
    unit: str


def recall(uow: UnitOfWork, lot_number: str) -> list[RecallLine]:
    """Everything shipped that the lot reached (itself included), for the recall notice."""
    t = trace(uow, lot_number, "forward")
    lines = [
        RecallLine(s.customer_code, s.customer_name, s.shipment_number, s.shipped_at,
                   t.nodes[s.lot_id].item_number, t.nodes[s.lot_id].lot_number, s.serial,
                   s.quantity, s.unit)
        for s in t.shipments
    ]  # fmt: skip
    return sorted(
        lines, key=lambda r: (r.customer_code, r.shipment_number, r.lot_number, r.serial or "")
    )


def _json(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(json.loads(value, parse_float=Decimal) if isinstance(value, str) else value)


def _instant(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def _node(x: list[Any]) -> Node:
    expiry = dt.date.fromisoformat(x[10]) if x[10] else None
    return Node(
        int(x[0]), x[1], x[2], x[3], x[4], x[5], bool(x[6]), Decimal(str(x[7])),
        Decimal(str(x[8])), x[9], expiry, x[11], x[12],
    )  # fmt: skip
