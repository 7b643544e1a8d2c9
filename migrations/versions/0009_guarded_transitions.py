"""Guarded transitions, server-only facts, least privilege (issue 11 items 1-3).

Reserved: filled in by the work in progress on issue 11 (a no-op until then).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
