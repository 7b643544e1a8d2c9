"""Unit-of-measure conversions per item: 1 <unit> = factor × the item's own unit (the unit
its lots are counted in), exact decimals. The ledger converts a quantity entered in another
unit exactly, or refuses it (WC073); see docs/materials.md "Units".

API:
  add_conversion(uow, item_number, unit, factor, decimals=6) -> int        (uom.manage)
  retire_conversion(uow, item_number, unit, reason) -> None                (uom.manage)
  conversions(uow, item_number) -> list[Conversion]
  to_base(uow, item_number, quantity, unit) -> Decimal   the database's exact conversion
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.errors import InvalidInput, NotFound
from domain.services.access import require_permission
from domain.services.materials.db import item_id, run, scalar
from domain.uow import UnitOfWork


@dataclass(frozen=True)
class Conversion:
    unit: str
    factor: Decimal  # 1 unit = factor × base unit
    base_unit: str
    decimals: int


def add_conversion(
    uow: UnitOfWork, item_number: str, unit: str, factor: Decimal, decimals: int = 6
) -> int:
    require_permission(uow, "uom.manage")
    if factor <= 0:
        raise InvalidInput("A conversion factor is more than 0.")
    if not 0 <= decimals <= 6:
        raise InvalidInput("A unit is counted with 0 to 6 decimals.")
    item = item_id(uow, item_number)
    uow.set_reason(f"unit {unit.strip()} = {factor} × base unit of {item_number.strip().upper()}")
    return int(
        scalar(
            uow,
            "INSERT INTO workcell.item_unit (item_id, unit, factor, decimals, version)"
            " VALUES (:i, :u, :f, :d, 1) RETURNING id",
            {"i": item, "u": unit.strip(), "f": factor, "d": decimals},
        )
    )


def retire_conversion(uow: UnitOfWork, item_number: str, unit: str, reason: str) -> None:
    require_permission(uow, "uom.manage")
    if not reason.strip():
        raise InvalidInput("Say why the conversion is retired.")
    uow.set_reason(reason.strip()[:500])
    rows = run(
        uow,
        "UPDATE workcell.item_unit SET active = false, version = version + 1"
        " WHERE item_id = :i AND unit = :u AND active RETURNING id",
        {"i": item_id(uow, item_number), "u": unit.strip()},
    )
    if not rows:
        raise NotFound(f"{item_number.strip().upper()} has no conversion from {unit.strip()}.")


def conversions(uow: UnitOfWork, item_number: str) -> list[Conversion]:
    rows = run(
        uow,
        "SELECT u.unit, u.factor, i.unit, u.decimals FROM workcell.item_unit u"
        " JOIN workcell.item i ON i.id = u.item_id WHERE u.item_id = :i AND u.active"
        " ORDER BY u.unit",
        {"i": item_id(uow, item_number)},
    )
    return [Conversion(r[0], Decimal(r[1]), r[2], int(r[3])) for r in rows]


def to_base(uow: UnitOfWork, item_number: str, quantity: Decimal, unit: str | None) -> Decimal:
    """``quantity`` of ``unit`` in the item's unit, exactly as the ledger will count it."""
    value = scalar(
        uow,
        "SELECT workcell.to_base_unit(:i, :q, :u, :w)",
        {"i": item_id(uow, item_number), "q": quantity, "u": unit, "w": item_number.upper()},
    )
    return Decimal(value)
