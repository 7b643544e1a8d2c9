"""QA review and release: review by exception first (deviations, out-of-limit values,
corrections, values typed instead of read from a balance, late or out-of-order entries, signatures by unexpected people), then the signed "reviewed" of the complete work order
and the QA release of its output lot — by nobody who performed or verified a step."""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

from domain.errors import RuleViolation
from domain.services.access import require_permission
from domain.services.eco import Signing
from domain.services.materials import lots
from domain.services.materials.db import run, scalar
from domain.services.signatures import RecordRef, sign
from domain.services.work_orders.planning import get_work_order, work_order_id
from domain.uow import UnitOfWork
from domain.views.work_orders import EXCEPTION_KINDS, ExceptionRow, WorkOrderSummary

# One query per kind; each row: step seq, title, detail, who, at, ref. Ordered here by
# EXCEPTION_KINDS, then step, then time (the order QA reads them in).
_KINDS: dict[str, str] = {
    "deviation": """
        SELECT si.seq, v.number || ' ' || replace(v.kind, '_', ' ') || ' (' || v.status || ')',
               v.what || ': expected ' || v.expected || ', actual ' || v.actual || coalesce('. ' || nullif(v.why, ''), ''),
               u.printed_name, v.created_at, v.number
          FROM workcell.deviation v JOIN workcell.users u ON u.id = v.created_by
          LEFT JOIN workcell.step_instance si ON si.id = v.step_instance_id
         WHERE v.work_order_id = :wo""",
    "out_of_limit": """
        SELECT si.seq, d.label || ' out of limit',
               coalesce(trim_scale(e.value_numeric)::text || ' ' || d.unit, CASE WHEN e.value_pass THEN 'pass' ELSE 'fail' END)
               || ' (limits ' || coalesce(trim_scale(d.lower_limit)::text, '-') || ' to ' || coalesce(trim_scale(d.upper_limit)::text, '-') || ')',
               u.printed_name, e.entered_at, e.id::text
          FROM workcell.step_entry e JOIN workcell.step_instance si ON si.id = e.step_instance_id
          JOIN workcell.routing_step_data d ON d.id = e.step_data_id JOIN workcell.users u ON u.id = e.entered_by
         WHERE si.work_order_id = :wo AND e.out_of_limit""",
    "correction": """
        SELECT si.seq, d.label || ' corrected',
               coalesce(trim_scale(o.value_numeric)::text, o.value_pass::text, o.value_text) || ' → '
               || coalesce(trim_scale(e.value_numeric)::text, e.value_pass::text, e.value_text) || ': ' || e.reason,
               u.printed_name, e.entered_at, e.id::text
          FROM workcell.step_entry e JOIN workcell.step_entry o ON o.id = e.supersedes
          JOIN workcell.step_instance si ON si.id = e.step_instance_id
          JOIN workcell.routing_step_data d ON d.id = e.step_data_id JOIN workcell.users u ON u.id = e.entered_by
         WHERE si.work_order_id = :wo""",
    # a number typed at a step whose routing names a weighing class (balances): not read
    # from the balance, so QA looks at why (corrections are typed too)
    "typed_value": """
        SELECT si.seq, d.label || ' typed, not read from the balance',
               trim_scale(e.value_numeric)::text || ' ' || d.unit || ' typed at a ' || s.equipment_class || ' step'
               || coalesce(' (unit used: ' || (SELECT q.asset_id FROM workcell.step_equipment u
                     JOIN workcell.equipment q ON q.id = u.equipment_id
                    WHERE u.step_instance_id = si.id ORDER BY u.id DESC LIMIT 1) || ')', ''),
               u.printed_name, e.entered_at, e.id::text
          FROM workcell.step_entry e JOIN workcell.step_instance si ON si.id = e.step_instance_id
          JOIN workcell.routing_step s ON s.id = si.routing_step_id
          JOIN workcell.equipment_class c ON c.name = s.equipment_class AND c.weighing
          JOIN workcell.routing_step_data d ON d.id = e.step_data_id AND d.kind = 'numeric'
          JOIN workcell.users u ON u.id = e.entered_by
         WHERE si.work_order_id = :wo AND e.kind = 'value' AND e.value_source = 'typed'""",
    "late": """
        SELECT si.seq, coalesce(d.label, e.kind) || ' entered after the due date',
               'entered ' || to_char(e.entered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'),
               u.printed_name, e.entered_at, e.id::text
          FROM workcell.step_entry e JOIN workcell.step_instance si ON si.id = e.step_instance_id
          LEFT JOIN workcell.routing_step_data d ON d.id = e.step_data_id JOIN workcell.users u ON u.id = e.entered_by
         WHERE si.work_order_id = :wo AND e.late""",
    "out_of_order": """
        SELECT si.seq, coalesce(d.label, e.kind) || ' entered out of order',
               'an earlier step was not done yet', u.printed_name, e.entered_at, e.id::text
          FROM workcell.step_entry e JOIN workcell.step_instance si ON si.id = e.step_instance_id
          LEFT JOIN workcell.routing_step_data d ON d.id = e.step_data_id JOIN workcell.users u ON u.id = e.entered_by
         WHERE si.work_order_id = :wo AND e.out_of_order""",
    # a signature by someone without the role the signoff names (possible after a role
    # change), or by a person who also made entries at the step for a verify/review
    "unexpected_signer": """
        SELECT si.seq, 'step signed "' || s.meaning || '" by ' || s.printed_name,
               CASE WHEN NOT EXISTS (SELECT 1 FROM workcell.user_role r WHERE r.user_id = s.signer_id AND r.role = g.role)
                    THEN 'does not hold the ' || g.role || ' role now'
                    ELSE 'also made entries at this step' END,
               s.printed_name, s.signed_at, s.id::text
          FROM workcell.signature s JOIN workcell.step_instance si ON si.id = s.record_id
          JOIN workcell.routing_step_signoff g ON g.step_id = si.routing_step_id AND g.meaning = s.meaning
         WHERE s.record_type = 'step_instance' AND si.work_order_id = :wo
           AND (NOT EXISTS (SELECT 1 FROM workcell.user_role r WHERE r.user_id = s.signer_id AND r.role = g.role)
                OR (s.meaning <> 'performed' AND EXISTS (SELECT 1 FROM workcell.step_entry e
                       WHERE e.step_instance_id = si.id AND e.entered_by = s.signer_id)))""",
}
assert tuple(_KINDS) == EXCEPTION_KINDS


def review_by_exception(uow: UnitOfWork, number: str) -> list[ExceptionRow]:
    """What QA must look at before signing "reviewed", in the defined order: by kind
    (EXCEPTION_KINDS), then step, then time."""
    wo = work_order_id(uow, number)
    out: list[ExceptionRow] = []
    for kind, sql in _KINDS.items():
        rows = run(uow, f"SELECT * FROM ({sql}) x ORDER BY 1 NULLS FIRST, 5, 6", {"wo": wo})
        out.extend(ExceptionRow(kind, r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows)
    return out


def review_work_order(uow: UnitOfWork, number: str, signing: Signing) -> WorkOrderSummary:
    """QA signs the complete work order "reviewed" (the review includes its audit trail,
    Annex 11 §9) and moves it to reviewed; refused while a deviation is open or if the
    reviewer took part in it."""
    require_permission(uow, "work_order.review", signing.creds.username)
    wo = get_work_order(uow, number)
    if wo.status != "complete":
        raise RuleViolation(
            f"Work order {wo.number} is {wo.status.replace('_', ' ')}: QA reviews a complete one."
        )
    signature = sign(
        uow, RecordRef("work_order", wo.id), "reviewed", signing.creds, station=signing.station,
        policy=signing.policy, comment=signing.comment, expected_version=wo.version,
        expected_hash=signing.expected_hash,
    )  # fmt: skip
    uow.set_reason(signing.comment or f"work order {wo.number} reviewed (signature {signature.id})")
    rows = run(
        uow,
        "UPDATE workcell.work_order SET status = 'reviewed', version = version + 1"
        " WHERE id = :id AND version = :v RETURNING id",
        {"id": wo.id, "v": wo.version},
    )
    if not rows:
        raise RuleViolation(f"Work order {wo.number} changed meanwhile: look at it again.")
    return get_work_order(uow, wo.number)


def release_output(uow: UnitOfWork, number: str, signing: Signing) -> WorkOrderSummary:
    """QA releases the work order's output lot (the materials release, whose database rule
    refuses anyone who performed or verified a step of the work order)."""
    wo = get_work_order(uow, number)
    if wo.output_lot is None:
        raise RuleViolation(f"Work order {wo.number} made no lot yet.")
    lots.release_lot(uow, wo.output_lot, signing)
    return get_work_order(uow, wo.number)


def took_part(uow: UnitOfWork, username: str, number: str) -> str | None:
    """How ``username`` took part in the work order ("performed step 2 of ..."), None when
    they did not: who took part neither reviews it nor releases its lot."""
    found = scalar(
        uow,
        "SELECT workcell.wo_took_part(:w, u.id) FROM workcell.users u WHERE u.username = :u",
        {"w": work_order_id(uow, number), "u": username.strip().lower()},
    )
    return None if found is None else str(found)
