"""A small medical-device plant for the materials tests, built through the services: people
(a receiving clerk, QA, a supervisor, an engineer), approved items with GTINs, a site with
one bin per zone type, an approved and a disqualified supplier, a customer."""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from domain.gtin import gtin_check_digit
from domain.services import item_approval, items
from domain.services.eco import Signing
from domain.services.identity import Credentials
from domain.services.materials import inventory, lots, receiving, setup
from domain.services.materials.db import plant_today
from domain.uow import UnitOfWork
from tests.conftest import TestDatabase, unique
from tests.integration.engineering_helpers import PIN, POLICY, STATION, make_signer
from tests.sessions import session_of

D = Decimal
ZONES = {
    "RCV": "receiving", "QUA": "quarantine", "HOLD": "qc_hold", "LINE": "production",
    "STK": "released_stock", "SHIP": "shipping", "REJ": "reject",
}  # fmt: skip


def new_gtin() -> str:
    # secrets, not random: pytest-randomly reseeds random before every test, so random
    # would hand each test the same GTINs and the second would collide with the first.
    body = "0" + "".join(secrets.choice("0123456789") for _ in range(12))
    return body + str(gtin_check_digit(body))


@dataclass(frozen=True)
class Plant:
    factory: sessionmaker[Session]
    clerk: str
    qa: str
    supervisor: str
    site: str
    bins: dict[str, str]
    items: dict[str, str]  # role → item number
    gtins: dict[str, str]  # role → GTIN
    supplier: str
    banned: str
    unlisted: str
    customer: str
    today: dt.date

    def uow(self, who: str, reason: str | None = None) -> UnitOfWork:
        return UnitOfWork(self.factory, session_of(self.factory, who), reason)

    def signing(self, who: str, comment: str | None = None) -> Signing:
        return Signing(Credentials(PIN, username=who), STATION, POLICY, comment)

    def receive(self, role: str, quantity: str, **kw: object) -> str:
        """Received by the clerk into the receiving bin; returns our lot number."""
        with self.uow(self.clerk) as uow:
            lot = receiving.receive(
                uow,
                receiving.Receipt(
                    self.supplier, self.bins["RCV"], item_number=self.items[role],
                    supplier_lot=unique("S-"), quantity=D(quantity), **kw,  # type: ignore[arg-type]
                ),
            )  # fmt: skip
            uow.commit()
        return lot.lot_number

    def release(self, lot_number: str) -> None:
        with self.uow(self.qa) as uow:
            lots.release_lot(uow, lot_number, self.signing(self.qa))
            uow.commit()

    def move(self, lot_number: str, src: str, dst: str, quantity: str) -> None:
        with self.uow(self.clerk) as uow:
            inventory.move(uow, lot_number, self.bins[src], self.bins[dst], D(quantity))
            uow.commit()

    def stocked(self, role: str, quantity: str, on_line: str | None = None) -> str:
        """Received, released and (all or ``on_line`` of it) moved to the line."""
        lot = self.receive(role, quantity)
        self.release(lot)
        self.move(lot, "RCV", "LINE", on_line or quantity)
        return lot


def build_plant(database: TestDatabase, factory: sessionmaker[Session]) -> Plant:
    clerk = make_signer(database, factory, "clerk", "operator")
    qa = make_signer(database, factory, "qa", "qa")
    supervisor = make_signer(database, factory, "sup", "supervisor")
    engineer = make_signer(database, factory, "eng", "engineer")
    roles = {"resin": ("raw", "kg", "lot"), "cap": ("component", "ea", "lot"),
             "sub": ("subassembly", "ea", "lot"), "device": ("finished", "ea", "serial")}  # fmt: skip
    numbers = {r: unique(f"M{r[:3]}-").upper() for r in roles}
    gtins = {r: new_gtin() for r in roles}
    with UnitOfWork(factory, session_of(factory, engineer), "materials test items") as uow:
        for role, (kind, unit, tracking) in roles.items():
            items.create_item(
                uow, items.NewItem(numbers[role], f"Test {role}", kind, unit, tracking,
                                   gtin=gtins[role]),
            )  # fmt: skip
        uow.commit()
    with UnitOfWork(factory, session_of(factory, qa)) as uow:
        for number in numbers.values():
            item_approval.approve_item(uow, number, Credentials(PIN, username=qa),
                                       station=STATION, policy=POLICY)  # fmt: skip
        uow.commit()
    site = unique("P").upper()[:8]
    suffix = site[1:]
    bins = {code: f"{code}-{suffix}" for code in ZONES}
    supplier, banned, unlisted = (unique(p).upper() for p in ("ACME", "BAD", "NEW"))
    customer = unique("HOSP").upper()
    with UnitOfWork(factory, session_of(factory, qa), "materials test plant") as uow:
        setup.add_site(uow, site, "Test plant")
        for code, kind in ZONES.items():
            setup.add_zone(uow, site, code, code, kind)
            setup.add_bin(uow, site, code, bins[code])
        for code in (supplier, banned, unlisted):
            setup.add_supplier(uow, code, f"Supplier {code}")
        for role in roles:
            setup.approve_supplier(uow, numbers[role], supplier)
        setup.approve_supplier(uow, numbers["resin"], banned)
        setup.disqualify_supplier(uow, numbers["resin"], banned, "audit failed")
        setup.add_customer(uow, customer, "General Hospital")
        today = plant_today(uow)
        uow.commit()
    return Plant(factory, clerk, qa, supervisor, site, bins, numbers, gtins, supplier, banned,
                 unlisted, customer, today)  # fmt: skip


def count(plant: Plant, table: str) -> int:
    with plant.uow(plant.qa) as uow:
        from domain.services.materials.db import scalar

        return int(scalar(uow, f"SELECT count(*) FROM workcell.{table}"))


Make = Callable[..., UnitOfWork]
