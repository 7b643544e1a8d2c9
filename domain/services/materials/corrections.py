"""Scrap and count adjustments at a station, checked before anyone is asked to confirm or
sign: the lot a scan names with what may be done to it (the verdict a screen shows at
once), and every refusal the ledger would give, without writing anything.

API:
  stock_lot(uow, ident, kind) -> StockLot          kind "scrap" | "adjust"; refusal None: may
  check_change(uow, Change(...)) -> CheckedChange  the same refusals as the ledger, nothing written
  offered(uow, lot_number) -> {kind: refusal}       what a lot screen offers: None may, else why

The database refuses the same (inventory_txn_apply, inventory_txn_not_held, to_base_unit:
WC061 more than on hand, WC062 held, WC067 serial, WC068 no reason, WC220 part of an 'ea').
"""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.errors import InsufficientStock, InvalidInput, LotOnHold, NotFound, WorkCellError
from domain.services.access import require_permission
from domain.services.materials.db import one, scalar
from domain.uow import UnitOfWork

KINDS = {"scrap": "inventory.scrap", "adjust": "inventory.adjust"}
VERBS = {"scrap": "scrapped", "adjust": "adjusted"}


@dataclass(frozen=True)
class StockAt:
    bin_code: str
    zone_type: str
    quantity: Decimal


@dataclass(frozen=True)
class StockLot:
    lot_number: str
    item_number: str
    description: str
    status: str
    unit: str
    tracking: str
    hold: str | None  # the first open hold, as people read it
    late: str | None  # expired / past retest
    stock: tuple[StockAt, ...]
    refusal: str | None  # None: the signed-in person may scrap / adjust it


@dataclass(frozen=True)
class Change:
    kind: str  # scrap | adjust
    lot_number: str
    bin_code: str
    quantity: Decimal  # scrap: > 0; adjust: the signed delta
    reason: str
    serial: str | None = None


@dataclass(frozen=True)
class CheckedChange:
    kind: str
    lot_number: str
    item_number: str
    unit: str
    bin_code: str
    quantity: Decimal  # as checked (signed for an adjustment)
    on_hand: Decimal  # in the bin, before
    after: Decimal
    reason: str
    serial: str | None


_LOT = """
SELECT l.id, l.lot_number, i.item_number, i.description, l.status, l.unit, i.tracking,
       l.expiry_date, l.retest_date, workcell.plant_today() AS today,
       (SELECT format('%s hold %s: %s', upper(h.source), h.id, h.reason) FROM workcell.hold h
         WHERE h.lot_id = l.id AND h.status = 'open' ORDER BY h.id LIMIT 1) AS hold,
       (SELECT json_agg(json_build_array(b.code, z.zone_type, o.quantity::text) ORDER BY b.code)
          FROM workcell.on_hand o JOIN workcell.bin b ON b.id = o.bin_id JOIN workcell.zone z ON z.id = b.zone_id
         WHERE o.lot_id = l.id AND o.quantity > 0) AS stock
  FROM workcell.lot l JOIN workcell.item i ON i.id = l.item_id
 WHERE l.lot_number = :v OR l.id = (SELECT s.lot_id FROM workcell.serial s WHERE s.serial_number = :raw LIMIT 1)
 ORDER BY l.lot_number = :v DESC LIMIT 1
"""


def stock_lot(uow: UnitOfWork, ident: str, kind: str) -> StockLot:
    """The lot (by our number or one of its serials), its stock by bin, and whether the
    signed-in person may scrap or adjust it: permission, hold, something on hand."""
    if kind not in KINDS:
        raise InvalidInput("Scrap or adjust.")
    raw = ident.strip()
    row = one(uow, _LOT, {"v": raw.upper(), "raw": raw})
    if row is None:
        raise NotFound(f"There is no lot or serial {raw!r}.")
    # one statement for the lot, its hold and its stock: a scan's verdict is one round trip
    stock = tuple(StockAt(c, z, Decimal(q)) for c, z, q in (row.stock or ()))
    late = None
    if row.expiry_date is not None and row.expiry_date < row.today:
        late = f"expired {row.expiry_date:%Y-%m-%d}"
    elif row.retest_date is not None and row.retest_date < row.today:
        late = f"past retest {row.retest_date:%Y-%m-%d}"
    try:
        _assert_may(uow, kind, row.lot_number, row.hold, row.tracking, stock)
        refusal = None
    except WorkCellError as refused:
        refusal = refused.message
    return StockLot(
        row.lot_number, row.item_number, row.description, row.status, row.unit, row.tracking,
        row.hold, late, stock, refusal,
    )  # fmt: skip


def offered(uow: UnitOfWork, lot_number: str) -> dict[str, str | None]:
    """Scrap and adjust as a lot screen offers them: only when something is on hand (and
    adjust not for a serialised lot, whose count changes by scrapping a serial), each None
    (the signed-in person may) or the same refusal the Scrap / Adjust screen gives."""
    lot = stock_lot(uow, lot_number, "scrap")
    if not lot.stock:
        return {}
    kinds = ("scrap",) if lot.tracking == "serial" else ("scrap", "adjust")
    offered: dict[str, str | None] = {}
    for kind in kinds:
        try:
            _assert_may(uow, kind, lot.lot_number, lot.hold, lot.tracking, lot.stock)
            offered[kind] = None
        except WorkCellError as refused:
            offered[kind] = refused.message
    return offered


def _assert_may(
    uow: UnitOfWork,
    kind: str,
    lot: str,
    hold: str | None,
    tracking: str,
    stock: tuple[StockAt, ...],
) -> None:
    require_permission(uow, KINDS[kind])
    if hold is not None:
        raise LotOnHold(
            f"Lot {lot} is on hold ({hold}): a held lot is not {VERBS[kind]} — QA decides "
            "through the hold first."
        )
    if kind == "adjust" and tracking == "serial":
        raise InvalidInput(
            f"Lot {lot} is serialised: its count changes one serial at a time (scrap the serial)."
        )
    if kind == "scrap" and not stock:
        raise InsufficientStock(f"Lot {lot} has nothing on hand to scrap.")


def check_change(uow: UnitOfWork, c: Change) -> CheckedChange:
    """Every refusal the ledger would give the change, before anything is written."""
    if c.kind not in KINDS:
        raise InvalidInput("Scrap or adjust.")
    lot = stock_lot(uow, c.lot_number, c.kind)
    _assert_may(uow, c.kind, lot.lot_number, lot.hold, lot.tracking, lot.stock)
    reason = c.reason.strip()
    if not reason:
        raise InvalidInput(
            f"Say why it is {VERBS[c.kind]}: the reason is part of the record.",
            title="Reason needed",
        )
    if not c.bin_code.strip():
        raise InvalidInput("Choose the bin.")
    if c.quantity == 0 or (c.kind == "scrap" and c.quantity < 0):
        raise InvalidInput(
            "A quantity is more than 0."
            if c.kind == "scrap"
            else "An adjustment changes the quantity: enter how much more or less."
        )
    item = scalar(
        uow, "SELECT id FROM workcell.item WHERE item_number = :n", {"n": lot.item_number}
    )
    # exact in the lot's unit (decimals, whole 'ea'): the ledger's own conversion says why not
    scalar(uow, "SELECT workcell.to_base_unit(:i, :q, NULL, :what)",
           {"i": item, "q": abs(c.quantity), "what": f"lot {lot.lot_number}"})  # fmt: skip
    code = c.bin_code.strip().upper()
    here = next((s.quantity for s in lot.stock if s.bin_code == code), Decimal(0))
    serial = (c.serial or "").strip() or None
    if c.kind == "scrap" and lot.tracking == "serial":
        _check_serial(uow, lot.lot_number, code, serial, c.quantity)
    elif serial:
        raise InvalidInput(f"Lot {lot.lot_number} is not serialised: leave the serial empty.")
    taken = c.quantity if c.kind == "scrap" else -c.quantity
    if taken > here:
        raise InsufficientStock(
            f"Only {_q(here)} {lot.unit} of lot {lot.lot_number} is in {code}: "
            + (f"scrapping {_q(c.quantity)}" if c.kind == "scrap" else f"an adjustment of −{_q(-c.quantity)}")
            + " would leave it below nothing.",
            title="Not that much here",
        )  # fmt: skip
    return CheckedChange(
        c.kind, lot.lot_number, lot.item_number, lot.unit, code, c.quantity, here, here - taken,
        reason, serial,
    )  # fmt: skip


def _check_serial(
    uow: UnitOfWork, lot: str, bin_code: str, serial: str | None, qty: Decimal
) -> None:
    if serial is None or qty != 1:
        raise InvalidInput(
            f"Lot {lot} is serialised: scrap one serial at a time (quantity 1, its serial number)."
        )
    row = one(
        uow,
        "SELECT s.status, b.code FROM workcell.serial s JOIN workcell.lot l ON l.id = s.lot_id"
        " LEFT JOIN workcell.bin b ON b.id = s.bin_id WHERE l.lot_number = :lot AND s.serial_number = :sn",
        {"lot": lot, "sn": serial},
    )
    if row is None:
        raise NotFound(f"Serial {serial} is not in lot {lot}.")
    if row.status != "in_stock" or row.code != bin_code:
        where = f"in bin {row.code}" if row.code else row.status
        raise InvalidInput(f"Serial {serial} is not in bin {bin_code} (it is {where}).")


def _q(value: Decimal) -> str:
    return f"{value.normalize():f}"
