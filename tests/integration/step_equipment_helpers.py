"""A weighing line for the equipment-at-the-step tests, built through the services: the
materials test plant, an equipment room (balance, torque-driver and mixer classes of its own)
and a sub-assembly whose released routing weighs the resin on a balance, torques the cap with
a torque driver and makes the output at a step that names no equipment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from domain.services import bom, routing
from domain.services.routing import DataSpec, OperationSpec, SignoffSpec, StepSpec
from domain.services.work_orders import execution, planning
from domain.uow import UnitOfWork
from domain.views.work_orders import StepView
from tests.conftest import TestDatabase
from tests.integration.engineering_helpers import ensure_engineer, make_signer, release_through_eco
from tests.integration.equipment_helpers import Room, build_room
from tests.integration.materials_helpers import Plant, build_plant
from tests.sessions import session_of

D = Decimal
PERFORMED = SignoffSpec("performed", "operator")
RESIN, TORQUE = "RESIN_G", "TORQUE"


def weighing_routing(cap: str, resin: str, balance: str, driver: str) -> list[OperationSpec]:
    return [
        OperationSpec(10, "WEIGH-1", "Weigh and assemble", "", D(5), (
            StepSpec(1, "Weigh resin", "Tare the cup, dispense, read the balance.", data=(
                DataSpec(RESIN, "Resin weighed", "numeric", "g", D("4.9"), D("5.1"), D(5)),
            ), signoffs=(PERFORMED,), equipment_class=balance),
            StepSpec(2, "Torque the cap", "Torque to 2 N·m.", data=(
                DataSpec(TORQUE, "Cap torque", "numeric", "N·m", D("1.8"), D("2.2")),
            ), signoffs=(PERFORMED,), equipment_class=driver),
        )),
        OperationSpec(20, "PACK-1", "Count", "", D(1), (
            StepSpec(1, "Count", output=True, data=(DataSpec("OK", "Count checked", "pass_fail"),)),
        )),
    ]  # fmt: skip


@dataclass(frozen=True)
class WeighLine:
    plant: Plant
    room: Room
    planner: str
    op: str
    item: str

    def uow(self, who: str, reason: str | None = None) -> UnitOfWork:
        return self.plant.uow(who, reason)

    def new_work_order(self) -> str:
        with self.uow(self.planner) as uow:
            wo = planning.create_work_order(
                uow, self.item, D(10), self.plant.today + dt.timedelta(days=7)
            )
            planning.release_work_order(uow, wo.number)
            uow.commit()
        return wo.number

    def step(self, number: str, seq: int) -> StepView:
        with self.uow(self.plant.qa) as uow:
            return execution.steps_of(uow, number)[seq - 1]


def build_weigh_line(database: TestDatabase, factory: sessionmaker[Session]) -> WeighLine:
    plant = build_plant(database, factory)
    room = build_room(database, factory)
    planner = make_signer(database, factory, "plan", "planner")
    op = make_signer(database, factory, "opw", "operator")
    engineer = ensure_engineer(database, factory)
    sub, cap, resin = plant.items["sub"], plant.items["cap"], plant.items["resin"]
    ops = weighing_routing(cap, resin, room.balance_class, room.driver_class)
    with UnitOfWork(factory, session_of(factory, engineer), "weighing test engineering") as uow:
        view = bom.create_bom_revision(uow, sub)
        bom.replace_bom_lines(uow, sub, view.summary.revision, [
            bom.BomLineInput(cap, D(1)), bom.BomLineInput(resin, D("0.05"), "kg"),
        ])  # fmt: skip
        release_through_eco(uow, "bom", sub, view.summary.revision)
        rv = routing.create_routing_revision(uow, sub)
        routing.replace_operations(uow, sub, rv.summary.revision, ops)
        release_through_eco(uow, "routing", sub, rv.summary.revision)
        uow.commit()
    return WeighLine(plant, room, planner, op, sub)
