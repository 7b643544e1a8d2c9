"""Lots: what a lot is now (status, holds, on hand by bin, history), and QA's signed
release or rejection.

API:
  get_lot(uow, lot_number) -> LotView
  release_lot(uow, lot_number, signing) -> SignatureView   (QA; not the receiver/producer)
  reject_lot(uow, lot_number, signing) -> SignatureView    (QA; needs a comment)

The database refuses a release without the "released" signature on the lot's current
content (WC013), by the person who received or produced it (WC012), of an expired or held
lot (WC024), and by anyone without lot.release (WC039).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.services.eco import Signing
from domain.services.materials.db import lot_id, one, run
from domain.services.signatures import RecordRef, SignatureView, sign
from domain.uow import UnitOfWork


@dataclass(frozen=True)
class Stock:
    bin_code: str
    zone_type: str
    quantity: Decimal


@dataclass(frozen=True)
class HoldLine:
    id: int
    source: str
    source_ref: str
    reason: str
    status: str
    placed_at: dt.datetime
    placed_by: str


@dataclass(frozen=True)
class Move:
    at: dt.datetime
    action: str
    from_status: str | None
    to_status: str
    actor: str
    comment: str


@dataclass(frozen=True)
class LotView:
    id: int
    lot_number: str
    item_number: str
    description: str
    origin: str
    status: str
    quantity: Decimal
    unit: str
    supplier: str | None
    supplier_lot: str | None
    po_reference: str | None
    coa_reference: str | None
    expiry_date: dt.date | None
    retest_date: dt.date | None
    created_at: dt.datetime
    created_by: str
    version: int
    stock: tuple[Stock, ...]
    holds: tuple[HoldLine, ...]
    history: tuple[Move, ...]
    serials: tuple[str, ...]

    @property
    def held(self) -> bool:
        return any(h.status == "open" for h in self.holds)

    @property
    def on_hand(self) -> Decimal:
        return sum((s.quantity for s in self.stock), Decimal(0))


_LOT = """
SELECT l.id, l.lot_number, i.item_number, i.description, l.origin, l.status, l.quantity, l.unit,
       s.code AS supplier, l.supplier_lot, l.po_reference, l.coa_reference, l.expiry_date,
       l.retest_date, l.created_at, u.username AS created_by, l.version
  FROM workcell.lot l JOIN workcell.item i ON i.id = l.item_id
  JOIN workcell.users u ON u.id = l.created_by
  LEFT JOIN workcell.supplier s ON s.id = l.supplier_id
 WHERE l.id = :id
"""
_STOCK = """
SELECT b.code, z.zone_type, o.quantity FROM workcell.on_hand o
  JOIN workcell.bin b ON b.id = o.bin_id JOIN workcell.zone z ON z.id = b.zone_id
 WHERE o.lot_id = :id AND o.quantity > 0 ORDER BY b.code
"""
_HOLDS = """
SELECT h.id, h.source, h.source_ref, h.reason, h.status, h.created_at, u.username
  FROM workcell.hold h JOIN workcell.users u ON u.id = h.created_by
 WHERE h.lot_id = :id ORDER BY h.id
"""
_HISTORY = """
SELECT t.at, t.action, t.from_status, t.to_status, u.username, t.comment
  FROM workcell.status_transition t JOIN workcell.users u ON u.id = t.actor_id
 WHERE t.record_type = 'lot' AND t.record_id = :id ORDER BY t.id
"""
_SERIALS = "SELECT serial_number FROM workcell.serial WHERE lot_id = :id ORDER BY serial_number"


def lot_view(uow: UnitOfWork, lot: int) -> LotView:
    row = one(uow, _LOT, {"id": lot})
    if row is None:
        raise NotFound(f"There is no lot with id {lot}.")
    p = {"id": lot}
    return LotView(
        **dict(row._mapping),
        stock=tuple(Stock(*r) for r in run(uow, _STOCK, p)),
        holds=tuple(HoldLine(*r) for r in run(uow, _HOLDS, p)),
        history=tuple(Move(*r) for r in run(uow, _HISTORY, p)),
        serials=tuple(r[0] for r in run(uow, _SERIALS, p)),
    )


def get_lot(uow: UnitOfWork, lot_number: str) -> LotView:
    return lot_view(uow, lot_id(uow, lot_number))


def release_lot(uow: UnitOfWork, lot_number: str, signing: Signing) -> SignatureView:
    """QA release, signed; the lot must be in quarantine, in date and not held."""
    lot = get_lot(uow, lot_number)
    if lot.status != "quarantine":
        raise RuleViolation(
            f"Lot {lot.lot_number} is {lot.status}: only a quarantined lot is released."
        )
    if lot.held:
        raise RuleViolation(
            f"Lot {lot.lot_number} is on hold: release the hold first.", title="Lot on hold"
        )
    return _signed_move(uow, lot, "released", signing)


def reject_lot(uow: UnitOfWork, lot_number: str, signing: Signing) -> SignatureView:
    """QA rejection, signed with the reason as comment (quarantined or released lots)."""
    if not (signing.comment or "").strip():
        raise InvalidInput("Say why the lot is rejected (the comment is part of the signature).")
    lot = get_lot(uow, lot_number)
    if lot.status not in ("quarantine", "released"):
        raise RuleViolation(f"Lot {lot.lot_number} is {lot.status}: it cannot be rejected now.")
    return _signed_move(uow, lot, "rejected", signing)


def _signed_move(uow: UnitOfWork, lot: LotView, to: str, signing: Signing) -> SignatureView:
    if lot.created_by == signing.creds.username:
        raise RuleViolation(
            f"{lot.created_by} received or produced lot {lot.lot_number}: someone else "
            f"signs it as {to}.",
            title="Segregation of duties",
        )
    signature = sign(
        uow, RecordRef("lot", lot.id), to, signing.creds, station=signing.station,
        policy=signing.policy, comment=signing.comment,
        expected_version=signing.expected_version or lot.version,
        expected_hash=signing.expected_hash,
    )  # fmt: skip
    uow.set_reason(signing.comment or f"lot {to} (signature {signature.id})")
    rows = run(
        uow,
        "UPDATE workcell.lot SET status = :to, version = version + 1"
        " WHERE id = :id AND version = :v RETURNING id",
        {"to": to, "id": lot.id, "v": lot.version},
    )
    if not rows:
        raise RuleViolation(f"Lot {lot.lot_number} changed meanwhile: reload it and sign again.")
    return signature
