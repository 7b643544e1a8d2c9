"""Every privilege a station holds, read from the catalog (for the allow-list test)."""

from __future__ import annotations

from typing import Any

import psycopg

from domain.operations.privileges import SCHEMAS, held

__all__ = ["SCHEMAS", "direct", "held"]


def direct(conn: psycopg.Connection[Any], role: str) -> list[str]:
    """Privileges granted to ``role`` itself (not through a group role or PUBLIC)."""
    rows = conn.execute(
        "SELECT c.oid::regclass::text || ': ' || a.privilege_type"
        " FROM pg_class c, aclexplode(c.relacl) a"
        " WHERE a.grantee = (SELECT oid FROM pg_roles WHERE rolname = %s)"
        " UNION SELECT p.oid::regprocedure::text || ': EXECUTE'"
        " FROM pg_proc p, aclexplode(p.proacl) a"
        " WHERE a.grantee = (SELECT oid FROM pg_roles WHERE rolname = %s)",
        (role, role),
    ).fetchall()
    return sorted(str(r[0]) for r in rows)


if __name__ == "__main__":  # the list for domain/operations/station_privileges.txt (after review)
    import sys

    with psycopg.connect(sys.argv[1]) as connection:
        print("\n".join(held(connection, "workcell_app")))
