"""A sampling plan entered by QA by hand is signed (issue 16 item 1: "a missing cell means
QA enters and approves the plan by hand"): a signing rule for the inspection's
'plan_approved' meaning (quality.plan), and completion refused while a manual plan lacks
that signature by the person who entered it (made after the plan, so its content carries
the plan).

Revision ID: 0033
Revises: 0030
Create Date: 2026-12-02

SQL in migrations/sql/quality/plan_signed.sql (CREATE OR REPLACE of 0018's
workcell.inspection_may_complete: grants and the transition rule that names it are kept).
No new error codes: the refusal is the transition guard's.
"""

from alembic import op

from migrations.area import sql_file

revision = "0033"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sql_file("quality", "plan_signed.sql"))


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
