"""Scratch databases for the benchmarks: the test suite's (tests/conftest.py: a database of
its own on the test server, migrated, the test station registered), with the first
administrator created by the bootstrap function and a PIN of their own, so a benchmark
signs people in through the real functions.

One benchmark station makes every sign-in and signature of the run: the per-station limits
a plant sets for one kiosk (look-ups and failures in a window) are raised, or the run would
be blocked half-way. The test database's cheap argon2id is kept unless ``shipped_argon2``:
then the policy row gets the shipped cost back (m=19 MiB, t=2, p=1) before anyone has a
PIN, so every PIN check costs what it costs on the floor.
"""

from __future__ import annotations

import psycopg

from tests.conftest import (
    TEST_ADMIN,
    TestDatabase,
    bootstrap_test_admin,
    create_test_database,
    drop_test_database,
)
from tests.sessions import as_system

__all__ = ["TEST_ADMIN", "scratch_database"]

_LIMITS = (
    "UPDATE workcell.identity_policy SET station_lookup_limit = 100000,"
    " station_failure_limit = 1000, version = version + 1 WHERE id = 1"
)
SHIPPED_ARGON2 = (19456, 2, 1)
_SHIPPED_COST = (
    "UPDATE workcell.identity_policy SET argon2_memory_kib = %s, argon2_time_cost = %s,"
    " argon2_parallelism = %s, version = version + 1 WHERE id = 1"
)


def scratch_database(
    prefix: str, *, shipped_argon2: bool = False, admin: str = TEST_ADMIN
) -> TestDatabase:
    """Create, prepare and return a scratch database (drop it with drop_test_database);
    ``admin`` is the first person (their PIN remembered for tests.sessions.session_of)."""
    db = create_test_database(prefix)
    try:
        with psycopg.connect(db.dsn("admin")) as conn:
            as_system(conn, reason="benchmark database: one station makes every attempt")
            conn.execute(_LIMITS)
            if shipped_argon2:
                # The cost is the server's policy now (migration default: OWASP's
                # m=19 MiB, t=2, p=1); the test databases lower it.
                conn.execute(_SHIPPED_COST, SHIPPED_ARGON2)
            conn.commit()
        bootstrap_test_admin(db, admin, admin.replace("_", " ").title())
    except BaseException:
        drop_test_database(db)
        raise
    return db
