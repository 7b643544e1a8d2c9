"""Equipment at the work-order steps (issue 14 item 7): a routing step names the equipment
class it needs (routing content, so under change control and inside a work order's
SHA-256 lock); the unit used at a step is recorded by the database, checked usable for that
class at that moment (in service, calibrated, clean: the refusals of migration 0015), and
"performed" is not signed, nor the step closed, without it; a value read from a balance is
recorded with its reading (tare, the serial the balance reported, the calibration in force)
and a forged "balance" value is refused.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02

SQL in migrations/sql/step_equipment/ (tables, content, functions). Stations write nothing
directly: workcell.wo_use_equipment and workcell.wo_weigh (SECURITY DEFINER) are the
writers; step_equipment is append-only and audited. See docs/equipment.md "At the step".

Error codes added here (translated in domain/errors.py):
  WC150 equipment at a step refused (the step names no class; a unit not of the step's class
        or not recorded with its use)
  WC151 "performed" refused: the unit used is not recorded
  WC152 step not closed: the unit used is not recorded
  WC153 a "balance" value without its balance reading (forged source), or a typed value
        carrying a reading; reading before the balance used is recorded
  WC154 weighing refused: the field is not numeric, the unit is not a balance, or weighs in
        another unit than the field
"""

from alembic import op

from migrations.area import Area, add_caps, grant, row_trigger, run_files

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

FILES = ("tables.sql", "content.sql", "functions.sql")

# (trigger name, table, timing + events, function). step_entry_weighing_check fires after
# step_entry_step_entry_prepare (BEFORE triggers fire in name order).
TRIGGERS = (
    ("step_equipment_prepare", "step_equipment", "BEFORE INSERT", "step_equipment_prepare()"),
    ("step_entry_weighing_check", "step_entry", "BEFORE INSERT", "step_entry_weighing_check()"),
    ("signature_step_equipment_rule", "signature", "BEFORE INSERT", "step_equipment_signature_rule()"),
    ("step_instance_equipment_check", "step_instance", "BEFORE UPDATE", "step_instance_equipment_check()"),
)  # fmt: skip

STATION_FUNCTIONS = (
    "workcell.wo_use_equipment(bigint, text, integer)",
    "workcell.wo_weigh(bigint, text, jsonb, text, integer)",
)
READ_FUNCTIONS = (
    "workcell.step_equipment_content(bigint)",
    "workcell.step_equipment_blockers(bigint)",
)
INTERNAL_FUNCTIONS = (
    "workcell.step_equipment_prepare()",
    "workcell.step_entry_weighing_check()",
    "workcell.step_equipment_signature_rule()",
    "workcell.step_instance_equipment_check()",
)

CAPS = (
    ("routing_step", "equipment_class", "Step equipment class", 24),
    ("step_equipment", "class_code", "Step equipment class", 24),
    ("step_equipment", "station", "Step equipment station", 63),
)

AREA = Area(
    sql_dir="step_equipment",
    files=FILES,
    tables=("step_equipment",),
    append_only=("step_equipment",),
    # the routing's new column, like qualification_id and output (0013): engineering edits
    # drafts through the station; eng_line_guard refuses it outside a draft revision
    columns={"routing_step": ("equipment_class", "equipment_class")},
    station_functions=STATION_FUNCTIONS,
    read_functions=READ_FUNCTIONS,
    internal_functions=INTERNAL_FUNCTIONS,
)


def upgrade() -> None:
    run_files(AREA)
    for name, table, when, call in TRIGGERS:
        row_trigger(table, when, call, name=name)
    grant(AREA)
    op.execute("SELECT set_config('workcell.system_actor', 'system', true)")
    op.execute(
        "SELECT set_config('workcell.reason', 'migration 0021: equipment at the steps', true)"
    )
    add_caps(CAPS)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
