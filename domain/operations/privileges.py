"""The privileges a station holds, read from the catalog, against the release's allow-list.

The allow-list (station_privileges.txt, shipped in the package so `workcell validate` runs
on a plant without the test suite) is every privilege workcell_app and PUBLIC hold on the
schemas workcell, audit and auth, reviewed at each release; a grant nobody reviewed, or
one that went missing, is a difference. Regenerated from a fresh database with
`python -m tests.security.privileges URL > domain/operations/station_privileges.txt`.
"""

from __future__ import annotations

from importlib import resources
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


def allowed() -> set[str]:
    """The release's allow-list (comments and blank lines left out)."""
    lines = resources.files("domain.operations").joinpath("station_privileges.txt")
    text = lines.read_text("utf-8").splitlines()
    return {x.strip() for x in text if x.strip() and not x.lstrip().startswith("#")}
