"""The audit tables are append-only for everyone: stations, the owner, the auditor.

Each test attacks through a plain psycopg connection, as someone holding the station's (or
the owner's) credentials would. The superuser is the one role that can get past these
guards; test_audit_tamper.py shows that it does not go unnoticed.
"""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import TestDatabase
from tests.integration.audit_fixtures import act, write_items

pytestmark = pytest.mark.pg18

AUDIT_TABLES = ("audit.entry", "audit.chain", "audit.seal")
ATTACKS = {
    "audit.entry": ("UPDATE audit.entry SET reason = 'x'", "DELETE FROM audit.entry"),
    "audit.chain": ("UPDATE audit.chain SET entry_hash = 'x'", "DELETE FROM audit.chain"),
    "audit.seal": ("UPDATE audit.seal SET head_hash = 'x'", "DELETE FROM audit.seal"),
}


@pytest.fixture(scope="module", autouse=True)
def sealed_rows(database: TestDatabase) -> None:
    """Make sure every audit table has rows, so a refused UPDATE/DELETE had something to hit."""
    write_items(database, 2, "PRIV", updates=1)
    with database.connect(autocommit=True) as conn:
        conn.execute("SELECT audit.seal()")


def _refused(conn: psycopg.Connection, sql: str) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as err:
        conn.execute(sql)
    conn.rollback()
    return err.value


@pytest.mark.parametrize("table", AUDIT_TABLES)
def test_station_cannot_update_or_delete_audit_rows(database: TestDatabase, table: str) -> None:
    """A station (member of workcell_app) has no UPDATE/DELETE on any audit table."""
    with database.connect() as conn:
        for sql in ATTACKS[table]:
            assert _refused(conn, sql).sqlstate == "42501"


@pytest.mark.parametrize("table", AUDIT_TABLES)
def test_station_cannot_truncate_or_insert(database: TestDatabase, table: str) -> None:
    """TRUNCATE and direct INSERT are refused too: only the trigger and audit.seal() write."""
    with database.connect() as conn:
        assert _refused(conn, f"TRUNCATE {table}").sqlstate == "42501"
        insert = f"INSERT INTO {table} SELECT * FROM {table} LIMIT 1"
        assert _refused(conn, insert).sqlstate == "42501"


def test_station_cannot_disable_the_audit_trigger(database: TestDatabase) -> None:
    """Only the owner may alter a regulated table; a station cannot switch its trigger off."""
    with database.connect() as conn:
        for sql in (
            "ALTER TABLE workcell.item DISABLE TRIGGER audit_row",
            "ALTER TABLE workcell.item ENABLE TRIGGER audit_row",
            "ALTER TABLE audit.entry DISABLE TRIGGER append_only",
        ):
            assert _refused(conn, sql).sqlstate == "42501"


@pytest.mark.parametrize("table", AUDIT_TABLES)
def test_owner_cannot_update_delete_or_truncate(database: TestDatabase, table: str) -> None:
    """Even the owner of the tables is refused by the ENABLE ALWAYS append-only triggers."""
    with database.connect("admin") as conn:
        for sql in (*ATTACKS[table], f"TRUNCATE {table}"):
            conn.execute("SET ROLE workcell_owner")
            assert _refused(conn, sql).sqlstate == "WC005"


def test_owner_under_replica_role_is_still_refused(database: TestDatabase) -> None:
    """session_replication_role = replica skips ordinary triggers, not ENABLE ALWAYS ones."""
    with database.connect("admin") as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET ROLE workcell_owner")
        assert _refused(conn, "DELETE FROM audit.chain").sqlstate == "WC005"


def test_station_may_seal_without_rights_on_the_audit_tables(database: TestDatabase) -> None:
    """audit.seal() is SECURITY DEFINER: a station chains entries it could never write itself."""
    write_items(database, 1, "SEALME")
    with database.connect(autocommit=True) as conn:
        sealed, head_position, head_hash, _low, _seal = conn.execute(
            "SELECT * FROM audit.seal()"
        ).fetchone()  # type: ignore[misc]
        assert sealed >= 1
        assert conn.execute(
            "SELECT chain_hash FROM audit.chain WHERE position = %s", (head_position,)
        ).fetchone() == (head_hash,)


def test_auditor_may_read_but_not_seal(database: TestDatabase) -> None:
    """The auditor reads the trail and the chain but writes nothing, not even a seal."""
    with database.connect("admin") as conn:
        conn.execute("SET ROLE workcell_auditor")
        assert conn.execute("SELECT count(*) FROM audit.chain").fetchone()[0] > 0  # type: ignore[index]
        assert _refused(conn, "SELECT audit.seal()").sqlstate == "42501"


def test_seal_refuses_a_repeatable_read_transaction(database: TestDatabase) -> None:
    """A REPEATABLE READ snapshot could miss the previous sealer's rows: refused (WC007)."""
    with database.connect() as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        act(conn, database)
        assert _refused(conn, "SELECT audit.seal()").sqlstate == "WC007"


def test_auditor_can_verify_the_trail(database: TestDatabase) -> None:
    """Verify needs only read rights: the read-only auditor role can run every check."""
    from sqlalchemy import create_engine

    from domain.audit.verify import verify

    engine = create_engine(database.admin, connect_args={"options": "-c role=workcell_auditor"})
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT current_user").scalar() == "workcell_auditor"
        report = verify(engine, grace_s=3600)
    finally:
        engine.dispose()
    assert report.entries > 0
    assert [p for p in report.problems if p.kind == "trigger"] == []
