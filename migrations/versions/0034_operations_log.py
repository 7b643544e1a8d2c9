"""The operations log (issue 17 item 4): workcell.operation_event records every `workcell db
backup` (file, SHA-256 of the dump and its manifest, chain head) and every `db restore`
(what was restored from, same or new installation, epoch, verify result) in the database
concerned, audited and append-only; the time and login are the server's.

Revision ID: 0034
Revises: 0024
Create Date: 2026-12-02

SQL in migrations/sql/operations/log.sql. No error codes of its own (stations cannot write).
"""

from alembic import op

from migrations.area import Area, add_caps, install

revision = "0034"
down_revision = "0024"
branch_labels = None
depends_on = None

AREA = Area(
    sql_dir="operations",
    files=("log.sql",),
    tables=("operation_event",),
    append_only=("operation_event",),
    internal_functions=("workcell.operation_event_facts()",),
    triggers=(("operation_event", "BEFORE INSERT", "operation_event_facts()"),),
)


def upgrade() -> None:
    install(AREA)
    op.execute("SELECT set_config('workcell.system_actor', 'system', true)")
    op.execute("SELECT set_config('workcell.reason', 'migration 0034: operations log', true)")
    add_caps(
        [
            ("operation_event", "kind", "Operation kind", 20),
            ("operation_event", "db_login", "Operation database login", 63),
            ("operation_event", "os_user", "Operation OS user", 100),
            ("operation_event", "host", "Operation host", 255),
        ]
    )
    add_caps([("operation_event", "detail", "Operation detail", 20000)], unit="bytes")


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
