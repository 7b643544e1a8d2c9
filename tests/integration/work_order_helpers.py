"""A small medical-device line for the work order tests, built through the services on the
materials test plant: a sub-assembly with a released BOM (caps, resin) and routing — a
component scan step, a measured step with limits needing a qualification and a supervisor's
verification, a critical output step with a QA review — people for every part (planner,
two operators, supervisor, two QA), stocked component lots and qualified operators."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from domain.services import bom, routing
from domain.services.routing import DataSpec, OperationSpec, SignoffSpec, StepSpec
from domain.services.work_orders import execution, planning, training
from domain.uow import UnitOfWork
from domain.views.work_orders import StepView
from kiosk.sessions import SessionBook
from kiosk.settings import StationSettings
from kiosk.work_order_backend import KioskWorkOrderBackend
from tests.conftest import TestDatabase, unique
from tests.integration.engineering_helpers import (
    ENGINEER,
    ensure_engineer,
    make_signer,
    release_through_eco,
)
from tests.integration.materials_helpers import Plant, build_plant
from tests.sessions import session_of

D = Decimal
PERFORMED = SignoffSpec("performed", "operator")
VERIFIED = SignoffSpec("verified", "supervisor")
REVIEWED = SignoffSpec("reviewed", "qa")


def sub_routing(cap: str, resin: str, qualification: str) -> list[OperationSpec]:
    return [
        OperationSpec(10, "ASSY-1", "Assemble", "Press the cap onto the moulded body.", D(5), (
            StepSpec(1, "Scan components", "Scan the cap and resin lots.", data=(
                DataSpec("CAP_LOT", "Cap lot", "lot_scan", component=cap),
                DataSpec("RESIN_LOT", "Resin lot", "lot_scan", component=resin),
            )),
            StepSpec(2, "Measure length", "Measure with the calliper.", data=(
                DataSpec("LENGTH", "Length", "numeric", "mm", D("9.5"), D("10.5"), D(10)),
                DataSpec("VISUAL", "Visual check", "pass_fail"),
                DataSpec("REMARK", "Remarks", "text", required=False),
            ), signoffs=(PERFORMED, VERIFIED), qualification=qualification),
        )),
        OperationSpec(20, "PACK-1", "Final inspection", "Count and bag.", D(2), (
            StepSpec(1, "Inspect and count", critical=True, output=True, data=(
                DataSpec("FINAL", "Final inspection", "pass_fail"),
            ), signoffs=(PERFORMED, VERIFIED, REVIEWED)),
        )),
    ]  # fmt: skip


@dataclass(frozen=True)
class Line:
    plant: Plant
    planner: str
    op1: str  # qualified
    op2: str  # qualified
    untrained: str  # an operator without the qualification
    sup: str
    qa2: str  # a second QA: approves and reviews what the first QA did not touch
    qualification: str
    item: str  # the sub-assembly made
    cap: str
    resin: str

    def uow(self, who: str, reason: str | None = None) -> UnitOfWork:
        return self.plant.uow(who, reason)

    def new_work_order(self, quantity: str = "10", due: dt.date | None = None) -> str:
        with self.uow(self.planner) as uow:
            wo = planning.create_work_order(
                uow, self.item, D(quantity), due or self.plant.today + dt.timedelta(days=7)
            )
            planning.release_work_order(uow, wo.number)
            uow.commit()
        return wo.number

    def steps(self, number: str, who: str | None = None) -> list[StepView]:
        with self.uow(who or self.plant.qa) as uow:
            return execution.steps_of(uow, number)

    def step(self, number: str, seq: int) -> StepView:
        return self.steps(number)[seq - 1]


def build_line(database: TestDatabase, factory: sessionmaker[Session]) -> Line:
    plant = build_plant(database, factory)
    planner = make_signer(database, factory, "plan", "planner")
    op1 = make_signer(database, factory, "opa", "operator")
    op2 = make_signer(database, factory, "opb", "operator")
    untrained = make_signer(database, factory, "opn", "operator")
    qa2 = make_signer(database, factory, "qab", "qa")
    engineer = ensure_engineer(database, factory)
    code = unique("ASSY").upper()
    with plant.uow(plant.qa, "work order test qualification") as uow:
        training.define_qualification(uow, code, "Cap assembly", "WI-ASSY-01", "C")
        uow.commit()
    for person in (op1, op2, plant.supervisor):
        with plant.uow(plant.supervisor if person != plant.supervisor else plant.qa) as uow:
            trainer = plant.supervisor if person != plant.supervisor else plant.qa
            training.grant_qualification(
                uow, person, code, plant.today - dt.timedelta(days=30),
                plant.today + dt.timedelta(days=335), plant.signing(trainer),
            )  # fmt: skip
            uow.commit()
    sub, cap, resin = plant.items["sub"], plant.items["cap"], plant.items["resin"]
    with UnitOfWork(factory, session_of(factory, engineer), "work order test engineering") as uow:
        view = bom.create_bom_revision(uow, sub)
        bom.replace_bom_lines(uow, sub, view.summary.revision, [
            bom.BomLineInput(cap, D(1)), bom.BomLineInput(resin, D("0.05"), "kg"),
        ])  # fmt: skip
        release_through_eco(uow, "bom", sub, view.summary.revision)
        rv = routing.create_routing_revision(uow, sub)
        routing.replace_operations(uow, sub, rv.summary.revision, sub_routing(cap, resin, code))
        release_through_eco(uow, "routing", sub, rv.summary.revision)
        uow.commit()
    assert engineer == ENGINEER
    return Line(plant, planner, op1, op2, untrained, plant.supervisor, qa2, code, sub, cap, resin)


def station_backend(
    factory: sessionmaker[Session], username: str, data_dir: Path
) -> KioskWorkOrderBackend:
    """The kiosk's work-order backend of a line station with ``username`` signed in."""
    book = SessionBook(factory)
    book.add(session_of(factory, username))
    settings = StationSettings(name=unique("st"), site="PLANT-1", zone="LINE-2",
                               timezone="UTC", idle_timeout_s=600, data_dir=data_dir)  # fmt: skip
    return KioskWorkOrderBackend(factory, settings, sessions=book)
