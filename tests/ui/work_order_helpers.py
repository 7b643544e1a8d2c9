"""A small line for the station's work-order screens, built through the services on the
materials test plant: a sub-assembly with a released BOM (cap, resin) and routing — a
component scan step, then a measured step with limits, pass/fail and a remark that a
supervisor verifies — and people with badges (operator, second operator, supervisor, QA)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from domain.services import bom, routing
from domain.services.eco import Signing
from domain.services.routing import DataSpec, OperationSpec, SignoffSpec, StepSpec
from domain.services.work_orders import planning
from domain.uow import UnitOfWork
from tests.conftest import TestDatabase
from tests.identity_helpers import POLICY, STATION, Person, admin_for, enrol
from tests.integration.engineering_helpers import ensure_engineer, release_through_eco
from tests.integration.materials_helpers import Plant, build_plant
from tests.sessions import session_of

D = Decimal
INSTRUCTIONS = "\n".join(f"{n}. Press cap {n} onto the moulded body until it clicks." for n in
                         range(1, 13))  # fmt: skip


BENCH = "Work on the clean bench."


def routing_ops(cap: str, resin: str, bench: str = BENCH) -> list[OperationSpec]:
    performed, verified = (
        SignoffSpec("performed", "operator"),
        SignoffSpec("verified", "supervisor"),
    )
    return [
        OperationSpec(10, "ASSY-1", "Assemble", bench, D(5), (
            StepSpec(1, "Scan components", "Scan the cap lot.", data=(
                DataSpec("CAP_LOT", "Cap lot", "lot_scan", component=cap),
            )),
            StepSpec(2, "Measure length", INSTRUCTIONS, data=(
                DataSpec("LENGTH", "Length", "numeric", "mm", D("9.5"), D("10.5"), D(10)),
                DataSpec("VISUAL", "Visual check", "pass_fail"),
                DataSpec("REMARK", "Remarks", "text", required=False),
            ), signoffs=(performed, verified)),
        )),
    ]  # fmt: skip


@dataclass(frozen=True)
class Line:
    plant: Plant
    factory: sessionmaker[Session]
    planner: str
    operator: Person
    operator2: Person
    supervisor: Person
    qa: Person
    item: str
    cap: str

    def new_work_order(self, quantity: str = "10") -> str:
        with UnitOfWork(self.factory, session_of(self.factory, self.planner)) as uow:
            wo = planning.create_work_order(
                uow, self.item, D(quantity), self.plant.today + dt.timedelta(days=7)
            )
            planning.release_work_order(uow, wo.number)
            uow.commit()
        return wo.number

    def uow(self, who: str, reason: str | None = None) -> UnitOfWork:
        return UnitOfWork(self.factory, session_of(self.factory, who), reason)

    def cap_lot(self, quantity: str = "50") -> str:
        """A released cap lot on the line."""
        return self.plant.stocked("cap", quantity)


def signing(who: Person, comment: str | None = None) -> Signing:
    """``who`` signs by username + PIN (at their own desk; the test station allows it)."""
    return Signing(who.by_name(), STATION, POLICY, comment)


def build_line(database: TestDatabase, factory: sessionmaker[Session], bench: str = BENCH) -> Line:
    """``bench``: the operation's instructions (shown with every step's)."""
    plant = build_plant(database, factory)
    admin = admin_for(database)
    planner = enrol(factory, admin, roles=("planner",), prefix="plan")
    operator = enrol(factory, admin, roles=("operator",), prefix="op")
    operator2 = enrol(factory, admin, roles=("operator",), prefix="opb")
    supervisor = enrol(factory, admin, roles=("supervisor",), prefix="sup")
    qa = enrol(factory, admin, roles=("qa",), prefix="qa")
    engineer = ensure_engineer(database, factory)
    sub, cap, resin = plant.items["sub"], plant.items["cap"], plant.items["resin"]
    with UnitOfWork(factory, session_of(factory, engineer), "station test engineering") as uow:
        view = bom.create_bom_revision(uow, sub)
        bom.replace_bom_lines(uow, sub, view.summary.revision, [bom.BomLineInput(cap, D(1))])
        release_through_eco(uow, "bom", sub, view.summary.revision)
        rv = routing.create_routing_revision(uow, sub)
        routing.replace_operations(uow, sub, rv.summary.revision, routing_ops(cap, resin, bench))
        release_through_eco(uow, "routing", sub, rv.summary.revision)
        uow.commit()
    return Line(plant, factory, planner.username, operator, operator2, supervisor, qa, sub, cap)
