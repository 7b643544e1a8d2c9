"""What a station login can do to the database itself: create objects (a temporary trigger
function would reach audit.append_entry at trigger depth 1), take locks that stall others,
change role or replication mode, read server files, grant itself privileges."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.security.attack import Lab, refused, run

pytestmark = pytest.mark.requirement("11.10(d)", "11.10(g)")

STATEMENTS = {
    "temp table": "CREATE TEMP TABLE evil (x int)",
    "temp function": "CREATE FUNCTION pg_temp.evil() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "temp view": "CREATE TEMP VIEW evil AS SELECT 1",
    "table in workcell": "CREATE TABLE workcell.evil (x int)",
    "table in public": "CREATE TABLE public.evil (x int)",
    "function in public": "CREATE FUNCTION public.evil() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "function in workcell": (
        "CREATE FUNCTION workcell.evil() RETURNS int LANGUAGE sql AS 'SELECT 1'"
    ),
    "schema": "CREATE SCHEMA evil",
    "extension": "CREATE EXTENSION IF NOT EXISTS {extension}",
    "trigger on item": (
        "CREATE TRIGGER evil AFTER INSERT ON workcell.item"
        " FOR EACH ROW EXECUTE FUNCTION audit.record_change()"
    ),
    "disable triggers": "ALTER TABLE workcell.item DISABLE TRIGGER ALL",
    "alter sign_in": "ALTER FUNCTION workcell.sign_in(bigint, text) RESET ALL",
    "replace session_actor": (
        "CREATE OR REPLACE FUNCTION workcell.session_actor(p_token text) RETURNS bigint"
        " LANGUAGE sql AS 'SELECT 1::bigint'"
    ),
    "set role owner": "SET ROLE workcell_owner",
    "set session authorization": "SET SESSION AUTHORIZATION postgres",
    "replication role": "SET session_replication_role = replica",
    "create role": "CREATE ROLE evil LOGIN SUPERUSER",
    "alter own role": "ALTER ROLE CURRENT_USER SUPERUSER",
    "read server file": "SELECT pg_read_file('/etc/passwd')",
    "copy to server file": "COPY (SELECT 1) TO '/tmp/workcell-evil'",
    "copy from program": "COPY workcell.item FROM PROGRAM 'true'",
    "large object import": "SELECT lo_import('/etc/passwd')",
}


@pytest.mark.parametrize("statement", sorted(STATEMENTS))
def test_station_cannot_change_the_database(
    lab: Lab, station: psycopg.Connection[Any], statement: str
) -> None:
    """A station cannot create objects (temporary ones included), alter the schema, change
    role or replication mode, or touch server files (42501), and nothing changes."""
    sql = STATEMENTS[statement]
    if "{extension}" in sql:  # one the server has (the embedded one ships only vector)
        row = station.execute(
            "SELECT name FROM pg_available_extensions WHERE installed_version IS NULL"
            " AND name IN ('pgcrypto', 'hstore', 'citext', 'vector') ORDER BY name LIMIT 1"
        ).fetchone()
        assert row is not None
        sql = sql.format(extension=row[0])
    with lab.untouched():
        refused("42501", station, sql)


LOCKED_TABLES = [
    "workcell.users",
    "workcell.user_role",
    "workcell.user_pin",
    "workcell.badge",
    "workcell.security_event",
    "workcell.identity_policy",
    "workcell.station",
    "workcell.access_log",
    "workcell.signature",
    "audit.entry",
]
MODES = ["SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("table", LOCKED_TABLES)
def test_station_cannot_lock_identity_tables(
    station: psycopg.Connection[Any], table: str, mode: str
) -> None:
    """A station cannot take a lock on an identity or audit table that would stall sign-in
    or the audit trail for everyone (42501)."""
    refused("42501", station, f"LOCK TABLE {table} IN {mode} MODE")


@pytest.mark.parametrize("table", LOCKED_TABLES)
def test_station_cannot_lock_identity_rows(station: psycopg.Connection[Any], table: str) -> None:
    """A station cannot lock identity or audit rows either (SELECT ... FOR SHARE: 42501)."""
    refused("42501", station, f"SELECT 1 FROM {table} FOR KEY SHARE")


def test_granting_itself_privileges_changes_nothing(
    lab: Lab, station: psycopg.Connection[Any]
) -> None:
    """A station's GRANT on tables and functions it does not own grants nothing: the access
    lists stay as they were and the writes stay refused (42501)."""
    acl = (
        "SELECT c.relname, c.relacl::text FROM pg_class c JOIN pg_namespace n ON n.oid ="
        " c.relnamespace WHERE n.nspname IN ('workcell', 'audit', 'auth') ORDER BY 1"
    )
    before = run(station, acl)
    with lab.untouched():
        for grant in (
            "GRANT INSERT, UPDATE ON workcell.users, workcell.user_role TO CURRENT_USER",
            "GRANT SELECT ON workcell.badge TO PUBLIC",
            "GRANT EXECUTE ON FUNCTION workcell.record_security_event(text, bigint, text, text)"
            " TO CURRENT_USER",
        ):
            try:
                run(station, grant)
            except psycopg.Error as err:
                assert err.sqlstate == "42501", err
        refused(
            "42501",
            station,
            "INSERT INTO workcell.user_role (user_id, role) VALUES (1, 'admin')",
        )
    assert run(station, acl) == before
