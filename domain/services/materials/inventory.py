"""Quantity changes, all through the ledger (the database keeps on-hand): moves, scrap,
signed adjustments, production records (consume + produce + genealogy in one transaction),
and the proof that on-hand equals the ledger.

API:
  move(uow, lot_number, from_bin, to_bin, quantity, serial=None, unit=None) -> int
  scrap(uow, lot_number, bin_code, quantity, reason, serial=None, unit=None) -> int

A quantity may be given in another unit than the lot's (``unit``, or ``Input.unit``): the
database converts it exactly with the item's conversion, or refuses it (WC073).
  adjust(uow, lot_number, bin_code, delta, reason, signing) -> int        (signed: adjusted)
  record_production(uow, Production(...)) -> ProductionView
  verify_inventory(uow) -> list[Discrepancy]            empty when on-hand equals the ledger
"""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from domain.errors import InvalidInput
from domain.services.access import require_permission
from domain.services.eco import Signing
from domain.services.materials.db import bin_id, item_id, lot_id, one, run, scalar, serial_id
from domain.services.signatures import RecordRef, sign
from domain.uow import UnitOfWork


def _positive(quantity: Decimal) -> Decimal:
    if quantity <= 0:
        raise InvalidInput("A quantity is more than 0.")
    return quantity


def move(
    uow: UnitOfWork, lot_number: str, from_bin: str, to_bin: str, quantity: Decimal,
    serial: str | None = None, unit: str | None = None,
) -> int:  # fmt: skip
    require_permission(uow, "inventory.move")
    lot = lot_id(uow, lot_number)
    uow.set_reason(f"move {lot_number.strip().upper()} {from_bin} → {to_bin}")
    return int(
        scalar(
            uow,
            "SELECT workcell.move_stock(:lot, :src, :dst, :qty, :serial, :unit)",
            {
                "lot": lot,
                "src": bin_id(uow, from_bin),
                "dst": bin_id(uow, to_bin),
                "qty": _positive(quantity),
                "serial": serial_id(uow, lot, serial) if serial else None,
                "unit": unit.strip() if unit else None,
            },
        )
    )


def scrap(
    uow: UnitOfWork, lot_number: str, bin_code: str, quantity: Decimal, reason: str,
    serial: str | None = None, unit: str | None = None,
) -> int:  # fmt: skip
    require_permission(uow, "inventory.scrap")
    if not reason.strip():
        raise InvalidInput("Say why it is scrapped.")
    lot = lot_id(uow, lot_number)
    uow.set_reason(reason.strip()[:500])
    return int(
        scalar(
            uow,
            "SELECT workcell.scrap_stock(:lot, :bin, :qty, :reason, :serial, :unit)",
            {
                "lot": lot,
                "bin": bin_id(uow, bin_code),
                "qty": _positive(quantity),
                "reason": reason.strip(),
                "serial": serial_id(uow, lot, serial) if serial else None,
                "unit": unit.strip() if unit else None,
            },
        )
    )


def adjust(
    uow: UnitOfWork, lot_number: str, bin_code: str, delta: Decimal, reason: str,
    signing: Signing,
) -> int:  # fmt: skip
    """A count correction: the adjuster signs the lot as "adjusted" (reason as comment)."""
    require_permission(uow, "inventory.adjust", signing.creds.username)
    if not reason.strip() or delta == 0:
        raise InvalidInput("An adjustment has a reason and changes the quantity.")
    lot = lot_id(uow, lot_number)
    signature = sign(
        uow, RecordRef("lot", lot), "adjusted", signing.creds, station=signing.station,
        policy=signing.policy, comment=reason.strip(),
    )  # fmt: skip
    uow.set_reason(reason.strip()[:500])
    return int(
        scalar(
            uow,
            "SELECT workcell.adjust_stock(:lot, :bin, :delta, :reason, :sig)",
            {
                "lot": lot,
                "bin": bin_id(uow, bin_code),
                "delta": delta,
                "reason": reason.strip(),
                "sig": signature.id,
            },
        )
    )


@dataclass(frozen=True)
class Input:
    lot_number: str
    bin_code: str
    quantity: Decimal
    serial: str | None = None
    unit: str | None = None  # the lot's unit when None


@dataclass(frozen=True)
class Production:
    item_number: str
    quantity: Decimal
    bin_code: str  # where the produced lot waits for release (a quarantine zone)
    inputs: tuple[Input, ...]
    serials: tuple[str, ...] = ()
    expiry: dt.date | None = None
    note: str = ""


@dataclass(frozen=True)
class ProductionView:
    number: str
    lot_number: str
    serials: tuple[str, ...]


def record_production(uow: UnitOfWork, p: Production) -> ProductionView:
    """The "production record" use case until work orders exist: every input consumed and
    linked to the new lot (genealogy) in the caller's transaction."""
    require_permission(uow, "inventory.produce")
    if not p.inputs:
        raise InvalidInput("Name what was consumed.")
    inputs = []
    for x in p.inputs:
        lot = lot_id(uow, x.lot_number)
        inputs.append({
            "lot": lot, "bin": bin_id(uow, x.bin_code), "quantity": str(_positive(x.quantity)),
            "serial": serial_id(uow, lot, x.serial) if x.serial else None,
            "unit": x.unit.strip() if x.unit else None,
        })  # fmt: skip
    uow.set_reason(
        f"production of {p.item_number.strip().upper()}" + (f": {p.note}" if p.note else "")
    )
    record = scalar(
        uow,
        "SELECT workcell.record_production(:item, :qty, :bin, :expiry, CAST(:serials AS text[]),"
        " CAST(:inputs AS jsonb), :note)",
        {"item": item_id(uow, p.item_number), "qty": _positive(p.quantity),
         "bin": bin_id(uow, p.bin_code), "expiry": p.expiry,
         "serials": list(p.serials) or None, "inputs": json.dumps(inputs), "note": p.note},
    )  # fmt: skip
    row = one(
        uow,
        "SELECT r.number, l.lot_number, coalesce(array_agg(s.serial_number ORDER BY s.id)"
        " FILTER (WHERE s.id IS NOT NULL), '{}') FROM workcell.production_record r"
        " JOIN workcell.lot l ON l.id = r.lot_id LEFT JOIN workcell.serial s ON s.lot_id = l.id"
        " WHERE r.id = :id GROUP BY r.number, l.lot_number",
        {"id": record},
    )
    assert row is not None
    return ProductionView(row[0], row[1], tuple(row[2]))


@dataclass(frozen=True)
class Discrepancy:
    lot_number: str
    bin_code: str
    on_hand: Decimal
    ledger: Decimal


_VERIFY = """
WITH ledger AS (
    SELECT lot_id, bin_id, sum(q) AS quantity FROM (
        SELECT lot_id, to_bin_id AS bin_id, quantity AS q FROM workcell.inventory_txn WHERE to_bin_id IS NOT NULL
        UNION ALL
        SELECT lot_id, from_bin_id, -quantity FROM workcell.inventory_txn WHERE from_bin_id IS NOT NULL) t
     GROUP BY lot_id, bin_id)
SELECT l.lot_number, b.code, coalesce(o.quantity, 0), coalesce(g.quantity, 0)
  FROM ledger g FULL JOIN workcell.on_hand o ON o.lot_id = g.lot_id AND o.bin_id = g.bin_id
  JOIN workcell.lot l ON l.id = coalesce(o.lot_id, g.lot_id)
  JOIN workcell.bin b ON b.id = coalesce(o.bin_id, g.bin_id)
 WHERE coalesce(o.quantity, 0) <> coalesce(g.quantity, 0)
 ORDER BY l.lot_number, b.code
"""


def verify_inventory(uow: UnitOfWork) -> list[Discrepancy]:
    """Every on-hand quantity recomputed from the ledger: the list of differences (none
    when the database kept them, as it must)."""
    return [Discrepancy(*r) for r in run(uow, _VERIFY)]


def ledger_counts(uow: UnitOfWork) -> tuple[int, int]:
    """(ledger transactions, on-hand rows) — what `workcell inventory verify` checked."""
    row = one(
        uow,
        "SELECT (SELECT count(*) FROM workcell.inventory_txn), (SELECT count(*) FROM workcell.on_hand)",
    )
    assert row is not None
    return int(row[0]), int(row[1])
