"""Materials and genealogy (issue 12): locations with zone rules, suppliers and the
approved-supplier list, lots and serials, holds as records, the append-only inventory ledger
with its derived on-hand, production records with genealogy edges, customers and shipments.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

SQL in migrations/sql/materials/ (tables, checks, content, ledger, guards, rules). Every
status move of a lot, hold, shipment or approved-supplier entry is a row of
workcell.transition_rule, enforced by workcell.transition_guard(); the QA release and
rejection are signed by someone other than the lot's receiver or producer (signing_rule
distinct_from author). Stations hold column grants only (no INSERT on lots, serials, the
ledger, on-hand or genealogy: those are written by SECURITY DEFINER functions and the
ledger's trigger). See docs/materials.md.

Error codes added here (translated in domain/errors.py):
  WC060 zone rule: the bin's zone type does not accept the lot (status, hold), bin unusable
  WC061 not enough on hand (negative on-hand refused; the other station took it)
  WC062 lot on hold
  WC063 lot expired or past its retest date
  WC064 lot not released (quarantine, rejected, used up)
  WC065 supplier not approved (or disqualified) for the item
  WC066 refused on arrival (expired, past retest, unknown item)
  WC067 serial refused (missing, not in the lot or bin, already used)
  WC068 ledger rule (kind, unit, reason, adjustment signature, production record)
  WC069 shipment refused (not open, lines fixed)
  WC071 record content locked (lot facts, hold, codes)
  WC072 on-hand / serial place written outside the ledger
"""

from alembic import op

from migrations.area import Area, attach_triggers_and_guards, grant, row_trigger, run_files

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

FILES = ("tables.sql", "checks.sql", "content.sql", "ledger.sql", "guards.sql", "rules.sql")

TABLES = (
    "materials_policy", "zone_type", "zone_rule", "site", "zone", "bin", "supplier",
    "approved_supplier", "lot", "serial", "hold", "customer", "shipment", "shipment_line",
    "production_record", "inventory_txn", "on_hand", "genealogy_edge",
)  # fmt: skip
KEYS = {"zone_type": "ARRAY['name']", "zone_rule": "ARRAY['zone_type', 'lot_status']"}
APPEND_ONLY = ("inventory_txn", "genealogy_edge", "production_record")
GUARDED = (
    ("lot", "lot"), ("hold", "hold"), ("shipment", "shipment"),
    ("approved_supplier", "approved_supplier"),
)  # fmt: skip

# (table, timing + events, function(args))
TRIGGERS = (
    ("site", "BEFORE INSERT OR UPDATE", "materials_master_guard('location.manage')"),
    ("zone", "BEFORE INSERT OR UPDATE", "materials_master_guard('location.manage')"),
    ("bin", "BEFORE INSERT OR UPDATE", "materials_master_guard('location.manage')"),
    ("customer", "BEFORE INSERT OR UPDATE", "materials_master_guard('location.manage')"),
    ("supplier", "BEFORE INSERT OR UPDATE", "materials_master_guard('supplier.manage')"),
    ("approved_supplier", "BEFORE UPDATE", "approved_supplier_guard()"),
    ("lot", "BEFORE UPDATE", "lot_guard()"),
    ("serial", "BEFORE UPDATE", "serial_guard()"),
    ("hold", "BEFORE INSERT OR UPDATE", "hold_guard()"),
    ("shipment", "BEFORE UPDATE", "shipment_guard()"),
    ("shipment_line", "BEFORE INSERT OR UPDATE OR DELETE", "shipment_line_guard()"),
    ("inventory_txn", "AFTER INSERT", "inventory_txn_apply()"),
    ("on_hand", "BEFORE INSERT OR UPDATE", "on_hand_written_by_ledger()"),
)

# What a station may write, column by column (never ids, numbers, times, actors, status on
# creation, or anything of the ledger).
COLUMNS: dict[str, tuple[str, str]] = {
    "site": ("code, name, version", "name, version"),
    "zone": ("site_id, code, name, zone_type, version", "name, version"),
    "bin": ("zone_id, code, active, version", "active, version"),
    "supplier": ("code, name, version", "name, version"),
    "customer": ("code, name, address, version", "name, address, version"),
    "approved_supplier": ("item_id, supplier_id, note, version", "status, note, version"),
    "lot": ("", "status, version"),
    "hold": ("lot_id, source, source_ref, reason, version", "status, close_comment, version"),
    "shipment": ("customer_id, reference, version", "status, version"),
    "shipment_line": ("shipment_id, lot_id, serial_id, bin_id, quantity, version", ""),
}

STATION_FUNCTIONS = (
    "workcell.receive_lot(bigint, bigint, text, numeric, bigint, date, date, date, text, text, text[])",
    "workcell.move_stock(bigint, bigint, bigint, numeric, bigint)",
    "workcell.scrap_stock(bigint, bigint, numeric, text, bigint)",
    "workcell.adjust_stock(bigint, bigint, numeric, text, bigint)",
    "workcell.record_production(bigint, numeric, bigint, date, text[], jsonb, text)",
    "workcell.set_lot_number_pattern(text, text)",
)
READ_FUNCTIONS = (
    "workcell.plant_today()",
    "workcell.lot_is_held(bigint)",
    "workcell.assert_lot_usable(workcell.lot, text)",
    "workcell.assert_bin_accepts(workcell.lot, bigint)",
    "workcell.lot_may_be_created(text, jsonb, jsonb)",
    "workcell.lot_may_be_released(text, jsonb, jsonb)",
    "workcell.lot_used_up(text, jsonb, jsonb)",
    "workcell.hold_may_close(text, jsonb, jsonb)",
    "workcell.shipment_may_confirm(text, jsonb, jsonb)",
    "workcell.lot_content(bigint)",
    "workcell.lot_summary(bigint)",
    "workcell.hold_content(bigint)",
    "workcell.hold_summary(bigint)",
    "workcell.shipment_content(bigint)",
    "workcell.shipment_summary(bigint)",
)
INTERNAL_FUNCTIONS = (
    "workcell.ledger_take(workcell.lot, bigint, numeric, bigint)",
    "workcell.ledger_put(workcell.lot, bigint, numeric, bigint)",
    "workcell.next_lot_number(text)",
    "workcell.inventory_txn_apply()",
    "workcell.on_hand_written_by_ledger()",
    "workcell.serial_guard()",
    "workcell.materials_master_guard()",
    "workcell.approved_supplier_guard()",
    "workcell.lot_guard()",
    "workcell.hold_guard()",
    "workcell.shipment_guard()",
    "workcell.shipment_line_guard()",
    "workcell.shipment_post()",
)


# Size caps on every free-text column (migration 0010's workcell.add_field_cap: a CHECK
# constraint per column, named in workcell.field_cap so the application names the field and
# its limit before the database refuses).
CAPS = """
SELECT workcell.add_field_cap(t, c, label, n, 'characters')
  FROM (VALUES
    ('workcell.approved_supplier', 'note', 'Approved supplier note', 2000),
    ('workcell.approved_supplier', 'status', 'Approved supplier status', 20),
    ('workcell.bin', 'code', 'Bin code', 40),
    ('workcell.customer', 'address', 'Customer address', 2000),
    ('workcell.customer', 'code', 'Customer code', 40),
    ('workcell.customer', 'name', 'Customer name', 200),
    ('workcell.genealogy_edge', 'unit', 'Genealogy edge unit', 20),
    ('workcell.hold', 'close_comment', 'Hold close comment', 2000),
    ('workcell.hold', 'reason', 'Hold reason', 2000),
    ('workcell.hold', 'source', 'Hold source', 20),
    ('workcell.hold', 'source_ref', 'Hold source ref', 80),
    ('workcell.hold', 'status', 'Hold status', 20),
    ('workcell.inventory_txn', 'kind', 'Inventory txn kind', 20),
    ('workcell.inventory_txn', 'reason', 'Inventory txn reason', 2000),
    ('workcell.inventory_txn', 'station', 'Inventory txn station', 63),
    ('workcell.inventory_txn', 'unit', 'Inventory txn unit', 20),
    ('workcell.lot', 'coa_reference', 'Lot coa reference', 80),
    ('workcell.lot', 'lot_number', 'Lot lot number', 40),
    ('workcell.lot', 'origin', 'Lot origin', 20),
    ('workcell.lot', 'po_reference', 'Lot po reference', 80),
    ('workcell.lot', 'status', 'Lot status', 20),
    ('workcell.lot', 'supplier_lot', 'Lot supplier lot', 80),
    ('workcell.lot', 'unit', 'Lot unit', 20),
    ('workcell.materials_policy', 'lot_number_pattern', 'Materials policy lot number pattern', 40),
    ('workcell.materials_policy', 'plant_timezone', 'Materials policy plant timezone', 64),
    ('workcell.production_record', 'note', 'Production record note', 2000),
    ('workcell.production_record', 'number', 'Production record number', 40),
    ('workcell.serial', 'serial_number', 'Serial serial number', 80),
    ('workcell.serial', 'status', 'Serial status', 20),
    ('workcell.shipment', 'reference', 'Shipment reference', 200),
    ('workcell.shipment', 'shipment_number', 'Shipment shipment number', 40),
    ('workcell.shipment', 'status', 'Shipment status', 20),
    ('workcell.site', 'code', 'Site code', 40),
    ('workcell.site', 'name', 'Site name', 200),
    ('workcell.supplier', 'code', 'Supplier code', 40),
    ('workcell.supplier', 'name', 'Supplier name', 200),
    ('workcell.zone', 'code', 'Zone code', 40),
    ('workcell.zone', 'name', 'Zone name', 200),
    ('workcell.zone', 'zone_type', 'Zone zone type', 40),
    ('workcell.zone_rule', 'lot_status', 'Zone rule lot status', 20),
    ('workcell.zone_rule', 'zone_type', 'Zone rule zone type', 40),
    ('workcell.zone_type', 'description', 'Zone type description', 500),
    ('workcell.zone_type', 'name', 'Zone type name', 200)
  ) AS caps (t, c, label, n)
 ORDER BY t, c;
"""


AREA = Area(
    sql_dir="materials",
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
    run_files(AREA)
    attach_triggers_and_guards(AREA)
    # A confirmed shipment leaves the ledger; named to fire after shipment_transition (AFTER
    # triggers fire in name order), so a missing signature is the refusal shown first.
    row_trigger(
        "shipment",
        "AFTER UPDATE OF status",
        "shipment_post()",
        name="shipment_transition_post",
        condition="NEW.status = 'confirmed' AND OLD.status <> 'confirmed'",
    )
    grant(AREA)
    op.execute("GRANT USAGE ON SEQUENCE workcell.shipment_number_seq TO workcell_app")
    op.execute(CAPS)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
