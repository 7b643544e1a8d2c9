"""Shipments to customers: lines picked by lot (and serial), confirmed by signature; the
confirmation posts every line to the ledger, where anything not released, held, expired or
outside a shipping zone is refused (the whole confirmation with it).

API:
  create_shipment(uow, customer_code, reference="") -> str           (shipment.create)
  pick(uow, shipment_number, lot_number, bin_code, quantity, serial=None) -> None
  pick_scan(uow, shipment_number, scan, bin_code) -> None            GS1 label: lot/serial/count
  confirm_shipment(uow, shipment_number, signing) -> SignatureView   (shipment.confirm)
  cancel_shipment(uow, shipment_number, reason) -> None
"""

from __future__ import annotations

from decimal import Decimal

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.gs1 import parse_gs1
from domain.services.access import require_permission
from domain.services.eco import Signing
from domain.services.materials.db import bin_id, id_of, lot_id, one, plant_today, run, scalar
from domain.services.materials.db import serial_id as find_serial
from domain.services.signatures import RecordRef, SignatureView, sign
from domain.uow import UnitOfWork


def create_shipment(uow: UnitOfWork, customer_code: str, reference: str = "") -> str:
    require_permission(uow, "shipment.create")
    customer = id_of(uow, "customer", "code", customer_code.strip().upper(), "customer")
    return str(
        scalar(
            uow,
            "INSERT INTO workcell.shipment (customer_id, reference, version) VALUES (:c, :r, 1)"
            " RETURNING shipment_number",
            {"c": customer, "r": reference.strip()},
        )
    )


def _open(uow: UnitOfWork, number: str) -> tuple[int, int]:
    row = one(
        uow, "SELECT id, status, version FROM workcell.shipment WHERE shipment_number = :n",
        {"n": number.strip().upper()},
    )  # fmt: skip
    if row is None:
        raise NotFound(f"There is no shipment {number}.")
    if row.status != "open":
        raise RuleViolation(f"Shipment {number} is {row.status}.")
    return int(row.id), int(row.version)


def pick(
    uow: UnitOfWork, shipment_number: str, lot_number: str, bin_code: str, quantity: Decimal,
    serial: str | None = None,
) -> None:  # fmt: skip
    require_permission(uow, "shipment.create")
    shipment, _ = _open(uow, shipment_number)
    lot = lot_id(uow, lot_number)
    if quantity <= 0:
        raise InvalidInput("A quantity is more than 0.")
    run(
        uow,
        "INSERT INTO workcell.shipment_line (shipment_id, lot_id, serial_id, bin_id, quantity,"
        " version) VALUES (:s, :lot, :serial, :bin, :qty, 1)",
        {"s": shipment, "lot": lot, "serial": find_serial(uow, lot, serial) if serial else None,
         "bin": bin_id(uow, bin_code), "qty": quantity},
    )  # fmt: skip


def pick_scan(uow: UnitOfWork, shipment_number: str, scan: str, bin_code: str) -> None:
    """Pick from a lot or serial label: (10) lot (our number), (21) serial, (30) count."""
    label = parse_gs1(scan, today=plant_today(uow))
    if not label.lot:
        raise InvalidInput("The label carries no lot number (10): scan the lot label.")
    quantity = Decimal(label.count) if label.count is not None else Decimal(1)
    pick(uow, shipment_number, label.lot, bin_code, quantity, label.serial)


def confirm_shipment(uow: UnitOfWork, shipment_number: str, signing: Signing) -> SignatureView:
    shipment, version = _open(uow, shipment_number)
    signature = sign(
        uow, RecordRef("shipment", shipment), "confirmed", signing.creds,
        station=signing.station, policy=signing.policy, comment=signing.comment,
        expected_version=signing.expected_version or version, expected_hash=signing.expected_hash,
    )  # fmt: skip
    uow.set_reason(f"shipment {shipment_number.strip().upper()} confirmed")
    run(
        uow,
        "UPDATE workcell.shipment SET status = 'confirmed', version = version + 1 WHERE id = :id",
        {"id": shipment},
    )
    return signature


def cancel_shipment(uow: UnitOfWork, shipment_number: str, reason: str) -> None:
    require_permission(uow, "shipment.create")
    if not reason.strip():
        raise InvalidInput("Say why the shipment is cancelled.")
    shipment, _ = _open(uow, shipment_number)
    uow.set_reason(reason.strip()[:500])
    run(
        uow,
        "UPDATE workcell.shipment SET status = 'cancelled', version = version + 1 WHERE id = :id",
        {"id": shipment},
    )
