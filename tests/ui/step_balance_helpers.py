"""A weighing line for the step screen's equipment tests, built through the services: the
materials test plant, an equipment room (tests/integration/equipment_helpers.py) and a
sub-assembly whose released routing weighs the resin on the room's balance class, then
counts the output; an operator with a badge."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from domain.services import bom, routing
from domain.services.routing import DataSpec, OperationSpec, SignoffSpec, StepSpec
from domain.services.work_orders import planning
from domain.uow import UnitOfWork
from tests.conftest import TestDatabase
from tests.identity_helpers import Person, admin_for, enrol
from tests.integration.engineering_helpers import ensure_engineer, release_through_eco
from tests.integration.equipment_helpers import Room, build_room
from tests.integration.materials_helpers import Plant, build_plant
from tests.sessions import session_of

D = Decimal


def weighing_ops(balance_class: str) -> list[OperationSpec]:
    performed = SignoffSpec("performed", "operator")
    return [
        OperationSpec(10, "WEIGH-1", "Weigh resin", "Weigh room 1.", D(3), (
            StepSpec(1, "Weigh resin", "Tare the cup on the balance, dispense 5 g, read it.", data=(
                DataSpec("RESIN_G", "Resin weighed", "numeric", "g", D("4.9"), D("5.1"), D(5)),
            ), signoffs=(performed,), equipment_class=balance_class),
        )),
        OperationSpec(20, "PACK-1", "Count", "", D(1), (
            StepSpec(1, "Count", data=(DataSpec("OK", "Count checked", "pass_fail"),)),
        )),
    ]  # fmt: skip


@dataclass(frozen=True)
class WeighLine:
    plant: Plant
    room: Room
    factory: sessionmaker[Session]
    planner: str
    operator: Person
    item: str

    def new_work_order(self) -> str:
        with UnitOfWork(self.factory, session_of(self.factory, self.planner)) as uow:
            wo = planning.create_work_order(
                uow, self.item, D(10), self.plant.today + dt.timedelta(days=7)
            )
            planning.release_work_order(uow, wo.number)
            uow.commit()
        return wo.number

    def balance(self, serial: str, *, calibrated: bool = True) -> str:
        asset = self.room.balance(serial)
        if calibrated:
            self.room.calibrate(asset, days=90)
        return asset


def build_weigh_line(database: TestDatabase, factory: sessionmaker[Session]) -> WeighLine:
    plant = build_plant(database, factory)
    room = build_room(database, factory)
    admin = admin_for(database)
    planner = enrol(factory, admin, roles=("planner",), prefix="plan")
    operator = enrol(factory, admin, roles=("operator",), prefix="opw")
    engineer = ensure_engineer(database, factory)
    sub, cap = plant.items["sub"], plant.items["cap"]
    with UnitOfWork(factory, session_of(factory, engineer), "weighing screen engineering") as uow:
        view = bom.create_bom_revision(uow, sub)
        bom.replace_bom_lines(uow, sub, view.summary.revision, [bom.BomLineInput(cap, D(1))])
        release_through_eco(uow, "bom", sub, view.summary.revision)
        rv = routing.create_routing_revision(uow, sub)
        routing.replace_operations(uow, sub, rv.summary.revision, weighing_ops(room.balance_class))
        release_through_eco(uow, "routing", sub, rv.summary.revision)
        uow.commit()
    return WeighLine(plant, room, factory, planner.username, operator, sub)
