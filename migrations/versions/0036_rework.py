"""Rework (issue 16 item 4): an NCR's rework disposition plans a rework work order on the
locked routing of a rework revision. A routing revision is made for the standard run of an
item or for its rework (``purpose``, fixed from its creation and part of its signed
content); each purpose has its own effective ranges, so an item has a standard and a rework
routing in effect at once, and a work order's release locks the one of its kind. The
disposition is refused unless every affected lot with stock has a BOM and a rework routing
in effect; carried out, it plans (as the database, in the same transaction) one rework
work order per such lot, for its whole stock. That work order scans the lot it reworks —
in quarantine, which no other consumption may take — and makes the reworked lot (genealogy
edge from the old one), released by QA after the work order's review like any output; the
old lot is used up by the scan. The NCR closes once its rework work orders are closed. A
work order whose step inspection's NCR is dispositioned rework stops at that step, as for
scrap (completed short, 0035). And a stopped step, or one after it, takes no more entries
(before, entries were accepted there and changed nothing about the stop).

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-03

SQL in migrations/sql/rework/ (tables, functions). Stations write ``routing_revision.purpose``
on INSERT only (engineering makes the draft); ``work_order.ncr_id`` and ``rework_lot_id`` are
written by the database only. CREATE OR REPLACE of workcell.ncr_may_disposition (0035),
ncr_may_close (0018), work_order_stop (0035), wo_open_step, work_order_guard (0013),
wo_consume (0022), inventory_txn_apply (0012), routing_revision_content (0030) and
work_order_content (0013), whose grants and triggers are kept. New transition rule: a lot
quarantine -> consumed when its rework work order used the last of it. A planner plans a
cancelled rework work order again (workcell.wo_replan_rework, a station function). An NCR
raised from a deviation names it (ncr.deviation_id, one NCR per deviation; its lot is the
work order's output lot unless named): workcell.raise_ncr gains the deviation argument
(0018's seven-argument form dropped; ncr_content names the deviation, other NCRs keep their
hashes), in migrations/sql/rework/ncr_deviation.sql. A lot whose rework work order has not
closed is used by nothing else (workcell.assert_lot_usable, whose 0012 body is kept as
workcell.lot_use_rules, refuses it: WC064): a lot released before its NCR stays released.

Error codes added here (translated in domain/errors.py):
  WC195 an entry at a step its work order stops at (or after), by its inspection's NCR
  WC196 a routing revision's purpose changed
  WC197 a rework work order planned again refused (not a cancelled rework, the NCR or lot
        done with, another running)
"""

from alembic import op

from migrations.area import Area, add_caps, grant, row_trigger, run_files

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

AREA = Area(
    sql_dir="rework",
    files=("tables.sql", "functions.sql", "ncr_deviation.sql"),
    columns={"routing_revision": ("purpose", "")},
    station_functions=(
        "workcell.wo_replan_rework(bigint, date)",
        "workcell.raise_ncr(text, bigint, bigint, bigint[], text, text, integer, integer)",
    ),
    read_functions=(
        "workcell.assert_lot_usable(workcell.lot, text)",
        "workcell.reworkable_now(bigint)",
        "workcell.lot_reworked(text, jsonb, jsonb)",
    ),
    internal_functions=(
        "workcell.reworked_by(bigint, bigint)",
        "workcell.assert_lot_reworkable(workcell.lot, text)",
        "workcell.ncr_plan_rework()",
        "workcell.routing_revision_purpose_fixed()",
    ),
)


def upgrade() -> None:
    run_files(AREA)
    row_trigger("routing_revision", "BEFORE UPDATE", "routing_revision_purpose_fixed()")
    # named after the transition guard's AFTER trigger (ncr_transition): fires once it allowed the move
    row_trigger(
        "ncr", "AFTER UPDATE OF status", "ncr_plan_rework()", name="ncr_transition_rework",
        condition="OLD.status = 'open' AND NEW.status = 'dispositioned' AND NEW.disposition = 'rework'",
    )  # fmt: skip
    op.execute(
        "INSERT INTO workcell.transition_rule (record_type, from_status, to_status, action,"
        " permission, signatures, condition, restarts, description) VALUES ('lot', 'quarantine',"
        " 'consumed', 'use_up', NULL, '{}', 'workcell.lot_reworked(text, jsonb, jsonb)', false,"
        " 'The last of it was consumed by its rework work order')"
    )
    add_caps([("routing_revision", "purpose", "Routing revision purpose", 20)])
    grant(AREA)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
