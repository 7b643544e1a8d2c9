"""Limits a station cannot lift: time-outs, watchdog, sealer try-lock, size caps (issue 11 item 4).

Reserved: filled in by the work in progress on issue 11 (a no-op until then).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
