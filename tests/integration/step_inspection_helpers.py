"""A line with an in-process inspection at a routing step, for the tests of migration 0030,
built through the services on the materials test plant: the sub-assembly's released
routing makes its output at step 1 and names an in-process inspection at step 2 (the item's
released in-process template samples a fixed 3 units for one attribute, "Seal intact");
the device's routing names a final inspection at its only step and the device has no
template (its work order's release is refused)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from domain.services import bom, routing
from domain.services.quality import inspections, ncr, templates
from domain.services.quality.templates import Characteristic, NewTemplate
from domain.services.routing import DataSpec, OperationSpec, SignoffSpec, StepSpec
from domain.services.work_orders import deviations, execution, planning
from domain.uow import UnitOfWork
from domain.views.work_orders import StepView
from tests.conftest import TestDatabase
from tests.integration.engineering_helpers import ensure_engineer, make_signer, release_through_eco
from tests.integration.materials_helpers import Plant, build_plant
from tests.sessions import session_of

D = Decimal
PERFORMED = SignoffSpec("performed", "operator")
SAMPLES = 3


def inspected_routing() -> list[OperationSpec]:
    return [
        OperationSpec(10, "ASSY-1", "Assemble and check", "", D(5), (
            StepSpec(1, "Assemble", "Assemble and count.", output=True, data=(
                DataSpec("BUILT", "Assembly checked", "pass_fail"),
            ), signoffs=(PERFORMED,)),
            StepSpec(2, "In-process check", "Draw the samples for the inspector.", data=(
                DataSpec("LEAK", "Leak test", "pass_fail"),
            ), signoffs=(PERFORMED,), inspection="in_process"),
        )),
    ]  # fmt: skip


@dataclass(frozen=True)
class InspectedLine:
    plant: Plant
    planner: str
    op: str
    inspector: str
    qa2: str
    qe: str  # quality engineer: writes templates
    item: str  # the sub-assembly (in-process template released)
    device: str  # its routing names a final inspection; no template

    def uow(self, who: str, reason: str | None = None) -> UnitOfWork:
        return self.plant.uow(who, reason)

    def new_work_order(self, item: str | None = None) -> str:
        with self.uow(self.planner) as uow:
            wo = planning.create_work_order(
                uow, item or self.item, D(10), self.plant.today + dt.timedelta(days=7)
            )
            planning.release_work_order(uow, wo.number)
            uow.commit()
        return wo.number

    def step(self, number: str, seq: int) -> StepView:
        with self.uow(self.plant.qa) as uow:
            return execution.steps_of(uow, number)[seq - 1]

    def run_first_step(self, number: str) -> None:
        """Step 1: checked, the output made, performed, done (step 2 is reached)."""
        s = self.step(number, 1)
        with self.uow(self.op) as uow:
            execution.enter_value(uow, s.id, "BUILT", "pass", s.version)
            execution.produce(
                uow, s.id, D(10), self.plant.bins["QUA"], expected_version=s.version + 1
            )
            uow.commit()
        with self.uow(self.op) as uow:
            execution.sign_step(uow, s.id, "performed", self.plant.signing(self.op))
            uow.commit()
        s = self.step(number, 1)
        with self.uow(self.op) as uow:
            execution.finish_step(uow, s.id, s.version)
            uow.commit()

    def release_device_template(self) -> None:
        """The device's final template (2 units, one visual characteristic), released: its
        work orders may then be released (once per line: a second would supersede it)."""
        p = self.plant
        with self.uow(self.qe) as uow:
            t = templates.create_template(uow, NewTemplate(
                self.device, "final", "Device final", "fixed",
                (Characteristic("Label legible", "visual", "minor"),), fixed_count=2,
            ))  # fmt: skip
            templates.submit_template(uow, t.id, p.signing(self.qe))
            uow.commit()
        with self.uow(p.qa) as uow:
            templates.release_template(uow, t.id, p.signing(p.qa))
            uow.commit()

    def inspect(self, number: str, fail: int = 0) -> None:
        """The step's inspection: every sample entered (the first ``fail`` fail) and signed
        "inspected" by the inspector."""
        insp = self.step(number, 2).inspection
        assert insp is not None
        with self.uow(self.inspector) as uow:
            for sample in range(1, SAMPLES + 1):
                inspections.record_result(uow, insp.number, sample, 1, passed=sample > fail)
            inspections.complete_inspection(uow, insp.number, self.plant.signing(self.inspector))
            uow.commit()

    def refer_and_approve(self, number: str, disposition: str) -> str:
        """Step 2's rejecting inspection referred to an NCR by QA, the disposition chosen and
        approved by a second QA person (not carried out yet): the NCR's number."""
        p = self.plant
        insp = self.step(number, 2).inspection
        assert insp is not None
        with self.uow(p.qa) as uow:
            found = ncr.NewNcr("Seal broken in process", "2 of 3 samples leaked", 2, 2)
            report = ncr.refer_inspection(uow, insp.number, found, p.signing(p.qa))
            ncr.choose_disposition(uow, report.number, disposition, "seals cannot be remade")
            uow.commit()
        with self.uow(self.qa2) as uow:
            ncr.approve_ncr(uow, report.number, "qa_approved", p.signing(self.qa2))
            uow.commit()
        return report.number

    def refer_and_disposition(self, number: str, disposition: str) -> str:
        """``refer_and_approve``, then carried out by QA: the NCR's number."""
        report = self.refer_and_approve(number, disposition)
        with self.uow(self.plant.qa) as uow:
            ncr.disposition_ncr(uow, report, self.plant.signing(self.plant.qa))
            uow.commit()
        return report

    def failed_leak_test(self, number: str) -> tuple[str, str]:
        """Step 1 run, a failed leak test entered at step 2 (which opens a deviation): the
        deviation's number and the work order's output lot."""
        self.run_first_step(number)
        s2 = self.step(number, 2)
        with self.uow(self.op) as uow:
            execution.enter_value(uow, s2.id, "LEAK", "fail", s2.version)
            uow.commit()
        with self.uow(self.plant.qa) as uow:
            (dev,) = deviations.deviations_of(uow, number)
            output = planning.get_work_order(uow, number).output_lot
        assert output is not None
        return dev.number, output


def build_inspected_line(database: TestDatabase, factory: sessionmaker[Session]) -> InspectedLine:
    plant = build_plant(database, factory)
    planner = make_signer(database, factory, "plan", "planner")
    op = make_signer(database, factory, "opi", "operator")
    inspector = make_signer(database, factory, "insp", "operator")
    qe = make_signer(database, factory, "qe", "engineer")
    qa2 = make_signer(database, factory, "qab", "qa")
    engineer = ensure_engineer(database, factory)
    sub, cap, device = plant.items["sub"], plant.items["cap"], plant.items["device"]
    with plant.uow(qe) as uow:
        t = templates.create_template(uow, NewTemplate(
            sub, "in_process", "Sub in-process", "fixed",
            (Characteristic("Seal intact", "attribute", "major"),), fixed_count=SAMPLES,
        ))  # fmt: skip
        templates.submit_template(uow, t.id, plant.signing(qe))
        uow.commit()
    with plant.uow(plant.qa) as uow:
        templates.release_template(uow, t.id, plant.signing(plant.qa))
        uow.commit()
    final = [OperationSpec(10, "PACK-1", "Pack", "", D(1), (
        StepSpec(1, "Pack and inspect", output=True, signoffs=(PERFORMED,), inspection="final",
                 data=(DataSpec("SUB_LOT", "Sub-assembly lot", "lot_scan", component=sub),)),
    ))]  # fmt: skip
    with UnitOfWork(factory, session_of(factory, engineer), "inspection test engineering") as uow:
        for item, component, ops in ((sub, cap, inspected_routing()), (device, sub, final)):
            view = bom.create_bom_revision(uow, item)
            bom.replace_bom_lines(
                uow, item, view.summary.revision, [bom.BomLineInput(component, D(1))]
            )
            release_through_eco(uow, "bom", item, view.summary.revision)
            rv = routing.create_routing_revision(uow, item)
            routing.replace_operations(uow, item, rv.summary.revision, ops)
            release_through_eco(uow, "routing", item, rv.summary.revision)
        uow.commit()
    return InspectedLine(plant, planner, op, inspector, qa2, qe, sub, device)


def rework_routing(item: str) -> list[OperationSpec]:
    return [
        OperationSpec(10, "MRB-1", "Rework", "Reseat and reseal.", D(8), (
            StepSpec(1, "Rework the lot", "Scan the lot, reseal every unit.", output=True, data=(
                DataSpec("REWORK_LOT", "Lot reworked", "lot_scan", component=item),
                DataSpec("RESEALED", "Resealed", "pass_fail"),
            ), signoffs=(PERFORMED,)),
        )),
    ]  # fmt: skip


def release_rework_routing(
    line: InspectedLine, database: TestDatabase, factory: sessionmaker[Session]
) -> str:
    """The sub-assembly's rework routing (one step: scan the lot reworked, reseal, make the
    output), released through an ECO: its label."""
    engineer = ensure_engineer(database, factory)
    with UnitOfWork(factory, session_of(factory, engineer), "rework routing") as uow:
        rv = routing.create_routing_revision(uow, line.item, purpose="rework")
        routing.replace_operations(uow, line.item, rv.summary.revision, rework_routing(line.item))
        release_through_eco(uow, "routing", line.item, rv.summary.revision)
        uow.commit()
    return rv.summary.revision
