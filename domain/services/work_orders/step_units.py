"""The unit recorded as used at a step instance (migration 0021), as the step view shows it."""

from __future__ import annotations

from domain.services.materials.db import one
from domain.uow import UnitOfWork
from domain.views.work_orders import StepUnitView

_UNIT = """
SELECT q.id, q.asset_id, u.class_code, q.description, q.weighing_unit, x.calibration_due,
       p.printed_name, u.entered_at
  FROM workcell.step_equipment u
  JOIN workcell.equipment q ON q.id = u.equipment_id
  JOIN workcell.equipment_use x ON x.id = u.equipment_use_id
  JOIN workcell.users p ON p.id = u.entered_by
 WHERE u.step_instance_id = :si
 ORDER BY u.id DESC LIMIT 1
"""


def unit_at(uow: UnitOfWork, step_id: int) -> StepUnitView | None:
    """The latest unit recorded at the step (None: none yet)."""
    row = one(uow, _UNIT, {"si": step_id})
    return None if row is None else StepUnitView(*row)
