"""Receiving at a station: the supplier's GS1 label scanned (GTIN, lot, expiry, count or
net weight, serial) or the same typed; the lot starts in quarantine in a receiving bin.

API:
  receive(uow, Receipt(...)) -> LotView
  check_receipt(uow, Receipt(...)) -> CheckedReceipt     the same refusals, nothing created

A net weight (310n, kg) is taken for a kg item, or through the item's exact kg
conversion (e.g. a resin counted in g). A PO reference naming a PO on file counts against
its line: more than is open is refused by the database (WC075); ``check_receipt`` asks the
same rules (``workcell.check_po_receipt``: over the open quantity, another item or supplier,
a closed line) before anything is confirmed.

Refused with a clear message, nothing created: malformed scan (InvalidInput from gs1),
unknown GTIN, GTIN of another item, expired (or past retest) on arrival, supplier not on
the item's approved-supplier list or disqualified, a quantity the label and the typed entry
disagree on, serial count not matching. The database refuses the same (WC065, WC066...).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from domain.errors import InvalidInput, NotFound, ReceivingRefused, SupplierNotApproved
from domain.gs1 import GS1Data, parse_gs1
from domain.services.access import require_permission
from domain.services.materials.db import bin_id, id_of, one, plant_today, scalar
from domain.services.materials.lots import LotView, lot_view
from domain.services.materials.units import to_base
from domain.uow import UnitOfWork


@dataclass(frozen=True)
class Receipt:
    supplier_code: str
    bin_code: str
    scan: str | None = None  # the label as scanned (or "(01)...(17)...(10)..." typed)
    item_number: str | None = None  # typed, or checked against the label's GTIN
    supplier_lot: str | None = None
    quantity: Decimal | None = None
    expiry: dt.date | None = None
    retest: dt.date | None = None
    manufactured: dt.date | None = None
    po_reference: str | None = None
    coa_reference: str | None = None
    serials: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Item:
    id: int
    number: str
    unit: str
    tracking: str
    status: str


_RECEIVE = (
    "SELECT workcell.receive_lot(:item, :supplier, :slot, :qty, :bin, :expiry, :retest, :made,"
    " :po, :coa, CAST(:serials AS text[]))"
)


@dataclass(frozen=True)
class CheckedReceipt:
    """What a receipt would create, once every check before the insert has passed."""

    item_number: str
    unit: str
    supplier_code: str
    supplier_lot: str
    quantity: Decimal
    expiry: dt.date | None
    manufactured: dt.date | None
    serials: tuple[str, ...]


def check_receipt(uow: UnitOfWork, r: Receipt) -> CheckedReceipt:
    """Every refusal ``receive`` gives before it creates anything (a screen asks this
    before the person confirms); creates nothing, takes no lot number."""
    require_permission(uow, "lot.receive")
    item, supplier, fields = _checked(uow, r)
    bin_id(uow, r.bin_code)
    if r.po_reference and r.po_reference.strip():
        # the receipt's own PO rules (WC075/WC076), asked before the person confirms
        scalar(
            uow, "SELECT workcell.check_po_receipt(:po, :item, :supplier, :qty)",
            {"po": r.po_reference, "item": item.id, "supplier": supplier, "qty": fields.quantity},
        )  # fmt: skip
    return CheckedReceipt(
        item.number, item.unit, r.supplier_code.strip().upper(), fields.supplier_lot,
        fields.quantity, fields.expiry, fields.manufactured, fields.serials,
    )  # fmt: skip


def _checked(uow: UnitOfWork, r: Receipt) -> tuple[_Item, int, _Fields]:
    today = plant_today(uow)
    label = parse_gs1(r.scan, today=today) if r.scan and r.scan.strip() else None
    item = _item(uow, r, label)
    supplier = id_of(uow, "supplier", "code", r.supplier_code.strip().upper(), "supplier")
    fields = _merged(r, label, item, _label_weight(uow, item, label))
    _check_arrival(uow, item, supplier, r.supplier_code, fields, today)
    return item, supplier, fields


def receive(uow: UnitOfWork, r: Receipt) -> LotView:
    require_permission(uow, "lot.receive")
    item, supplier, fields = _checked(uow, r)
    lot = scalar(
        uow,
        _RECEIVE,
        {
            "item": item.id, "supplier": supplier, "slot": fields.supplier_lot,
            "qty": fields.quantity, "bin": bin_id(uow, r.bin_code), "expiry": fields.expiry,
            "retest": r.retest, "made": fields.manufactured, "po": r.po_reference,
            "coa": r.coa_reference, "serials": list(fields.serials) if fields.serials else None,
        },
    )  # fmt: skip
    return lot_view(uow, int(lot))


@dataclass(frozen=True)
class _Fields:
    supplier_lot: str
    quantity: Decimal
    expiry: dt.date | None
    manufactured: dt.date | None
    serials: tuple[str, ...]


def _item(uow: UnitOfWork, r: Receipt, label: GS1Data | None) -> _Item:
    sql = "SELECT id, item_number, unit, tracking, status FROM workcell.item WHERE "
    typed = r.item_number.strip().upper() if r.item_number else None
    if label is not None and label.gtin:
        row = one(uow, sql + "gtin = :g", {"g": label.gtin})
        if row is None:
            raise NotFound(
                f"No item carries GTIN {label.gtin}: check the label, or ask engineering to "
                "add the GTIN to the item.",
                title="Unknown GTIN",
            )
        if typed and row.item_number != typed:
            raise InvalidInput(
                f"The label's GTIN {label.gtin} is item {row.item_number}, not {typed}: "
                "wrong material or wrong label. Set it aside and call QA.",
                title="Wrong item",
            )
        return _Item(*row)
    if not typed:
        raise InvalidInput("Scan the label or enter the item number.")
    row = one(uow, sql + "item_number = :n", {"n": typed})
    if row is None:
        raise NotFound(f"There is no item {typed}.")
    return _Item(*row)


def _label_weight(uow: UnitOfWork, item: _Item, label: GS1Data | None) -> Decimal | None:
    """The label's net weight (310n, kg) in the item's unit: as is for a kg item, through
    the item's exact kg conversion or the standard one (a resin counted in g), else unused."""
    if label is None or label.net_weight_kg is None:
        return None
    if item.unit == "kg":
        return label.net_weight_kg
    has_kg = scalar(
        uow,
        "SELECT EXISTS (SELECT 1 FROM workcell.item_unit WHERE item_id = :i AND unit = 'kg'"
        " AND active) OR workcell.standard_unit_factor('kg', :u) IS NOT NULL",
        {"i": item.id, "u": item.unit},
    )
    if not has_kg:
        return None
    return to_base(uow, item.number, label.net_weight_kg, "kg")


def _merged(r: Receipt, label: GS1Data | None, item: _Item, weight: Decimal | None) -> _Fields:
    lot = (label.lot if label else None) or r.supplier_lot
    if label and label.lot and r.supplier_lot and label.lot != r.supplier_lot.strip():
        raise InvalidInput(f"The label says lot {label.lot}, the entry {r.supplier_lot}.")
    if not lot or not lot.strip():
        raise InvalidInput("The supplier's lot number is missing: scan it or type it.")
    quantity = _quantity(r, label, item, weight)
    serials = tuple(s.strip() for s in r.serials if s.strip())
    if label and label.serial and not serials:
        serials = (label.serial,)
    if item.tracking == "serial" and Decimal(len(serials)) != quantity:
        raise InvalidInput(
            f"{item.number} is serialised: {quantity} units need {quantity} serial numbers "
            f"({len(serials)} given)."
        )
    expiry = (label.expiry if label else None) or r.expiry
    if label and label.expiry and r.expiry and label.expiry != r.expiry:
        raise InvalidInput(f"The label says expiry {label.expiry}, the entry {r.expiry}.")
    made = (label.production_date if label else None) or r.manufactured
    return _Fields(lot.strip(), quantity, expiry, made, serials)


def _quantity(r: Receipt, label: GS1Data | None, item: _Item, weight: Decimal | None) -> Decimal:
    from_label: Decimal | None = None
    if label is not None and label.count is not None:
        from_label = Decimal(label.count)
    elif weight is not None:
        from_label = weight
    if label is not None and label.serial and from_label is None:
        from_label = Decimal(1)
    if from_label is not None and r.quantity is not None and from_label != r.quantity:
        raise InvalidInput(f"The label says {from_label} {item.unit}, the entry {r.quantity}.")
    quantity = r.quantity if r.quantity is not None else from_label
    if quantity is None:
        raise InvalidInput(f"Enter the quantity received (in {item.unit}).")
    try:
        if quantity <= 0 or quantity.as_tuple().exponent < -6:  # type: ignore[operator]
            raise InvalidInput("A quantity is more than 0, with at most 6 decimals.")
    except InvalidOperation as exc:
        raise InvalidInput(f"{quantity} is not a quantity.") from exc
    return quantity


def _check_arrival(
    uow: UnitOfWork, item: _Item, supplier: int, code: str, f: _Fields, today: dt.date
) -> None:
    if item.status != "approved":
        raise ReceivingRefused(f"Item {item.number} is {item.status}: it cannot be received yet.")
    status = scalar(
        uow,
        "SELECT status FROM workcell.approved_supplier WHERE item_id = :i AND supplier_id = :s",
        {"i": item.id, "s": supplier},
    )
    if status != "approved":
        state = "disqualified" if status else "not on the approved-supplier list"
        raise SupplierNotApproved(
            f"Supplier {code.strip().upper()} is {state} for {item.number}: do not receive "
            "it. Set it aside and call QA."
        )
    if f.expiry is not None and f.expiry < today:
        raise ReceivingRefused(
            f"Lot {f.supplier_lot} expired on {f.expiry:%Y-%m-%d}: refused on arrival. Set it "
            "aside for return.",
            title="Expired on arrival",
        )
