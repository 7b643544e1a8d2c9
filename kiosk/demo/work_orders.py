"""Demo work orders: a medical-device routing for the drip chamber assembly SA-2000 (a
component scan of its moulded body and spike, a bond-gap measurement with limits that
needs the bonding qualification and a supervisor's verification, a critical leak test that
makes the output and needs QA's review; before bonding, the adhesive is weighed on a
balance of class BALANCE, kiosk/demo/equipment.py), released through a signed ECO, and its
rework routing (re-bond and leak test: what an NCR's rework disposition plans on) through a
second one; the bonding
qualification recorded and attested for the operators and the supervisor; one released
work order planned by Pat (planner).

Everyone acts as themselves at the station: Quinn (QA) defines the qualification, approves
the item and the ECO; Sam (supervisor) attests the operators' training, Quinn Sam's; Erin
and Eddie author and review the routing; Pat plans and releases the work order.
"""

# ruff: noqa: E501  (routing tables read better unwrapped)

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal as D

from domain.services import eco, item_approval, items, routing
from domain.services.eco import Signing
from domain.services.materials.db import plant_today, scalar
from domain.services.routing import DataSpec, OperationSpec, SignoffSpec, StepSpec
from domain.services.work_orders import planning, training
from domain.uow import UnitOfWork
from kiosk.bootstrap import Services
from kiosk.demo.people import BY_NAME, demo_policy, signed_in

ITEM = "SA-2000"
QUALIFICATION = ("WI-BOND-01", "UV bonding of drip chambers", "WI-ASSY-0107", "C")
PERFORMED = SignoffSpec("performed", "operator")
VERIFIED = SignoffSpec("verified", "supervisor")
QA_REVIEW = SignoffSpec("reviewed", "qa")
ROUTING = [
    OperationSpec(10, "BOND-1", "Bond spike to chamber", "UV bond at 365 nm for 8 s.", D(3), (
        StepSpec(1, "Scan components", "Scan the chamber body and spike lots.", data=(
            DataSpec("BODY_LOT", "Chamber body lot", "lot_scan", component="CP-3001"),
            DataSpec("SPIKE_LOT", "Spike lot", "lot_scan", component="CP-3002"),
        )),
        StepSpec(2, "Weigh adhesive", "Scan the balance (BAL-001), put the dispensing cup on it and tap Tare, "
                 "dispense, then tap Read balance.", data=(
            DataSpec("ADHESIVE", "UV adhesive dispensed", "numeric", "g", D("0.0450"), D("0.0550"), D("0.0500")),
        ), equipment_class="BALANCE"),
        StepSpec(3, "Bond and measure gap", "Measure the bond gap with the feeler gauge.", data=(
            DataSpec("GAP", "Bond gap", "numeric", "mm", D("0.10"), D("0.30"), D("0.20")),
            DataSpec("CURE_OK", "Cure indicator green", "pass_fail"),
        ), signoffs=(PERFORMED, VERIFIED), qualification=QUALIFICATION[0]),
    )),
    OperationSpec(20, "TEST-1", "Leak test", "Pressure decay test, 0.5 bar, 10 s.", D(2), (
        StepSpec(1, "Leak test and count", "Count the good assemblies.", critical=True, output=True, data=(
            DataSpec("DECAY", "Pressure decay", "numeric", "mbar", None, D("2.0")),
            DataSpec("LEAK_OK", "Leak test passed", "pass_fail"),
        ), signoffs=(PERFORMED, VERIFIED, QA_REVIEW)),
    )),
]  # fmt: skip
# the routing an NCR's rework disposition plans its work orders on (migration 0036)
REWORK = [
    OperationSpec(10, "MRB-1", "Rework drip chambers", "Cut the bond, clean, re-bond at 365 nm for 8 s.", D(6), (
        StepSpec(1, "Scan the lot reworked", "Scan the lot label of the assemblies to rework.", data=(
            DataSpec("REWORK_LOT", "Lot reworked", "lot_scan", component=ITEM),
        )),
        StepSpec(2, "Re-bond, leak test and count", "Count the good assemblies.", critical=True, output=True, data=(
            DataSpec("DECAY", "Pressure decay", "numeric", "mbar", None, D("2.0")),
            DataSpec("LEAK_OK", "Leak test passed", "pass_fail"),
        ), signoffs=(PERFORMED, VERIFIED, QA_REVIEW), qualification=QUALIFICATION[0]),
    )),
]  # fmt: skip
TRAINED = (("olivia", "sam"), ("oscar", "sam"), ("sam", "quinn"))


@contextmanager
def _uow(services: Services, who: str, reason: str = "demo work orders") -> Iterator[UnitOfWork]:
    with signed_in(services, who) as session, services.uow(session, reason) as uow:
        yield uow
        uow.commit()


def _signing(services: Services, who: str, comment: str | None = None) -> Signing:
    return Signing(BY_NAME[who].creds(), services.settings.name, demo_policy(services), comment)


def _routing(services: Services, rework: bool = False) -> str:
    with _uow(services, "erin", "demo routing") as uow:
        if rework:
            number = eco.create_eco(
                uow, f"Rework routing for {ITEM}", "Rework of leaking chambers"
            ).number
            label = routing.create_routing_revision(uow, ITEM, purpose="rework").summary.revision
            eco.add_eco_item(uow, number, ITEM, routing_revision=label)
        else:
            number = eco.create_eco(uow, f"Routing for {ITEM}", "Drip chamber line start-up").number
            view = eco.add_eco_item(uow, number, ITEM, new_routing=True)
            row = next(i for i in view.items if i.item_number == ITEM)
            assert row.routing_revision is not None
            label = row.routing_revision
        routing.replace_operations(uow, ITEM, label, REWORK if rework else ROUTING)
    for fn, who in (
        (eco.submit_eco, "erin"),
        (eco.review_eco, "eddie"),
        (eco.approve_eco, "quinn"),
    ):
        with _uow(services, who) as uow:
            fn(uow, number, _signing(services, who))
    return number


def seed(services: Services) -> Iterator[str]:
    with services.uow(None) as uow:
        code = QUALIFICATION[0]
        if scalar(uow, "SELECT count(*) FROM workcell.qualification WHERE code = :c", {"c": code}):
            return
    with _uow(services, "quinn", "demo training") as uow:
        training.define_qualification(uow, *QUALIFICATION)
        if any(i.item_number == ITEM and i.status == "draft" for i in items.list_items(uow)):
            item_approval.approve_item(uow, ITEM, BY_NAME["quinn"].creds(),
                                       station=services.settings.name, policy=demo_policy(services))  # fmt: skip
    for person, trainer in TRAINED:
        with _uow(services, trainer, "demo training") as uow:
            today = plant_today(uow)
            # Oscar's runs out soon: the supervisor's "expiring" list has someone on it
            expires = today + dt.timedelta(days=21 if person == "oscar" else 365)
            training.grant_qualification(uow, person, QUALIFICATION[0], today - dt.timedelta(days=10),
                                         expires, _signing(services, trainer))  # fmt: skip
    yield f"qualification {QUALIFICATION[0]} for olivia, oscar (expires in 21 days) and sam"
    number = _routing(services)
    yield f"{number}: routing rev A of {ITEM} (scan, adhesive weighed on a BALANCE, bond gap 0.10-0.30 mm, critical leak test)"
    number = _routing(services, rework=True)
    yield f"{number}: rework routing of {ITEM} (what an NCR's rework disposition plans its work orders on)"
    with _uow(services, "pat", "demo planning") as uow:
        due = plant_today(uow) + dt.timedelta(days=3)
        wo = planning.create_work_order(uow, ITEM, D(20), due, "demo: first drip chamber batch")
        wo = planning.release_work_order(uow, wo.number)
    yield f"{wo.number}: 20 ea of {ITEM} released (lock {wo.lock_hash[:12] if wo.lock_hash else '-'}…)"
