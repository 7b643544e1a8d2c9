"""Equipment and instruments (issue 14 item 7): equipment classes, units with identity,
status, calibration and cleaning due dates; append-only calibration, cleaning and use
records; the usable check a step calls when the operator scans a unit.

Revision ID: 0015
Revises: 0014 (the lead relinks the chain at merge)
Create Date: 2026-12-02

SQL in migrations/sql/equipment/ (tables, content, guards, checks, events, rules). A unit's
status moves only along workcell.transition_rule (record type 'equipment'); a calibration
carries the calibrator's "calibrated" signature (equipment.calibrate, QA); the due dates are
kept by the record tables' triggers only. Stations hold column grants on classes and units
and no INSERT on any record table (written by the SECURITY DEFINER functions). See
docs/equipment.md for the contract the work-order steps call.

Error codes added here (translated in domain/errors.py):
  WC100 no such unit or class
  WC101 unit of another class than the step asks for
  WC102 unit out of service or retired
  WC103 unit out of calibration (never calibrated, overdue, last calibration failed)
  WC104 unit not cleaned (no cleaning record, cleaning overdue)
  WC105 registry facts locked (asset id, class, serial, balance data; retired record)
  WC106 calibration or cleaning record refused (signature, due date, retired unit)
  WC107 use refused (no context, reading not a balance's value, over capacity)
  WC108 due dates written outside the calibration and cleaning records
  WC109 reading from another device than the registered balance
"""

from alembic import op

from migrations.area import Area, install

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

FILES = ("tables.sql", "content.sql", "guards.sql", "checks.sql", "events.sql", "rules.sql")

TABLES = (
    "equipment_class",
    "equipment",
    "equipment_calibration",
    "equipment_cleaning",
    "equipment_use",
)
KEYS = {"equipment_class": "ARRAY['name']"}
APPEND_ONLY = ("equipment_calibration", "equipment_cleaning", "equipment_use")
GUARDED = (("equipment", "equipment"),)

# (table, timing + events, function(args))
TRIGGERS = (
    ("equipment_class", "BEFORE INSERT OR UPDATE", "equipment_class_guard()"),
    ("equipment", "BEFORE INSERT OR UPDATE", "equipment_guard()"),
    ("equipment_calibration", "AFTER INSERT", "equipment_calibration_apply()"),
    ("equipment_cleaning", "AFTER INSERT", "equipment_cleaning_apply()"),
)

# What a station may write, column by column (never ids, dates of records, actors, or the
# status on creation).
COLUMNS: dict[str, tuple[str, str]] = {
    "equipment_class": (
        "name, description, calibration_interval_days, cleaning_interval_days, weighing, version",
        "description, calibration_interval_days, cleaning_interval_days, version",
    ),
    "equipment": (
        "asset_id, class_code, description, location, device_serial, readability, capacity,"
        " weighing_unit, version",
        "description, location, status, status_reason, version",
    ),
}

STATION_FUNCTIONS = (
    "workcell.record_calibration(bigint, text, text, text, date, bigint, text)",
    "workcell.record_cleaning(bigint, text, text)",
    "workcell.record_equipment_use(bigint, text, bigint, jsonb)",
)
READ_FUNCTIONS = (
    "workcell.equipment_usable(text, text)",
    "workcell.equipment_content(bigint)",
    "workcell.equipment_summary(bigint)",
    "workcell.equipment_status_reason(text, jsonb, jsonb)",
)
INTERNAL_FUNCTIONS = (
    "workcell.assert_equipment_usable(workcell.equipment, text)",
    "workcell.equipment_class_guard()",
    "workcell.equipment_guard()",
    "workcell.equipment_calibration_apply()",
    "workcell.equipment_cleaning_apply()",
)


# Size caps on every free-text column (workcell.add_field_cap, migration 0010).
CAPS = """
SELECT workcell.add_field_cap(t, c, label, n, 'characters')
  FROM (VALUES
    ('workcell.equipment', 'asset_id', 'Asset id', 32),
    ('workcell.equipment', 'class_code', 'Equipment class', 24),
    ('workcell.equipment', 'description', 'Equipment description', 200),
    ('workcell.equipment', 'device_serial', 'Device serial number', 40),
    ('workcell.equipment', 'location', 'Equipment location', 80),
    ('workcell.equipment', 'status', 'Equipment status', 20),
    ('workcell.equipment', 'status_reason', 'Equipment status reason', 200),
    ('workcell.equipment', 'weighing_unit', 'Weighing unit', 8),
    ('workcell.equipment_calibration', 'certificate', 'Calibration certificate', 80),
    ('workcell.equipment_calibration', 'comment', 'Calibration comment', 500),
    ('workcell.equipment_calibration', 'provider', 'Calibration provider', 120),
    ('workcell.equipment_calibration', 'result', 'Calibration result', 8),
    ('workcell.equipment_calibration', 'station', 'Calibration station', 63),
    ('workcell.equipment_class', 'name', 'Equipment class name', 24),
    ('workcell.equipment_class', 'description', 'Equipment class description', 200),
    ('workcell.equipment_cleaning', 'comment', 'Cleaning comment', 500),
    ('workcell.equipment_cleaning', 'procedure', 'Cleaning procedure', 120),
    ('workcell.equipment_cleaning', 'station', 'Cleaning station', 63),
    ('workcell.equipment_use', 'context', 'Equipment use context', 41),
    ('workcell.equipment_use', 'device_serial', 'Equipment use device serial', 40),
    ('workcell.equipment_use', 'reading_unit', 'Equipment use reading unit', 8),
    ('workcell.equipment_use', 'station', 'Equipment use station', 63)
  ) AS caps (t, c, label, n)
 ORDER BY t, c;
"""


AREA = Area(
    sql_dir="equipment",
    files=FILES,
    tables=TABLES,
    keys=KEYS,
    append_only=APPEND_ONLY,
    columns=COLUMNS,
    station_functions=STATION_FUNCTIONS,
    read_functions=READ_FUNCTIONS,
    internal_functions=INTERNAL_FUNCTIONS,
    triggers=TRIGGERS,
    guarded=GUARDED,
)


def upgrade() -> None:
    install(AREA)
    op.execute(CAPS)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
