"""Materials on the floor (issue 12 remainders): counted items in whole units, the PO
pre-check a receiving station asks before anything is confirmed, scrap and adjustment of a
held lot refused, and the index the forward trace's shipments need.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-02

SQL in migrations/sql/materials_floor/ (units, purchasing, ledger, trace). See
docs/materials.md.

- ``to_base_unit`` (every ledger writer's exact conversion, receipts and production
  included) refuses a fractional quantity of an item counted in 'ea', and a fractional
  quantity entered in 'ea'; CHECK constraints ``ck_*_whole_each`` keep the rule on lot,
  inventory_txn, genealogy_edge, purchase_order_line and (by trigger) shipment_line for
  any writer. Existing rows that break it leave the constraint NOT VALID (reported by a
  NOTICE) rather than failing the upgrade: new rows are checked either way.
- ``check_po_receipt(po, item, supplier, quantity)`` (SECURITY DEFINER, read-only,
  ``lot.receive``): the PO line the reference names, or the refusal the receipt would get;
  the lot's trigger and this function share ``po_receipt_refusal``.
- ``inventory_txn_not_held``: a scrap or adjustment of a lot with an open hold is refused
  (WC062), under the lot's lock.
- ``ix_inventory_txn_shipment_line``: the trace's shipped-line postings by index.

Error codes (domain/errors.py):
  WC220 a counted ('ea') quantity that is not a whole number
"""

from alembic import op

from migrations.area import Area, attach_triggers_and_guards, grant, run_files

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

FILES = ("units.sql", "purchasing.sql", "ledger.sql", "trace.sql")

# (table, timing + events, function(args))
TRIGGERS = (
    ("shipment_line", "BEFORE INSERT OR UPDATE", "shipment_line_whole_each()"),
    ("inventory_txn", "BEFORE INSERT", "inventory_txn_not_held()"),
)

# table -> the CHECK expression: a quantity stored in 'ea' is whole
WHOLE_EACH = {
    "lot": "unit <> 'ea' OR quantity = trunc(quantity)",
    "inventory_txn": "unit <> 'ea' OR quantity = trunc(quantity)",
    "genealogy_edge": "unit <> 'ea' OR quantity = trunc(quantity)",
    "purchase_order_line": "unit <> 'ea' OR ordered_quantity = trunc(ordered_quantity)",
}

STATION_FUNCTIONS = ("workcell.check_po_receipt(text, bigint, bigint, numeric)",)
INTERNAL_FUNCTIONS = (
    "workcell.po_receipt_refusal(workcell.purchase_order_line, bigint, bigint, text, numeric)",
    "workcell.shipment_line_whole_each()",
    "workcell.inventory_txn_not_held()",
)


AREA = Area(
    sql_dir="materials_floor",
    files=FILES,
    station_functions=STATION_FUNCTIONS,
    internal_functions=INTERNAL_FUNCTIONS,
    triggers=TRIGGERS,
)


def _whole_each() -> None:
    for table, check in WHOLE_EACH.items():
        name = f"ck_{table}_whole_each"
        op.execute(f"ALTER TABLE workcell.{table} ADD CONSTRAINT {name} CHECK ({check}) NOT VALID")
        # validated where the history allows it; a plant with fractional counts keeps them
        # (they are its records) and is told so
        op.execute(f"""
DO $$
BEGIN
    ALTER TABLE workcell.{table} VALIDATE CONSTRAINT {name};
EXCEPTION WHEN check_violation THEN
    RAISE NOTICE 'workcell.{table} holds fractional ea quantities from before migration 0028: {name} checks new rows only';
END $$""")


def upgrade() -> None:
    run_files(AREA)
    attach_triggers_and_guards(AREA)
    _whole_each()
    grant(AREA)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
