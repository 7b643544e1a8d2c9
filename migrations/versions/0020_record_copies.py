"""True copies of records (issue 15): workcell.record_copy, one row per batch record /
device history record printed (PDF/A-3b with its JSON twin), with the SHA-256 of the PDF
and of the JSON, the template's hash, who and when (server clock) — written only by
workcell.record_copy_register (SECURITY DEFINER, permission record.copy), append-only and
audited. `workcell ebr verify FILE --database` looks the PDF's digest up here.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02

SQL in migrations/sql/records/. Error codes (domain/errors.py):
  WC140 record copy refused (what it names is unknown, digests malformed)
  WC141 this PDF is registered already
"""

from alembic import op

from migrations.area import Area, install

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

FILES = ("tables.sql", "register.sql")
REGISTER = "workcell.record_copy_register(text, text, bigint, bigint, text, text, text, integer)"


CAPS = """
SELECT workcell.add_field_cap(t, c, label, n, 'characters')
  FROM (VALUES
    ('workcell.record_copy', 'json_sha256', 'Record copy JSON SHA-256', 64),
    ('workcell.record_copy', 'pdf_sha256', 'Record copy PDF SHA-256', 64),
    ('workcell.record_copy', 'record_key', 'Record copy key', 80),
    ('workcell.record_copy', 'record_type', 'Record copy type', 20),
    ('workcell.record_copy', 'station', 'Record copy station', 63),
    ('workcell.record_copy', 'template_sha256', 'Record copy template SHA-256', 64)
  ) AS caps (t, c, label, n)
 ORDER BY t, c;
"""


AREA = Area(
    sql_dir="records",
    files=FILES,
    tables=("record_copy",),
    append_only=("record_copy",),
    station_functions=(REGISTER,),
)


def upgrade() -> None:
    install(AREA)
    op.execute(CAPS)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
