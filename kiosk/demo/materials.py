"""Demo materials: a medical-device plant's site with one zone of each type, its resin,
tubing and pouch suppliers on the approved list (one disqualified), received components in
quarantine and released, a pouch lot on QA hold, a production record of two infusion sets
(genealogy to the tubing and pouch lots), a signed shipment to a hospital, and an open
shipment to a second hospital waiting for its pick (the second infusion set is at the
shipping dock).

Everyone acts as themselves at the station: Quinn (QA) approves the items and releases,
Olivia (operator) receives, moves and records production, Sam (supervisor) confirms the
shipment — the receiver never releases what she received.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal as D

from domain.services import item_approval, items
from domain.services.eco import Signing
from domain.services.materials import holds, inventory, lots, receiving, setup, shipping
from domain.services.materials.db import plant_today, scalar
from domain.services.materials.inventory import Input, Production
from domain.uow import UnitOfWork
from kiosk.bootstrap import Services
from kiosk.demo.people import BY_NAME, demo_policy, signed_in

SITE = "PLANT1"
ZONES = [
    ("DOCK", "Receiving dock", "receiving", "DOCK-01"),
    ("QUAR", "Quarantine cage", "quarantine", "QUAR-01"),
    ("CAGE", "QC hold cage", "qc_hold", "CAGE-01"),
    ("LINE1", "Assembly line 1", "production", "LINE1-01"),
    ("STOCK", "Released stock", "released_stock", "STOCK-A1"),
    ("SHIP", "Shipping dock", "shipping", "SHIP-01"),
    ("REJ", "Reject cage", "reject", "REJ-01"),
]
SUPPLIERS = [
    ("POLYMERA", "Polymera Resins GmbH", ("RM-4001",)),
    ("TUBEX", "Tubex Medical Tubing Ltd", ("RM-4002",)),
    ("STERIPAK", "SteriPak Packaging Inc", ("PK-5001",)),
    ("CHEAPPOLY", "CheapPoly Trading", ("RM-4001",)),  # disqualified after audit
]
USED = ("RM-4001", "RM-4002", "PK-5001", "FG-1000")


@contextmanager
def _uow(services: Services, who: str, reason: str = "demo materials") -> Iterator[UnitOfWork]:
    with signed_in(services, who) as session, services.uow(session, reason) as uow:
        yield uow
        uow.commit()


def _signing(services: Services, who: str, comment: str | None = None) -> Signing:
    return Signing(BY_NAME[who].creds(), services.settings.name, demo_policy(services), comment)


def _master_data(services: Services) -> None:
    with _uow(services, "quinn") as uow:
        for item in items.list_items(uow):
            if item.item_number in USED and item.status == "draft":
                item_approval.approve_item(uow, item.item_number, BY_NAME["quinn"].creds(),
                                           station=services.settings.name,
                                           policy=demo_policy(services))  # fmt: skip
    with _uow(services, "quinn") as uow:
        setup.add_site(uow, SITE, "Infusion set plant")
        for code, name, kind, bin_code in ZONES:
            setup.add_zone(uow, SITE, code, name, kind)
            setup.add_bin(uow, SITE, code, bin_code)
        for code, name, parts in SUPPLIERS:
            setup.add_supplier(uow, code, name)
            for part in parts:
                setup.approve_supplier(uow, part, code)
        setup.disqualify_supplier(uow, "RM-4001", "CHEAPPOLY", "Supplier audit SA-17: failed")
        setup.add_customer(uow, "STMARY", "St Mary's Hospital", "1 Hospital Road, Springfield")
        setup.add_customer(uow, "MERCY", "Mercy General Hospital", "40 Harbour Street, Shelbyville")


def _receive(services: Services, supplier: str, item: str, lot: str, qty: str) -> str:
    with _uow(services, "olivia", "receipt") as uow:
        today = plant_today(uow)
        expiry = today.replace(year=today.year + 2)
        view = receiving.receive(uow, receiving.Receipt(
            supplier, "DOCK-01", item_number=item, supplier_lot=lot, quantity=D(qty),
            expiry=expiry, po_reference="PO-2024-118", coa_reference=f"COA-{lot}",
        ))  # fmt: skip
    return view.lot_number


def seed(services: Services) -> Iterator[str]:
    with services.uow(None) as uow:
        if scalar(uow, "SELECT count(*) FROM workcell.site WHERE code = :c", {"c": SITE}):
            return
    _master_data(services)
    yield f"site {SITE}: {len(ZONES)} zones, {len(SUPPLIERS)} suppliers, customer STMARY"
    resin = _receive(services, "POLYMERA", "RM-4001", "PM-88123", "250")
    tubing = _receive(services, "TUBEX", "RM-4002", "TX-5531", "500")
    pouch = _receive(services, "STERIPAK", "PK-5001", "SP-20931", "1000")
    suspect = _receive(services, "STERIPAK", "PK-5001", "SP-20977", "1000")
    yield f"received {resin} (resin, quarantine), {tubing}, {pouch}, {suspect}"
    with _uow(services, "quinn", "QA release") as uow:
        for lot in (tubing, pouch):
            lots.release_lot(uow, lot, _signing(services, "quinn"))
        holds.place_hold(uow, suspect, "Seal strength below spec on incoming inspection sample")
    with _uow(services, "olivia", "kitting for line 1") as uow:
        inventory.move(uow, tubing, "DOCK-01", "LINE1-01", D(10))
        inventory.move(uow, pouch, "DOCK-01", "LINE1-01", D(20))
        inventory.move(uow, suspect, "DOCK-01", "CAGE-01", D(1000))
        made = inventory.record_production(uow, Production(
            "FG-1000", D(2), "QUAR-01",
            (Input(tubing, "LINE1-01", D("3.2")), Input(pouch, "LINE1-01", D(2))),
            serials=("IS240001", "IS240002"), note="demo production record",
        ))  # fmt: skip
    yield f"{suspect} on QA hold in the cage; {made.number}: {made.lot_number} (IS240001-2)"
    with _uow(services, "quinn", "QA release of finished goods") as uow:
        lots.release_lot(uow, made.lot_number, _signing(services, "quinn"))
    with _uow(services, "olivia", "shipment") as uow:
        inventory.move(uow, made.lot_number, "QUAR-01", "SHIP-01", D(1), serial="IS240001")
        number = shipping.create_shipment(uow, "STMARY", "PO STM-5521")
        shipping.pick(uow, number, made.lot_number, "SHIP-01", D(1), serial="IS240001")
    with _uow(services, "sam", "shipment confirmation") as uow:
        shipping.confirm_shipment(uow, number, _signing(services, "sam"))
    yield f"{number}: IS240001 shipped to STMARY (signed by Sam)"
    with _uow(services, "olivia", "put-away and an open shipment") as uow:
        inventory.move(uow, pouch, "DOCK-01", "STOCK-A1", D(500))
        inventory.move(uow, made.lot_number, "QUAR-01", "SHIP-01", D(1), serial="IS240002")
        open_number = shipping.create_shipment(uow, "MERCY", "PO MGH-0042")
    yield f"{pouch}: 500 put away in STOCK-A1; {open_number} open for MERCY (pick IS240002)"
