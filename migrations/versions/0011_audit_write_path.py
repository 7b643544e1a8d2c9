"""Audit trail: epochs, rows versus trail, the faster write path (issue 11 items 5, 6, 8).

Reserved: filled in by the work in progress on issue 11 (a no-op until then).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
