"""True copies of single records (issue 15 item 3): workcell.record_copy names its record
(record_type, record_id) for items, BOM/routing revisions, ECOs, lots, deviations,
inspections, NCRs and CAPAs as well as work orders (batch records), keeps the record's
content hash at copy time, and may be a JSON twin alone (format 'json'). One register
function for every kind (replaces 0020's): the key, work order, lot and content hash are
the database's.

Revision ID: 0024
Revises: 0020 (the lead relinks the chain at merge)
Create Date: 2026-12-02

SQL in migrations/sql/records/single.sql. Error codes (domain/errors.py):
  WC140 record copy refused (malformed digests) — as in 0020
  WC141 this copy is registered already — as in 0020
  WC180 no true copy of this kind of record (or of this format)
  WC181 there is no such record
"""

from importlib import resources

from alembic import op

revision = "0024"
down_revision = "0020"
branch_labels = None
depends_on = None

REGISTER = "workcell.record_copy_register(text, bigint, text, text, text, text, integer)"

CAPS = """
SELECT workcell.add_field_cap(t, c, label, n, 'characters')
  FROM (VALUES
    ('workcell.record_copy', 'content_hash', 'Record copy content SHA-256', 64),
    ('workcell.record_copy', 'format', 'Record copy format', 4)
  ) AS caps (t, c, label, n)
 ORDER BY t, c;
"""


def upgrade() -> None:
    sql = resources.files("migrations").joinpath("sql", "records", "single.sql")
    op.execute(sql.read_text("utf-8"))
    op.execute(f"REVOKE ALL ON FUNCTION {REGISTER} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {REGISTER} TO workcell_app")
    op.execute(CAPS)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
