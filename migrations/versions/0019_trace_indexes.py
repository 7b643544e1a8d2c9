"""Trace: the genealogy edge indexes carry what a trace returns (issue 12 benchmark).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02

A trace reads every edge of the lots it reached: with quantity, unit and serials in the
index those reads are index-only instead of one heap visit per edge (the edge table is
append-only, so the wider index costs nothing on update). The same two indexes serve the
recursive walk. Measured in docs/BENCHMARKS.md "Trace".
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

INCLUDE = "quantity, unit, parent_serial_id, child_serial_id"


def upgrade() -> None:
    op.execute(f"""
CREATE INDEX ix_genealogy_edge_parent_cover ON workcell.genealogy_edge (parent_lot_id)
    INCLUDE (child_lot_id, {INCLUDE});
CREATE INDEX ix_genealogy_edge_child_cover ON workcell.genealogy_edge (child_lot_id)
    INCLUDE (parent_lot_id, {INCLUDE});
DROP INDEX workcell.ix_genealogy_edge_parent;
DROP INDEX workcell.ix_genealogy_edge_child;
""")


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
