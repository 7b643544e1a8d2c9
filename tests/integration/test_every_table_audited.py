"""Every application table is a regulated table: audit trigger ENABLE ALWAYS, no bypass.

Guards future migrations: a new table in schema `workcell` fails this test until it is
attached to the audit trail (or consciously listed as exempt below, with the reason).
Secrets and operational state of the identity layer (PIN verifiers, challenges, sessions,
counters) live in schema ``auth``, outside ``workcell``: no station or auditor reads them,
and what they decide is recorded in workcell.access_log and workcell.security_event.
"""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import TestDatabase

pytestmark = pytest.mark.pg18

# Tables deliberately outside the audit trail, and why.
EXEMPT = {
    "workcell.alembic_version": "schema bookkeeping written only by migrations",
    "workcell.installation_secret": "badge pepper; no station or auditor can read it",
}


def _tables(conn: psycopg.Connection) -> list[tuple[str, str | None, bool]]:
    return conn.execute(
        """
        SELECT n.nspname || '.' || c.relname,
               (SELECT t.tgenabled::text FROM pg_trigger t
                 WHERE t.tgrelid = c.oid AND t.tgname = 'audit_row'),
               EXISTS (SELECT 1 FROM audit.regulated_table r
                        WHERE r.table_name = n.nspname || '.' || c.relname)
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'r' AND n.nspname = 'workcell'
         ORDER BY 1
        """
    ).fetchall()


def test_every_workcell_table_is_registered_with_an_always_enabled_audit_trigger(
    database: TestDatabase,
) -> None:
    """Each table has trigger audit_row enabled ALWAYS and is registered for verify."""
    with database.connect() as conn:
        rows = _tables(conn)
    missing = [
        f"{name}: trigger={enabled!r} registered={registered}"
        for name, enabled, registered in rows
        if name not in EXEMPT and (enabled != "A" or not registered)
    ]
    assert rows and missing == []
    # migration 0007's tables are regulated like the rest
    new = {"workcell.identity_policy", "workcell.station", "workcell.access_log"}
    assert new <= {name for name, _, registered in rows if registered}


def test_station_cannot_disable_any_audit_trigger(database: TestDatabase) -> None:
    """The station role is refused DISABLE TRIGGER on every regulated table."""
    with database.connect() as conn:
        names = [name for name, _, registered in _tables(conn) if registered]
    for name in names:
        with database.connect() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"ALTER TABLE {name} DISABLE TRIGGER audit_row")
