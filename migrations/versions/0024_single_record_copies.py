"""True copies of single records (issue 15 item 3): workcell.record_copy names its record
(record_type, record_id) for items, BOM/routing revisions, ECOs, lots, deviations,
inspections, NCRs and CAPAs as well as work orders (batch records), keeps the record's
content hash at copy time, and may be a JSON twin alone (format 'json'). One register
function for every kind (replaces 0020's): the key, work order, lot and content hash are
the database's.

Revision ID: 0024
Revises: 0028
Create Date: 2026-12-02

SQL in migrations/sql/records/single.sql. Error codes (domain/errors.py):
  WC140 record copy refused (malformed digests) — as in 0020
  WC141 this copy is registered already — as in 0020
  WC180 no true copy of this kind of record (or of this format)
  WC181 there is no such record
"""

from migrations.area import Area, add_caps, install

revision = "0024"
down_revision = "0028"
branch_labels = None
depends_on = None

REGISTER = "workcell.record_copy_register(text, bigint, text, text, text, text, integer)"

AREA = Area(sql_dir="records", files=("single.sql",), station_functions=(REGISTER,))


def upgrade() -> None:
    install(AREA)
    add_caps(
        [
            ("record_copy", "content_hash", "Record copy content SHA-256", 64),
            ("record_copy", "format", "Record copy format", 4),
        ]
    )


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
