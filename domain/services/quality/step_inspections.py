"""Inspections made at a routing step (migration 0030): the database opens them when a work
order reaches a step that names one (the work order's output lot, against the released
in-process or final template of the item being made) and holds the step until they are
accepted. Nothing here writes: results, completion and QA's disposition go through
domain.services.quality.inspections and .ncr like any inspection.

API:
  step_inspection(uow, step_instance_id) -> StepInspectionView | None
  step_of_inspection(uow, inspection_id) -> str | None   ("WO-000012 step 3")
  start_step(uow, step_instance_id, expected_version)   (work.execute: opens its inspection)
"""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

from domain.services.materials.db import one, run, scalar
from domain.uow import UnitOfWork
from domain.views.work_orders import StepInspectionView

_STEP_INSPECTION = """
SELECT i.number, i.inspection_type, i.status, i.decision, l.lot_number, i.sample_size,
       (SELECT count(*) FROM workcell.inspection_result r
         WHERE r.inspection_id = i.id
           AND NOT EXISTS (SELECT 1 FROM workcell.inspection_result_invalidation v WHERE v.result_id = r.id))::integer AS results,
       coalesce((SELECT sum(p.sample_size * (SELECT count(*) FROM workcell.inspection_characteristic c
                                              WHERE c.template_id = i.template_id AND c.defect_class = p.defect_class))
                   FROM workcell.inspection_plan p WHERE p.inspection_id = i.id), 0)::integer AS needed,
       n.number AS ncr_number, n.status AS ncr_status, n.disposition AS ncr_disposition,
       cardinality(workcell.step_inspection_blockers(x.step_instance_id)) = 0 AS accepted
  FROM workcell.step_inspection x
  JOIN workcell.inspection i ON i.id = x.inspection_id
  JOIN workcell.lot l ON l.id = i.lot_id
  LEFT JOIN workcell.ncr n ON n.id = i.ncr_id
 WHERE x.step_instance_id = :si
"""


def step_inspection(uow: UnitOfWork, step_instance_id: int) -> StepInspectionView | None:
    row = one(uow, _STEP_INSPECTION, {"si": step_instance_id})
    return None if row is None else StepInspectionView(**dict(row._mapping))


def step_of_inspection(uow: UnitOfWork, inspection_id: int) -> str | None:
    found = scalar(
        uow,
        "SELECT w.number || ' step ' || si.seq FROM workcell.step_inspection x"
        " JOIN workcell.step_instance si ON si.id = x.step_instance_id"
        " JOIN workcell.work_order w ON w.id = si.work_order_id WHERE x.inspection_id = :i",
        {"i": inspection_id},
    )
    return None if found is None else str(found)


def start_step(uow: UnitOfWork, step_instance_id: int, expected_version: int) -> None:
    """Start a step without recording anything (its inspection opens with it): a step whose
    first action is the inspection. Refused as any entry is (work order not running, step
    done or changed meanwhile, not qualified)."""
    uow.set_reason("step started: its inspection opens")
    run(
        uow, "SELECT workcell.wo_start_step(:s, :v)", {"s": step_instance_id, "v": expected_version}
    )
