"""In-process and final inspections from a routing step (issue 16 item 3): a routing step
names the inspection made at it (in_process or final: routing content, so under change
control and inside a work order's SHA-256 lock); when a work order reaches the step (it
starts — its first entry, or workcell.wo_start_step —, or the step before it is done once
the output lot exists) the database opens the inspection of the work order's output lot
against the released template of the item being made, sample size from the lot size by the
template's plan; the release needs that template released; the step is not
signed, nor closed, until the inspection has an accepted disposition (released by QA, or
referred to an NCR dispositioned use as is or repair). A rejecting inspection at a step is
referred to an NCR raised from it (the existing machinery), never rejected outright, and
its release does not release the work order's lot (that waits for the work order's review).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-02

SQL in migrations/sql/inprocess/ (tables, content, functions). Stations write nothing of it
directly: workcell.step_inspection is written by the database's triggers only, append-only
and audited. See docs/quality.md "Inspections at a routing step".

Error codes added here (translated in domain/errors.py):
  WC190 a step names an inspection and the item has no released template of that type
        (work order release refused; the inspection cannot open)
  WC191 a signature of the step refused: its inspection has no accepted disposition
  WC192 step not closed: its inspection has no accepted disposition
  WC193 an inspection made at a step is referred to an NCR, not rejected outright
  WC194 a step's inspection link not the database's (forged)
"""

from alembic import op

from migrations.area import Area, add_caps, grant, row_trigger, run_files

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

FILES = ("tables.sql", "content.sql", "functions.sql")

# (trigger name, table, timing + events, function, condition). AFTER triggers fire in name
# order: work_order_transition_steps_inspection follows work_order_transition_steps (the
# step instances exist), step_instance_transition_inspection follows the transition guard.
TRIGGERS = (
    ("step_inspection_prepare", "step_inspection", "BEFORE INSERT", "step_inspection_prepare()", ""),
    ("signature_step_inspection_rule", "signature", "BEFORE INSERT", "step_inspection_signature_rule()", ""),
    ("step_instance_inspection_check", "step_instance", "BEFORE UPDATE", "step_instance_inspection_check()", ""),
    ("inspection_step_rule", "inspection", "BEFORE UPDATE", "inspection_step_rule()", ""),
    ("work_order_transition_steps_inspection", "work_order", "AFTER UPDATE OF status",
     "work_order_released_inspection()", "OLD.status = 'planned' AND NEW.status = 'released'"),
    ("step_instance_transition_inspection", "step_instance", "AFTER UPDATE OF status",
     "step_instance_reached_inspection()", "NEW.status IS DISTINCT FROM OLD.status"),
)  # fmt: skip

STATION_FUNCTIONS = ("workcell.wo_start_step(bigint, integer)",)
READ_FUNCTIONS = (
    "workcell.step_inspection_content(bigint)",
    "workcell.step_inspection_blockers(bigint)",
)
INTERNAL_FUNCTIONS = (
    "workcell.step_inspection_open(bigint, boolean)",
    "workcell.step_inspections_reached(bigint)",
    "workcell.work_order_released_inspection()",
    "workcell.step_instance_reached_inspection()",
    "workcell.step_inspection_signature_rule()",
    "workcell.step_instance_inspection_check()",
    "workcell.inspection_step_rule()",
    "workcell.step_inspection_prepare()",
)

CAPS = (("routing_step", "inspection_type", "Step inspection type", 20),)

AREA = Area(
    sql_dir="inprocess",
    files=FILES,
    tables=("step_inspection",),
    keys={"step_inspection": "ARRAY['step_instance_id']"},
    append_only=("step_inspection",),
    # the routing's new column, like equipment_class (0021): engineering edits drafts
    # through the station; eng_line_guard refuses it outside a draft revision
    columns={"routing_step": ("inspection_type", "inspection_type")},
    station_functions=STATION_FUNCTIONS,
    read_functions=READ_FUNCTIONS,
    internal_functions=INTERNAL_FUNCTIONS,
)


def upgrade() -> None:
    run_files(AREA)
    for name, table, when, call, condition in TRIGGERS:
        row_trigger(table, when, call, name=name, condition=condition)
    grant(AREA)
    op.execute("SELECT set_config('workcell.system_actor', 'system', true)")
    op.execute(
        "SELECT set_config('workcell.reason', 'migration 0030: inspections at the steps', true)"
    )
    add_caps(CAPS)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
