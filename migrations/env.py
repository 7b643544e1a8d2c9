"""Alembic environment: runs on the connection handed in by kiosk.dbadmin.

Migrations run as the owner role (SET ROLE) so every object is owned by workcell_owner,
under an advisory lock so two stations booting at once cannot migrate concurrently, and
with lock/statement timeouts so a migration never hangs a plant.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from migrations.roles import MIGRATION_LOCK_KEY, OWNER

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `workcell db upgrade`, not the alembic CLI")

connection.execute(text("SET lock_timeout = '10s'"))
connection.execute(text("SET statement_timeout = '10min'"))
connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
try:
    connection.execute(text(f"SET ROLE {OWNER}"))
    connection.execute(text("CREATE SCHEMA IF NOT EXISTS workcell"))
    connection.commit()
    context.configure(
        connection=connection,
        version_table_schema="workcell",
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
finally:
    connection.execute(text("RESET ROLE"))
    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
    connection.commit()
