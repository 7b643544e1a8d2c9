"""Purchase-order lines, kept by purchasing: what was ordered of which item from which
supplier. A receipt naming "PO" or "PO/line" counts against the line; the database refuses
more than is open (WC075), also when two stations receive the last of it at once.

API:
  add_po_line(uow, PoLine(...)) -> int                         (purchasing.manage)
  amend_po_line(uow, po_number, line_no, quantity, reason)     (never below what was received)
  close_po_line(uow, po_number, line_no, reason) / reopen_po_line(...)
  po_lines(uow, po_number) -> list[PoLineView]                 ordered, received, open
"""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.errors import InvalidInput, NotFound
from domain.services.access import require_permission
from domain.services.materials.db import id_of, item_id, one, run, scalar
from domain.uow import UnitOfWork


@dataclass(frozen=True)
class PoLine:
    po_number: str
    line_no: int
    item_number: str
    supplier_code: str
    quantity: Decimal
    unit: str | None = None  # the item's unit when None
    note: str = ""


@dataclass(frozen=True)
class PoLineView:
    po_number: str
    line_no: int
    item_number: str
    supplier: str
    ordered: Decimal
    unit: str
    received: Decimal  # in the item's unit
    open: Decimal  # in the item's unit
    base_unit: str
    status: str


def add_po_line(uow: UnitOfWork, line: PoLine) -> int:
    require_permission(uow, "purchasing.manage")
    item = item_id(uow, line.item_number)
    unit = line.unit or scalar(uow, "SELECT unit FROM workcell.item WHERE id = :i", {"i": item})
    uow.set_reason(f"PO {line.po_number.strip().upper()} line {line.line_no}")
    return int(
        scalar(
            uow,
            "INSERT INTO workcell.purchase_order_line (po_number, line_no, item_id, supplier_id,"
            " ordered_quantity, unit, note, version) VALUES (:po, :n, :i, :s, :q, :u, :note, 1) RETURNING id",
            {"po": line.po_number.strip().upper(), "n": line.line_no, "i": item,
             "s": id_of(uow, "supplier", "code", line.supplier_code.strip().upper(), "supplier"),
             "q": line.quantity, "u": unit, "note": line.note.strip()},
        )
    )  # fmt: skip


def _line(uow: UnitOfWork, po_number: str, line_no: int) -> int:
    found = scalar(
        uow,
        "SELECT id FROM workcell.purchase_order_line WHERE po_number = :po AND line_no = :n",
        {"po": po_number.strip().upper(), "n": line_no},
    )
    if found is None:
        raise NotFound(f"There is no PO {po_number.strip().upper()} line {line_no}.")
    return int(found)


def _update(uow: UnitOfWork, po: str, n: int, assignment: str, reason: str, **p: object) -> None:
    require_permission(uow, "purchasing.manage")
    if not reason.strip():
        raise InvalidInput("Give the reason for the change.")
    line = _line(uow, po, n)
    uow.set_reason(reason.strip()[:500])
    run(uow, f"UPDATE workcell.purchase_order_line SET {assignment}, version = version + 1 WHERE id = :id",
        {"id": line, **p})  # fmt: skip


def amend_po_line(
    uow: UnitOfWork, po_number: str, line_no: int, quantity: Decimal, reason: str
) -> None:
    _update(uow, po_number, line_no, "ordered_quantity = :q", reason, q=quantity)


def close_po_line(uow: UnitOfWork, po_number: str, line_no: int, reason: str) -> None:
    _update(uow, po_number, line_no, "status = 'closed'", reason)


def reopen_po_line(uow: UnitOfWork, po_number: str, line_no: int, reason: str) -> None:
    _update(uow, po_number, line_no, "status = 'open'", reason)


_LINES = """
SELECT p.po_number, p.line_no, i.item_number, s.code, p.ordered_quantity, p.unit,
       workcell.po_line_received(p.id) AS received,
       workcell.to_base_unit(p.item_id, p.ordered_quantity, p.unit, 'PO ' || p.po_number) AS ordered_base,
       i.unit AS base_unit, p.status
  FROM workcell.purchase_order_line p JOIN workcell.item i ON i.id = p.item_id
  JOIN workcell.supplier s ON s.id = p.supplier_id
 WHERE p.po_number = :po ORDER BY p.line_no
"""


def po_lines(uow: UnitOfWork, po_number: str) -> list[PoLineView]:
    rows = run(uow, _LINES, {"po": po_number.strip().upper()})
    if not rows:
        raise NotFound(f"There is no PO {po_number.strip().upper()} on file.")
    return [
        PoLineView(r.po_number, r.line_no, r.item_number, r.code, Decimal(r.ordered_quantity).normalize(),
                   r.unit, Decimal(r.received).normalize(),
                   max(Decimal(r.ordered_base) - Decimal(r.received), Decimal(0)).normalize(),
                   r.base_unit, r.status)
        for r in rows
    ]  # fmt: skip


def open_quantity(uow: UnitOfWork, po_number: str, line_no: int) -> Decimal:
    row = one(
        uow,
        "SELECT workcell.to_base_unit(item_id, ordered_quantity, unit, 'PO') - workcell.po_line_received(id)"
        " FROM workcell.purchase_order_line WHERE id = :id",
        {"id": _line(uow, po_number, line_no)},
    )
    return Decimal(row[0])
