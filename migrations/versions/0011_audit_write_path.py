"""Audit trail: rows versus trail with keyed secret digests, epochs, the faster write path
(issue 11 items 5, 6, 8). See docs/audit.md.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

The functions are kept whole in migrations/sql/audit/.
"""

from importlib import resources

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _sql(name: str) -> str:
    return resources.files("migrations").joinpath("sql", "audit", name).read_text("utf-8")


# A swapped PIN verifier is the superuser's way to sign as someone else: the verifiers are
# regulated too (their salt and stored key recorded as keyed digests), so verify compares
# them with the trail like every other regulated row.
ATTACH = """
SELECT audit.attach('auth.pin_verifier', ARRAY['pin_id'], ARRAY['salt', 'stored_key']);
"""


def upgrade() -> None:
    for name in ("secrets.sql", "write_path.sql", "rows.sql", "epoch.sql"):
        op.execute(_sql(name))
    op.execute(ATTACH)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
