"""Migration 0037 as a plain station login: the record index of the trail and the rows versus
trail comparison, which a station may run (verify runs at stations). A station cannot drop,
rebuild or replace either (only the owner can), names no table but a regulated one to the
comparison (so no query of its own runs with the owner's rights), and learns no content
from it whatever it asks; every refusal leaves the trail and the tables as they were."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.security.attack import Lab, Person, refused, run, sign_in

pytestmark = pytest.mark.requirement("11.10(d)", "11.10(e)")

WATCH = ("audit.entry", "audit.chain", "workcell.item", "workcell.users")
COMPARE = "SELECT * FROM audit.rows_vs_trail(%s, %s, %s, %s)"


@pytest.mark.parametrize(
    "statement",
    [
        "DROP INDEX audit.ix_entry_record",
        "REINDEX INDEX audit.ix_entry_record",
        "ALTER INDEX audit.ix_entry_record RENAME TO ix_gone",
        "CREATE INDEX ix_mine ON audit.entry (id)",
        "CREATE OR REPLACE FUNCTION audit.rows_vs_trail(p_table text, p_full boolean,"
        " p_since_entry bigint, p_limit integer) RETURNS TABLE (record_key text, kind text,"
        " entry_id bigint, column_name text) LANGUAGE sql AS 'SELECT NULL::text, NULL::text,"
        " NULL::bigint, NULL::text WHERE false'",
        "ALTER FUNCTION audit.rows_vs_trail(text, boolean, bigint, integer) SECURITY INVOKER",
    ],
)
@pytest.mark.parametrize("with_token", [False, True])
def test_a_station_cannot_change_the_index_or_the_comparison(
    lab: Lab, connect: Any, operator: Person, statement: str, with_token: bool
) -> None:
    station = connect("station_sec_a")
    token = sign_in(station, operator) if with_token else None
    with lab.untouched(WATCH):
        refused(("42501", "42P01"), station, statement, token=token)


@pytest.mark.parametrize(
    "table",
    [
        "workcell.nosuch",
        "pg_catalog.pg_authid",
        "auth.pepper",
        "workcell.item t, pg_catalog.pg_authid a",
        "(SELECT 1) x; DROP TABLE workcell.item; --",
        "workcell.item WHERE false UNION SELECT rolpassword FROM pg_authid",
    ],
)
def test_the_comparison_takes_only_a_regulated_table(
    lab: Lab, station: psycopg.Connection[Any], table: str
) -> None:
    """The table name is looked up among the regulated tables before anything runs: any
    other name, and anything shaped like more SQL, is refused (WC040)."""
    with lab.untouched(WATCH):
        refused("WC040", station, COMPARE, [table, True, 0, 10])


def test_the_comparison_returns_no_content_whatever_its_arguments(
    lab: Lab, station: psycopg.Connection[Any]
) -> None:
    """Full or from any mark, any limit: a station gets record keys, kinds, entry ids and
    column names of differences — on an intact database, nothing at all — never a value."""
    with lab.untouched(WATCH):
        for full, since, limit in ((True, 0, 1000), (False, 0, 1000), (False, -5, 10**6),
                                   (False, 2**62, 1)):  # fmt: skip
            rows = run(station, COMPARE, ["workcell.users", full, since, limit])
            assert rows == [], rows
        refused("2201W", station, COMPARE, ["workcell.users", True, 0, -1])  # LIMIT < 0
