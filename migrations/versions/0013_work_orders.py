"""Work orders and step execution (issue 14): training records and qualifications, work
orders locked to their BOM and routing revisions (SHA-256 beside the lock), step instances,
append-only step entries with corrections, component scans through the materials ledger,
the output lot, deviations, signatures per step, yield and label reconciliation.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

SQL in migrations/sql/work_orders/ (tables, training, content, execution, rules). Every
status move of a work order, step instance, deviation or qualification record is a row of
workcell.transition_rule; the release computes the lock in the work order's guard and the
lock never changes afterwards (any writer). Step signatures follow the routing step's
signoffs (workcell.execution_signature_rules on workcell.signature): the role it names, in
order, a distinct person for verified and reviewed, qualified for performed and verified.
The lot release rule of 0012 is extended: a work order's output lot is released after the
work order's QA review, by nobody who performed or verified a step of it. Stations hold
column grants for guarded status moves and label counts only; entries, scans, outputs and
deviations are written by SECURITY DEFINER functions. See docs/work_orders.md.

Error codes added here (translated in domain/errors.py):
  WC080 work order rule (planning, release: no revision in effect, what was planned)
  WC081 the step changed at another station (optimistic version check): nothing saved
  WC082 component refused: not on the locked BOM, or not scanned at this step
  WC083 the lock of a work order never changes
  WC084 step not open for entries (work order not running, step done, unknown step)
  WC085 entry refused (unknown field, not a number, already recorded, unit, correction)
  WC086 training gate: not qualified, or the qualification expired (names it)
  WC087 step signature refused (not called for, role, order, performer, missing entries)
  WC088 step cannot be done yet (entries, signatures, open deviations)
  WC089 deviation rule (approval by the performer, what/why missing)
  WC090 work order move refused (steps open, open deviations, reviewer took part)
  WC091 output rule (not an output step, serials, output lot)
  WC092 output lot release refused (work order not reviewed, releaser took part)
  WC093 execution records are written by the database's functions only
  WC094 qualification record rule (own training, dates, kept facts)
"""

from alembic import op

from migrations.area import Area, attach_triggers_and_guards, grant, row_trigger, run_files

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

FILES = ("tables.sql", "training.sql", "content.sql", "execution.sql", "rules.sql")

TABLES = (
    "work_order_policy", "qualification", "person_qualification", "work_order", "step_instance",
    "step_entry", "deviation",
)  # fmt: skip
APPEND_ONLY = ("step_entry",)
GUARDED = (
    ("work_order", "work_order"), ("step_instance", "step_instance"), ("deviation", "deviation"),
    ("person_qualification", "person_qualification"),
)  # fmt: skip

# (table, timing + events, function(args))
TRIGGERS = (
    ("work_order", "BEFORE UPDATE", "work_order_guard()"),
    ("step_instance", "BEFORE INSERT OR UPDATE", "step_instance_guard()"),
    ("step_entry", "BEFORE INSERT", "step_entry_prepare()"),
    ("deviation", "BEFORE INSERT OR UPDATE", "deviation_guard()"),
    ("qualification", "BEFORE INSERT OR UPDATE", "qualification_guard()"),
    ("person_qualification", "BEFORE INSERT OR UPDATE", "person_qualification_guard()"),
    ("signature", "BEFORE INSERT", "execution_signature_rules()"),
)

# What a station may write, column by column: guarded status moves, label counts, training
# master data. Never numbers, locks, times, actors, entries or deviations.
COLUMNS: dict[str, tuple[str, str]] = {
    "work_order": ("", "status, version, labels_issued, labels_used, labels_destroyed"),
    "deviation": ("", "status, version"),
    "qualification": ("code, title, document, document_revision, version", "title, version"),
    "person_qualification": (
        "user_id, qualification_id, trained_on, expires_on, version",
        "status, version",
    ),
    "routing_operation": ("qualification_id", "qualification_id"),
    "routing_step": ("qualification_id, output", "qualification_id, output"),
}

STATION_FUNCTIONS = (
    "workcell.wo_create(bigint, numeric, date, text)",
    "workcell.wo_enter(bigint, text, text, integer, bigint, text)",
    "workcell.wo_correct(bigint, text, text, integer)",
    "workcell.wo_consume(bigint, bigint, bigint, bigint, numeric, text, bigint, integer)",
    "workcell.wo_produce(bigint, numeric, bigint, text[], integer)",
    "workcell.wo_open_deviation(bigint, text, text, text, text, text)",
    "workcell.wo_step_done(bigint, integer)",
)
# Read by stations and the auditor; also what the station-invoked guards call.
READ_FUNCTIONS = (
    "workcell.utc_text(timestamptz)",
    "workcell.exploded_bom(bigint, timestamptz)",
    "workcell.work_order_lock_content(bigint, bigint, bigint, timestamptz)",
    "workcell.work_order_lock_valid(bigint)",
    "workcell.step_instance_content(bigint)",
    "workcell.step_instance_summary(bigint)",
    "workcell.work_order_content(bigint)",
    "workcell.work_order_summary(bigint)",
    "workcell.deviation_content(bigint)",
    "workcell.deviation_summary(bigint)",
    "workcell.person_qualification_content(bigint)",
    "workcell.person_qualification_summary(bigint)",
    "workcell.person_qualification_may_create(text, jsonb, jsonb)",
    "workcell.step_qualifications(bigint)",
    "workcell.qualification_gap(bigint, bigint)",
    "workcell.qualifications_expiring(integer)",
    "workcell.wo_took_part(bigint, bigint)",
    "workcell.work_order_may_cancel(text, jsonb, jsonb)",
    "workcell.work_order_may_complete(text, jsonb, jsonb)",
    "workcell.work_order_may_be_reviewed(text, jsonb, jsonb)",
    "workcell.work_order_may_close(text, jsonb, jsonb)",
    "workcell.step_blockers(bigint)",
    "workcell.step_may_close(text, jsonb, jsonb)",
    "workcell.assert_output_releasable(bigint, bigint)",
)
INTERNAL_FUNCTIONS = (
    "workcell.work_order_guard()",
    "workcell.work_order_make_steps()",
    "workcell.work_order_reconcile()",
    "workcell.step_instance_guard()",
    "workcell.deviation_guard()",
    "workcell.step_entry_prepare()",
    "workcell.qualification_guard()",
    "workcell.person_qualification_guard()",
    "workcell.execution_signature_rules()",
    "workcell.assert_qualified(bigint, bigint, text)",
    "workcell.wo_open_step(bigint, integer, text)",
    "workcell.wo_put_value(workcell.step_instance, workcell.routing_step_data, text, bigint, text, bigint, text)",
    "workcell.wo_output_context(bigint)",
)


CAPS = """
SELECT workcell.add_field_cap(t, c, label, n, 'characters')
  FROM (VALUES
    ('workcell.deviation', 'actual', 'Deviation actual', 500),
    ('workcell.deviation', 'expected', 'Deviation expected', 500),
    ('workcell.deviation', 'kind', 'Deviation kind', 20),
    ('workcell.deviation', 'number', 'Deviation number', 40),
    ('workcell.deviation', 'status', 'Deviation status', 20),
    ('workcell.deviation', 'what', 'Deviation what', 500),
    ('workcell.deviation', 'why', 'Deviation why', 2000),
    ('workcell.person_qualification', 'status', 'Qualification record status', 20),
    ('workcell.qualification', 'code', 'Qualification code', 40),
    ('workcell.qualification', 'document', 'Qualification document', 80),
    ('workcell.qualification', 'document_revision', 'Qualification document revision', 20),
    ('workcell.qualification', 'title', 'Qualification title', 200),
    ('workcell.step_entry', 'kind', 'Step entry kind', 20),
    ('workcell.step_entry', 'reason', 'Correction reason', 500),
    ('workcell.step_entry', 'station', 'Step entry station', 63),
    ('workcell.step_entry', 'unit', 'Step entry unit', 20),
    ('workcell.step_entry', 'value_source', 'Value source', 20),
    ('workcell.step_entry', 'value_text', 'Step entry text', 2000),
    ('workcell.step_instance', 'status', 'Step status', 20),
    ('workcell.work_order', 'lock_hash', 'Work order lock hash', 64),
    ('workcell.work_order', 'note', 'Work order note', 500),
    ('workcell.work_order', 'number', 'Work order number', 40),
    ('workcell.work_order', 'status', 'Work order status', 20),
    ('workcell.work_order', 'unit', 'Work order unit', 20)
  ) AS caps (t, c, label, n)
 ORDER BY t, c;
SELECT workcell.add_field_cap('workcell.work_order', 'lock_content', 'Work order lock', 1048576, 'bytes');
"""


AREA = Area(
    sql_dir="work_orders",
    files=FILES,
    tables=TABLES,
    append_only=APPEND_ONLY,
    columns=COLUMNS,
    station_functions=STATION_FUNCTIONS,
    read_functions=READ_FUNCTIONS,
    internal_functions=INTERNAL_FUNCTIONS,
    triggers=TRIGGERS,
    guarded=GUARDED,
)


def upgrade() -> None:
    run_files(AREA)
    attach_triggers_and_guards(AREA)
    # Named to fire after work_order_transition (AFTER triggers fire in name order), so a
    # refused move is the refusal shown and nothing is made.
    row_trigger(
        "work_order",
        "AFTER UPDATE OF status",
        "work_order_make_steps()",
        name="work_order_transition_steps",
        condition="OLD.status = 'planned' AND NEW.status = 'released'",
    )
    row_trigger(
        "work_order",
        "AFTER UPDATE OF status",
        "work_order_reconcile()",
        name="work_order_transition_yield",
        condition="OLD.status = 'in_progress' AND NEW.status = 'complete'",
    )
    grant(AREA)
    op.execute(CAPS)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
