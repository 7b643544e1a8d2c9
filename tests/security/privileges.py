"""Every privilege a station holds, read from the catalog (for the allow-list test)."""

from __future__ import annotations

from typing import Any

import psycopg

SCHEMAS = ("workcell", "audit", "auth")

# Stations act through workcell_app (their logins are members); PUBLIC's grants count too.
_HELD = """
WITH grantee AS (SELECT oid FROM pg_roles WHERE rolname = %(role)s UNION ALL SELECT 0)
SELECT 'schema ' || n.nspname || ': ' || a.privilege_type
  FROM pg_namespace n, aclexplode(n.nspacl) a
 WHERE n.nspname = ANY(%(schemas)s) AND a.grantee IN (SELECT oid FROM grantee)
UNION
SELECT CASE c.relkind WHEN 'S' THEN 'sequence ' ELSE 'table ' END
       || n.nspname || '.' || c.relname || ': ' || a.privilege_type
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
 WHERE n.nspname = ANY(%(schemas)s) AND a.grantee IN (SELECT oid FROM grantee)
UNION
SELECT 'column ' || n.nspname || '.' || c.relname || '.' || t.attname || ': ' || a.privilege_type
  FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(t.attacl) a
 WHERE n.nspname = ANY(%(schemas)s) AND a.grantee IN (SELECT oid FROM grantee)
   AND NOT t.attisdropped
UNION
SELECT 'execute ' || p.oid::regprocedure::text
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = ANY(%(schemas)s) AND p.prorettype <> 'trigger'::regtype
   AND has_function_privilege(%(role)s, p.oid, 'EXECUTE')
UNION
SELECT 'member of ' || r.rolname
  FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
 WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = %(role)s)
ORDER BY 1
"""


def held(conn: psycopg.Connection[Any], role: str) -> list[str]:
    rows = conn.execute(_HELD, {"role": role, "schemas": list(SCHEMAS)}).fetchall()
    return [str(r[0]) for r in rows]


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


if __name__ == "__main__":  # print the list for station_privileges.txt (after review)
    import sys

    with psycopg.connect(sys.argv[1]) as connection:
        print("\n".join(held(connection, "workcell_app")))
