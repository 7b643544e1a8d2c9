"""Component scans in another unit than the lot's (issue 14): workcell.wo_consume converts
the quantity entered (the BOM's g for a resin lot counted in kg) through the item's
unit-of-measure conversions of migration 0014, exactly or not at all; the ledger, the
genealogy edge and the step entry hold the lot's unit, the ledger row and the step entry
also what was entered (workcell.step_entry.entered_quantity / entered_unit).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02

SQL in migrations/sql/work_orders/consume_units.sql (wo_consume replaced in place: same
signature, so the station's EXECUTE grant stays). Error codes (domain/errors.py):
  WC160 a serial is consumed as one of the lot's unit, not in another unit
A conversion refused (none defined, too many decimals, would need rounding) stays WC073.
"""

from alembic import op

from migrations.area import add_caps, sql_file

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sql_file("work_orders", "consume_units.sql"))
    add_caps([("step_entry", "entered_unit", "Step entry entered unit", 8)])


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
