"""Verify without sorting the trail (issue 11 item 8): the record index of audit.entry
carries each entry's transaction and operation, so rows versus trail finds the latest entry
of every record by a backward index-only scan, and reads an after-image only for the rows
whose content it compares. Same results as 0011's function; see docs/audit.md#verify.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-04

SQL in migrations/sql/audit/latest.sql (CREATE OR REPLACE of audit.rows_vs_trail: its
grants are kept). No new error codes.
"""

from alembic import op

from migrations.area import sql_file

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sql_file("audit", "latest.sql"))


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
