"""What the materials screens read besides a lot (domain/services/materials/lots.py): the
lot's ledger lines, open holds, bins by zone type, an item's approved-supplier list, a
scanned label's item, customers, open shipments and their lines, and the first level of a
trace. Plain reads through the station's SELECT grants; every write goes through the
other modules (and the database's functions and guards).

API:
  ledger(uow, lot_number) -> list[LedgerLine]
  open_holds(uow) -> list[OpenHold]
  bins(uow, zone_types=()) -> list[BinRow]
  item_suppliers(uow, item_number) -> ItemSuppliers
  item_for_gtin(uow, gtin) -> str | None
  customers(uow) -> list[tuple[str, str]]
  shipments(uow, status="open") -> list[ShipmentRow]
  shipment(uow, number) -> ShipmentRow
  shipment_lines(uow, number) -> list[ShipmentLineRow]
  ship_refusal(uow, lot_number) -> str | None      why the lot may not be shipped now
  shipping_bin(uow, lot_number, serial=None) -> str      the may_ship bin holding it
  level(uow, lot_ids, direction) -> Level          one trace level, for a tree that expands
"""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.errors import InvalidInput, NotFound
from domain.services.materials.db import item_id, lot_id, one, plant_today, run
from domain.services.materials.trace import DIRECTIONS, Edge, Node, Shipped, _node
from domain.uow import UnitOfWork


@dataclass(frozen=True)
class LedgerLine:
    at: dt.datetime
    kind: str
    quantity: Decimal
    unit: str
    from_bin: str | None
    to_bin: str | None
    serial: str | None
    actor: str
    reason: str


_LEDGER = """
SELECT t.at, t.kind, t.quantity, t.unit, fb.code, tb.code, s.serial_number, u.username, t.reason
  FROM workcell.inventory_txn t JOIN workcell.users u ON u.id = t.actor_id
  LEFT JOIN workcell.bin fb ON fb.id = t.from_bin_id LEFT JOIN workcell.bin tb ON tb.id = t.to_bin_id
  LEFT JOIN workcell.serial s ON s.id = t.serial_id
 WHERE t.lot_id = :lot ORDER BY t.id
"""


def ledger(uow: UnitOfWork, lot_number: str) -> list[LedgerLine]:
    return [LedgerLine(*r) for r in run(uow, _LEDGER, {"lot": lot_id(uow, lot_number)})]


@dataclass(frozen=True)
class OpenHold:
    id: int
    lot_number: str
    item_number: str
    source: str
    source_ref: str
    reason: str
    placed_at: dt.datetime
    placed_by: str


def open_holds(uow: UnitOfWork) -> list[OpenHold]:
    rows = run(
        uow,
        "SELECT h.id, l.lot_number, i.item_number, h.source, h.source_ref, h.reason, h.created_at, u.username"
        " FROM workcell.hold h JOIN workcell.lot l ON l.id = h.lot_id JOIN workcell.item i ON i.id = l.item_id"
        " JOIN workcell.users u ON u.id = h.created_by WHERE h.status = 'open' ORDER BY h.created_at, h.id",
    )
    return [OpenHold(*r) for r in rows]


@dataclass(frozen=True)
class BinRow:
    code: str
    zone: str
    zone_type: str


def bins(uow: UnitOfWork, zone_types: Sequence[str] = ()) -> list[BinRow]:
    rows = run(
        uow,
        "SELECT b.code, z.name, z.zone_type FROM workcell.bin b JOIN workcell.zone z ON z.id = b.zone_id"
        " WHERE cardinality(CAST(:types AS text[])) = 0 OR z.zone_type = ANY(CAST(:types AS text[]))"
        " ORDER BY b.code",
        {"types": list(zone_types)},
    )
    return [BinRow(*r) for r in rows]


@dataclass(frozen=True)
class SupplierRow:
    code: str
    name: str
    status: str  # approved | disqualified
    note: str


@dataclass(frozen=True)
class ItemSuppliers:
    item_number: str
    description: str
    unit: str
    tracking: str
    suppliers: tuple[SupplierRow, ...]


def item_suppliers(uow: UnitOfWork, item_number: str) -> ItemSuppliers:
    item = item_id(uow, item_number)
    head = one(
        uow,
        "SELECT item_number, description, unit, tracking FROM workcell.item WHERE id = :i",
        {"i": item},
    )
    rows = run(
        uow,
        "SELECT s.code, s.name, a.status, a.note FROM workcell.approved_supplier a"
        " JOIN workcell.supplier s ON s.id = a.supplier_id WHERE a.item_id = :i"
        " ORDER BY a.status, s.code",
        {"i": item},
    )
    return ItemSuppliers(head[0], head[1], head[2], head[3], tuple(SupplierRow(*r) for r in rows))


def item_for_gtin(uow: UnitOfWork, gtin: str) -> str | None:
    row = one(uow, "SELECT item_number FROM workcell.item WHERE gtin = :g", {"g": gtin})
    return None if row is None else str(row[0])


def customers(uow: UnitOfWork) -> list[tuple[str, str]]:
    return [
        (r[0], r[1]) for r in run(uow, "SELECT code, name FROM workcell.customer ORDER BY code")
    ]


@dataclass(frozen=True)
class ShipmentRow:
    number: str
    customer_code: str
    customer_name: str
    reference: str
    status: str
    created_at: dt.datetime
    created_by: str
    version: int
    lines: int


_SHIPMENT = """
SELECT sh.shipment_number, c.code, c.name, sh.reference, sh.status, sh.created_at, u.username, sh.version,
       (SELECT count(*) FROM workcell.shipment_line sl WHERE sl.shipment_id = sh.id)
  FROM workcell.shipment sh JOIN workcell.customer c ON c.id = sh.customer_id
  JOIN workcell.users u ON u.id = sh.created_by
"""


def shipments(uow: UnitOfWork, status: str = "open") -> list[ShipmentRow]:
    rows = run(
        uow, _SHIPMENT + " WHERE sh.status = :s ORDER BY sh.id DESC LIMIT 200", {"s": status}
    )
    return [ShipmentRow(*r) for r in rows]


def shipment(uow: UnitOfWork, number: str) -> ShipmentRow:
    row = one(uow, _SHIPMENT + " WHERE sh.shipment_number = :n", {"n": number.strip().upper()})
    if row is None:
        raise NotFound(f"There is no shipment {number}.")
    return ShipmentRow(*row)


@dataclass(frozen=True)
class ShipmentLineRow:
    lot_number: str
    item_number: str
    serial: str | None
    bin_code: str
    quantity: Decimal
    unit: str
    lot_status: str
    held: bool


def shipment_lines(uow: UnitOfWork, number: str) -> list[ShipmentLineRow]:
    rows = run(
        uow,
        "SELECT l.lot_number, i.item_number, s.serial_number, b.code, sl.quantity, l.unit, l.status,"
        " EXISTS (SELECT 1 FROM workcell.hold h WHERE h.lot_id = l.id AND h.status = 'open')"
        " FROM workcell.shipment_line sl JOIN workcell.shipment sh ON sh.id = sl.shipment_id"
        " JOIN workcell.lot l ON l.id = sl.lot_id JOIN workcell.item i ON i.id = l.item_id"
        " JOIN workcell.bin b ON b.id = sl.bin_id LEFT JOIN workcell.serial s ON s.id = sl.serial_id"
        " WHERE sh.shipment_number = :n ORDER BY sl.id",
        {"n": number.strip().upper()},
    )
    return [ShipmentLineRow(*r) for r in rows]


def ship_refusal(uow: UnitOfWork, lot_number: str) -> str | None:
    """Why the lot may not be picked for a shipment now (the ledger refuses the same at
    confirmation: WC062/WC063/WC064), or None."""
    lot = lot_id(uow, lot_number)
    row = one(
        uow,
        "SELECT l.lot_number, l.status, l.expiry_date, l.retest_date,"
        " (SELECT string_agg(h.reason, '; ' ORDER BY h.id) FROM workcell.hold h WHERE h.lot_id = l.id AND h.status = 'open')"
        " FROM workcell.lot l WHERE l.id = :id",
        {"id": lot},
    )
    assert row is not None
    number, status, expiry, retest, held = row
    today = plant_today(uow)
    if held:
        return f"Lot {number} is on hold ({held}): it cannot be shipped."
    if status != "released":
        return f"Lot {number} is {status}, not released by QA: it cannot be shipped."
    if expiry is not None and expiry < today:
        return f"Lot {number} expired on {expiry:%Y-%m-%d}: it cannot be shipped."
    if retest is not None and retest < today:
        return f"Lot {number} is past its retest date {retest:%Y-%m-%d}: it cannot be shipped."
    return None


def shipping_bin(uow: UnitOfWork, lot_number: str, serial: str | None = None) -> str:
    """The bin in a shipping-allowed zone (may_ship) that holds the lot (or the serial)."""
    lot = lot_id(uow, lot_number)
    if serial:
        row = one(
            uow,
            "SELECT b.code FROM workcell.serial s JOIN workcell.bin b ON b.id = s.bin_id"
            " JOIN workcell.zone z ON z.id = b.zone_id JOIN workcell.zone_type zt ON zt.name = z.zone_type"
            " WHERE s.lot_id = :lot AND s.serial_number = :sn AND zt.may_ship",
            {"lot": lot, "sn": serial.strip()},
        )
    else:
        row = one(
            uow,
            "SELECT b.code FROM workcell.on_hand o JOIN workcell.bin b ON b.id = o.bin_id"
            " JOIN workcell.zone z ON z.id = b.zone_id JOIN workcell.zone_type zt ON zt.name = z.zone_type"
            " WHERE o.lot_id = :lot AND o.quantity > 0 AND zt.may_ship ORDER BY o.quantity DESC, b.code LIMIT 1",
            {"lot": lot},
        )
    if row is None:
        what = f"Serial {serial}" if serial else f"Lot {lot_number.strip().upper()}"
        raise InvalidInput(
            f"{what} is not in a shipping or released-stock bin: move it there first.",
            title="Not at shipping",
        )
    return str(row[0])


@dataclass(frozen=True)
class Level:
    """One step of a trace from ``lot_ids``: each (from lot id, edge, reached node), and
    the confirmed shipments of the given lots."""

    direction: str
    links: tuple[tuple[int, Edge, Node], ...]
    shipments: tuple[Shipped, ...]


_LEVEL = """
WITH e AS (
  SELECT e.parent_lot_id, e.child_lot_id, e.quantity, e.unit, ps.serial_number AS ps, cs.serial_number AS cs
    FROM workcell.genealogy_edge e
    LEFT JOIN workcell.serial ps ON ps.id = e.parent_serial_id
    LEFT JOIN workcell.serial cs ON cs.id = e.child_serial_id
   WHERE e.{side} = ANY(CAST(:ids AS bigint[])))
SELECT e.parent_lot_id, e.child_lot_id, e.quantity, e.unit, e.ps, e.cs,
       l.id, l.lot_number, i.item_number, i.description, l.origin, l.status,
       EXISTS (SELECT 1 FROM workcell.hold h WHERE h.lot_id = l.id AND h.status = 'open'),
       coalesce((SELECT sum(o.quantity) FROM workcell.on_hand o WHERE o.lot_id = l.id), 0),
       l.quantity, l.unit, l.expiry_date, s.code, l.supplier_lot
  FROM e JOIN workcell.lot l ON l.id = e.{other}
  JOIN workcell.item i ON i.id = l.item_id LEFT JOIN workcell.supplier s ON s.id = l.supplier_id
 ORDER BY l.lot_number
"""
_SHIPPED = """
SELECT sh.shipment_number, c.code, c.name, sl.lot_id, sn.serial_number, sl.quantity, l.unit, t.at
  FROM workcell.shipment_line sl JOIN workcell.shipment sh ON sh.id = sl.shipment_id AND sh.status = 'confirmed'
  JOIN workcell.customer c ON c.id = sh.customer_id JOIN workcell.lot l ON l.id = sl.lot_id
  LEFT JOIN workcell.serial sn ON sn.id = sl.serial_id
  LEFT JOIN workcell.inventory_txn t ON t.shipment_line_id = sl.id
 WHERE sl.lot_id = ANY(CAST(:ids AS bigint[])) ORDER BY sh.shipment_number, sl.id
"""
_LEVEL_SQL = {
    "backward": _LEVEL.format(side="child_lot_id", other="parent_lot_id"),
    "forward": _LEVEL.format(side="parent_lot_id", other="child_lot_id"),
}


def level(uow: UnitOfWork, lot_ids: Sequence[int], direction: str) -> Level:
    """The next trace level from these lots (index look-ups only: a tree shows its first
    level at once and expands on a tap, however long the whole trace is)."""
    if direction not in DIRECTIONS:
        raise InvalidInput("Trace backward (what went into it) or forward (where it went).")
    ids = list(lot_ids)
    links = []
    for r in run(uow, _LEVEL_SQL[direction], {"ids": ids}):
        edge = Edge(int(r[0]), int(r[1]), Decimal(r[2]), r[3], r[4], r[5])
        node = _node([r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15],
                      r[16].isoformat() if r[16] else None, r[17], r[18]])  # fmt: skip
        source = edge.child_lot_id if direction == "backward" else edge.parent_lot_id
        links.append((source, edge, node))
    shipped: tuple[Shipped, ...] = ()
    if direction == "forward":
        shipped = tuple(
            Shipped(r[0], r[1], r[2], int(r[3]), r[4], Decimal(r[5]), r[6], r[7])
            for r in run(uow, _SHIPPED, {"ids": ids})
        )
    return Level(direction, tuple(links), shipped)


def root(uow: UnitOfWork, ident: str) -> tuple[Node, str | None]:
    """The lot a trace starts from (a lot number, or a serial number: its lot), with the
    serial number when one was given."""
    from domain.services.materials.trace import resolve

    lot, _, serial = resolve(uow, ident)
    r = one(
        uow,
        "SELECT l.id, l.lot_number, i.item_number, i.description, l.origin, l.status,"
        " EXISTS (SELECT 1 FROM workcell.hold h WHERE h.lot_id = l.id AND h.status = 'open'),"
        " coalesce((SELECT sum(o.quantity) FROM workcell.on_hand o WHERE o.lot_id = l.id), 0),"
        " l.quantity, l.unit, l.expiry_date, s.code, l.supplier_lot"
        " FROM workcell.lot l JOIN workcell.item i ON i.id = l.item_id"
        " LEFT JOIN workcell.supplier s ON s.id = l.supplier_id WHERE l.id = :id",
        {"id": lot},
    )
    assert r is not None
    values = list(r)
    values[10] = values[10].isoformat() if values[10] else None
    return _node(values), serial
