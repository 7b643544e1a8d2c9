"""Planning and the work order's lifecycle: create, release (the lock), cancel, complete
(yield and label reconciliation, in the database), close; lists and the station queue."""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.services.access import require_permission
from domain.services.materials.db import item_id, one, run, scalar
from domain.uow import UnitOfWork
from domain.views.work_orders import QueueRow, WorkOrderSummary

_SUMMARY = """
SELECT w.id, w.number, i.item_number, i.description, w.quantity, w.unit, w.due_date, w.status, w.note,
       w.version, b.revision AS bom_revision, r.revision AS routing_revision, w.lock_hash, w.released_at,
       ru.username AS released_by, l.lot_number, l.status AS lot_status, w.actual_quantity, w.yield_pct,
       w.labels_issued, w.labels_used, w.labels_destroyed,
       (SELECT count(*) FROM workcell.step_instance si WHERE si.work_order_id = w.id) AS steps_total,
       (SELECT count(*) FROM workcell.step_instance si WHERE si.work_order_id = w.id AND si.status = 'done') AS steps_done,
       (SELECT count(*) FROM workcell.deviation v WHERE v.work_order_id = w.id AND v.status = 'open') AS open_deviations,
       cu.username AS created_by, w.created_at
  FROM workcell.work_order w
  JOIN workcell.item i ON i.id = w.item_id
  JOIN workcell.users cu ON cu.id = w.created_by
  LEFT JOIN workcell.users ru ON ru.id = w.released_by
  LEFT JOIN workcell.bom_revision b ON b.id = w.bom_revision_id
  LEFT JOIN workcell.routing_revision r ON r.id = w.routing_revision_id
  LEFT JOIN workcell.lot l ON l.id = w.output_lot_id
"""


def _summary(row: object) -> WorkOrderSummary:
    r = row._mapping  # type: ignore[attr-defined]
    return WorkOrderSummary(
        id=r["id"], number=r["number"], item_number=r["item_number"], item_description=r["description"],
        quantity=r["quantity"], unit=r["unit"], due_date=r["due_date"], status=r["status"], note=r["note"],
        version=r["version"], bom_revision=r["bom_revision"], routing_revision=r["routing_revision"],
        lock_hash=r["lock_hash"], released_at=r["released_at"], released_by=r["released_by"],
        output_lot=r["lot_number"], output_lot_status=r["lot_status"], actual_quantity=r["actual_quantity"],
        yield_pct=r["yield_pct"], labels_issued=r["labels_issued"], labels_used=r["labels_used"],
        labels_destroyed=r["labels_destroyed"], steps_total=int(r["steps_total"]),
        steps_done=int(r["steps_done"]), open_deviations=int(r["open_deviations"]),
        created_by=r["created_by"], created_at=r["created_at"],
    )  # fmt: skip


def normalise(number: str) -> str:
    """What people type: "wo-12", "12" or "WO-000012" all name WO-000012."""
    text = number.strip().upper()
    digits = text.removeprefix("WO-").removeprefix("WO")
    if digits.isdigit():
        return f"WO-{int(digits):06d}"
    return text


def work_order_id(uow: UnitOfWork, number: str) -> int:
    found = scalar(
        uow, "SELECT id FROM workcell.work_order WHERE number = :n", {"n": normalise(number)}
    )
    if found is None:
        raise NotFound(f"There is no work order {number.strip()!r}.")
    return int(found)


def get_work_order(uow: UnitOfWork, number: str) -> WorkOrderSummary:
    row = one(uow, _SUMMARY + " WHERE w.number = :n", {"n": normalise(number)})
    if row is None:
        raise NotFound(f"There is no work order {number.strip()!r}.")
    return _summary(row)


def list_work_orders(uow: UnitOfWork, status: str | None = None) -> list[WorkOrderSummary]:
    """Newest first; ``status`` narrows the list (e.g. "in_progress")."""
    where = " WHERE w.status = :s" if status else ""
    rows = run(uow, _SUMMARY + where + " ORDER BY w.id DESC", {"s": status})
    return [_summary(r) for r in rows]


def create_work_order(
    uow: UnitOfWork, item_number: str, quantity: Decimal, due_date: dt.date, note: str = ""
) -> WorkOrderSummary:
    require_permission(uow, "work_order.create")
    if quantity <= 0:
        raise InvalidInput("Plan a quantity above 0.")
    if len(note) > 500:
        raise InvalidInput("A work order note has at most 500 characters.")
    new_id = scalar(
        uow,
        "SELECT workcell.wo_create(:item, :qty, :due, :note)",
        {"item": item_id(uow, item_number), "qty": quantity, "due": due_date, "note": note},
    )
    number = scalar(uow, "SELECT number FROM workcell.work_order WHERE id = :id", {"id": new_id})
    return get_work_order(uow, str(number))


def _move(uow: UnitOfWork, number: str, to: str, reason: str | None = None) -> WorkOrderSummary:
    """A guarded status move at the version read (the database checks the rule)."""
    wo = get_work_order(uow, number)
    uow.set_reason(reason or f"work order {to.replace('_', ' ')}")
    rows = run(
        uow,
        "UPDATE workcell.work_order SET status = :to, version = version + 1"
        " WHERE id = :id AND version = :v RETURNING id",
        {"to": to, "id": wo.id, "v": wo.version},
    )
    if not rows:
        raise RuleViolation(f"Work order {wo.number} changed meanwhile: look at it again.")
    return get_work_order(uow, wo.number)


def release_work_order(uow: UnitOfWork, number: str) -> WorkOrderSummary:
    """Lock the BOM and routing revisions in effect now (the database resolves them and
    stores the SHA-256 of the exploded BOM and routing beside them) and make its steps."""
    require_permission(uow, "work_order.release")
    wo = get_work_order(uow, number)
    if wo.status != "planned":
        raise RuleViolation(
            f"Work order {wo.number} is {wo.status}: only a planned one is released."
        )
    return _move(uow, wo.number, "released", f"work order {wo.number} released")


def cancel_work_order(uow: UnitOfWork, number: str, reason: str) -> WorkOrderSummary:
    require_permission(uow, "work_order.cancel")
    if not reason.strip():
        raise InvalidInput("Say why the work order is cancelled.")
    return _move(uow, number, "cancelled", reason.strip()[:500])


def replan_rework(uow: UnitOfWork, cancelled: str, due_date: dt.date) -> WorkOrderSummary:
    """A cancelled rework work order planned again: the same NCR and lot, the lot's stock now
    (the database refuses it while another runs, or once the NCR or the lot is done with)."""
    require_permission(uow, "work_order.create")
    new_id = scalar(
        uow,
        "SELECT workcell.wo_replan_rework(:w, :due)",
        {"w": work_order_id(uow, cancelled), "due": due_date},
    )
    number = scalar(uow, "SELECT number FROM workcell.work_order WHERE id = :id", {"id": new_id})
    return get_work_order(uow, str(number))


def complete_work_order(uow: UnitOfWork, number: str) -> WorkOrderSummary:
    """Every step done: the database reconciles yield and labels (a deviation when outside
    the limits, which QA approves before the review)."""
    require_permission(uow, "work_order.complete")
    return _move(uow, number, "complete")


def close_work_order(uow: UnitOfWork, number: str) -> WorkOrderSummary:
    require_permission(uow, "work_order.close")
    return _move(uow, number, "closed")


def set_label_counts(
    uow: UnitOfWork, number: str, issued: int, used: int, destroyed: int
) -> WorkOrderSummary:
    """Labels issued to the line, used on product, destroyed (counted while it runs)."""
    require_permission(uow, "work.execute")
    if min(issued, used, destroyed) < 0:
        raise InvalidInput("Label counts are 0 or more.")
    wo = get_work_order(uow, number)
    uow.set_reason(f"label counts of {wo.number}")
    rows = run(
        uow,
        "UPDATE workcell.work_order SET labels_issued = :i, labels_used = :u, labels_destroyed = :d,"
        " version = version + 1 WHERE id = :id AND version = :v RETURNING id",
        {"i": issued, "u": used, "d": destroyed, "id": wo.id, "v": wo.version},
    )
    if not rows:
        raise RuleViolation(f"Work order {wo.number} changed meanwhile: look at it again.")
    return get_work_order(uow, wo.number)


def lock_valid(uow: UnitOfWork, number: str) -> bool:
    """The stored lock matches its SHA-256 and what its revisions say for the release instant."""
    value = scalar(
        uow, "SELECT workcell.work_order_lock_valid(:id)", {"id": work_order_id(uow, number)}
    )
    return bool(value)


_QUEUE = """
SELECT w.number, i.item_number, w.due_date, si.id, si.seq, o.op_number, o.work_centre, s.title, si.status
  FROM workcell.work_order w
  JOIN workcell.item i ON i.id = w.item_id
  CROSS JOIN LATERAL (SELECT * FROM workcell.step_instance x WHERE x.work_order_id = w.id AND x.status <> 'done'
                       ORDER BY x.seq LIMIT 1) si
  JOIN workcell.routing_step s ON s.id = si.routing_step_id
  JOIN workcell.routing_operation o ON o.id = s.operation_id
 WHERE w.status IN ('released', 'in_progress') AND (CAST(:wc AS text) IS NULL OR o.work_centre = :wc)
 ORDER BY w.due_date, w.number
"""


def queue(uow: UnitOfWork, work_centre: str | None = None) -> list[QueueRow]:
    """Running work orders with their next open step (at ``work_centre`` if given), by due date."""
    wc = work_centre.strip().upper() if work_centre else None
    return [QueueRow(*r) for r in run(uow, _QUEUE, {"wc": wc})]
