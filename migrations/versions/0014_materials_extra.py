"""Materials, second part (issue 12 items 2, 4, 5): unit-of-measure conversions per item
used exactly by the ledger, purchase-order lines with receipts refused over the open
quantity, signed retest-date extensions with their history, and the record of labels issued.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

SQL in migrations/sql/materials_extra/ (tables, units, purchasing, ledger, retest, labels,
rules). move_stock and scrap_stock gain a trailing ``p_unit text DEFAULT NULL`` (callers of
0012's signature are unchanged); receive_lot, adjust_stock and record_production keep their
signatures. Every quantity a person enters reaches the ledger unrounded (entered_quantity)
and is converted exactly or refused. See docs/materials.md.

Error codes added here (translated in domain/errors.py):
  WC073 unit conversion refused (no conversion, too many decimals, would need rounding)
  WC074 conversion table rule (own unit, a conversion never changes)
  WC075 receipt over the PO line's open quantity
  WC076 PO line rule (no such line for the item/supplier, closed, amended below received)
  WC077 retest extension refused (date, expiry, signature, status; retest date edited)
  WC078 label issue refused (lot/serial not on the label, copies)
"""

from alembic import op

from migrations.area import Area, install

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

FILES = (
    "tables.sql", "units.sql", "purchasing.sql", "ledger.sql", "retest.sql", "labels.sql",
    "rules.sql",
)  # fmt: skip

TABLES = ("item_unit", "purchase_order_line", "retest_extension", "label_issue")
APPEND_ONLY = ("retest_extension", "label_issue")
GUARDED = (("purchase_order_line", "purchase_order_line"),)

# (table, timing + events, function(args))
TRIGGERS = (
    ("item_unit", "BEFORE INSERT OR UPDATE", "item_unit_guard()"),
    ("purchase_order_line", "BEFORE INSERT OR UPDATE", "po_line_guard()"),
    ("lot", "BEFORE INSERT", "lot_po_receipt()"),
    ("inventory_txn", "BEFORE INSERT", "inventory_txn_convert()"),
)

COLUMNS: dict[str, tuple[str, str]] = {
    "item_unit": ("item_id, unit, factor, decimals, version", "active, version"),
    "purchase_order_line": (
        "po_number, line_no, item_id, supplier_id, ordered_quantity, unit, note, version",
        "ordered_quantity, note, status, version",
    ),
}

STATION_FUNCTIONS = (
    "workcell.move_stock(bigint, bigint, bigint, numeric, bigint, text)",
    "workcell.scrap_stock(bigint, bigint, numeric, text, bigint, text)",
    "workcell.extend_retest(bigint, date, text, text, bigint)",
    "workcell.issue_label(bigint, bigint, integer, text, text, text)",
)
READ_FUNCTIONS = (
    "workcell.to_base_unit(bigint, numeric, text, text)",
    "workcell.po_line_received(bigint)",
)
INTERNAL_FUNCTIONS = (
    "workcell.po_line_for_receipt(text, bigint, bigint)",
    "workcell.inventory_txn_convert()",
    "workcell.item_unit_guard()",
    "workcell.po_line_guard()",
    "workcell.lot_po_receipt()",
)

CAPS = """
SELECT workcell.add_field_cap(t, c, label, n, 'characters')
  FROM (VALUES
    ('workcell.inventory_txn', 'entered_unit', 'Entered unit', 8),
    ('workcell.item_unit', 'unit', 'Unit', 8),
    ('workcell.label_issue', 'destination', 'Label destination', 200),
    ('workcell.label_issue', 'element_string', 'Label element string', 200),
    ('workcell.label_issue', 'format', 'Label format', 8),
    ('workcell.label_issue', 'station', 'Label station', 63),
    ('workcell.purchase_order_line', 'note', 'PO line note', 500),
    ('workcell.purchase_order_line', 'po_number', 'PO number', 40),
    ('workcell.purchase_order_line', 'status', 'PO line status', 20),
    ('workcell.purchase_order_line', 'unit', 'PO line unit', 8),
    ('workcell.retest_extension', 'reason', 'Retest extension reason', 500),
    ('workcell.retest_extension', 'reference', 'Retest result reference', 80)
  ) AS caps (t, c, label, n)
 ORDER BY t, c;
"""


AREA = Area(
    sql_dir="materials_extra",
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
    install(AREA)
    op.execute(CAPS)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
