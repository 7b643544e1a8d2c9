"""A card id can be checked before the administrator re-authenticates (issue 13): the
SECURITY DEFINER function workcell.card_issued(uid) answers yes/no to a session holding
user.administer, so the new-card dialog says "already issued" before the badge and PIN.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02

SQL in migrations/sql/identity/card_issued.sql. No new error codes (WC039 permission,
22023 no card read).
"""

from importlib import resources

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

SIGNATURE = "workcell.card_issued(text)"


def upgrade() -> None:
    sql = resources.files("migrations").joinpath("sql", "identity", "card_issued.sql")
    op.execute(sql.read_text("utf-8"))
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO workcell_app")


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
