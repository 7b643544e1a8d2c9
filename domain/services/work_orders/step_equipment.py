"""Equipment at a step (issue 14 item 7, migration 0021): the unit used, scanned or picked
(refused by the database when it is unknown, of another class, out of service, out of
calibration or not clean), and a numeric value read from the step's balance — a stable
reading with its tare, the serial the balance reported and the calibration in force. A
typed value stays possible (marked typed; QA sees it in review by exception).

  use_equipment(uow, step_id, asset_id, expected_version) -> StepView
  units_for(uow, step_id) -> list[EquipmentView]     the step's class, usable or not (why)
  weigh_value(uow, step_id, code, scale, expected_version, reason="") -> StepView

``scale`` is equipment.Scale (hardware.balance.MtSicsBalance at a station); its failures
(BalanceError: unstable, offline, overload) reach the caller before anything is written.
"""

from __future__ import annotations

import json

from domain.errors import InvalidInput, NotFound
from domain.services import equipment
from domain.services.equipment import EquipmentView, Scale
from domain.services.materials.db import scalar
from domain.services.work_orders.execution import step_view
from domain.uow import UnitOfWork
from domain.views.work_orders import StepView


def use_equipment(uow: UnitOfWork, step_id: int, asset_id: str, expected_version: int) -> StepView:
    """Record ``asset_id`` as the unit used at the step (the database checks it is usable
    for the step's class now, and refuses with the reason)."""
    if not asset_id.strip():
        raise InvalidInput("Scan the asset tag on the unit (or pick it).")
    uow.set_reason(f"{asset_id.strip().upper()} used at the step"[:500])
    scalar(
        uow,
        "SELECT workcell.wo_use_equipment(:s, :a, :v)",
        {"s": step_id, "a": asset_id.strip(), "v": expected_version},
    )
    return step_view(uow, step_id)


def units_for(uow: UnitOfWork, step_id: int) -> list[EquipmentView]:
    """The registered units of the step's class, each saying whether it may be used now."""
    step = step_view(uow, step_id)
    if step.equipment_class is None:
        return []
    return equipment.list_equipment(uow, step.equipment_class)


def weigh_value(
    uow: UnitOfWork, step_id: int, code: str, scale: Scale, expected_version: int,
    reason: str = "",
) -> StepView:  # fmt: skip
    """Read a stable weight from the balance recorded at the step and record it as the
    value of ``code`` (value_source 'balance'); a second value is a correction (reason)."""
    step = step_view(uow, step_id)
    if step.unit is None:
        raise InvalidInput(f"Scan the {step.equipment_class or 'balance'} you use first.")
    if not step.unit.balance:
        raise InvalidInput(f"{step.unit.asset_id} is not a balance: type the value.")
    field = next((f for f in step.fields if f.code == code.strip().upper()), None)
    if field is None:
        raise NotFound(f"Step {step.seq} records no field {code}.")
    if field.recorded and not reason.strip():
        raise InvalidInput(f"{field.label} is recorded: say why it is weighed again.")
    weighing = equipment.weigh(uow, step.unit.asset_id, scale, step.unit.class_name)
    uow.set_reason((reason.strip() or f"{field.code} read from {weighing.asset_id}")[:500])
    scalar(
        uow,
        "SELECT workcell.wo_weigh(:s, :code, CAST(:r AS jsonb), :why, :v)",
        {"s": step_id, "code": field.code, "r": json.dumps(weighing.reading()),
         "why": reason.strip(), "v": expected_version},
    )  # fmt: skip
    return step_view(uow, step_id)
