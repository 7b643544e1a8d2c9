"""Cluster roles and database-level grants.

Roles are cluster-wide, so they are created once, idempotently, under an advisory lock
(never per test). Object grants live in the migrations beside the objects they cover.
"""

from __future__ import annotations

from typing import Any

OWNER = "workcell_owner"
APP = "workcell_app"
AUDITOR = "workcell_auditor"
ROLES = (OWNER, APP, AUDITOR)

# pg_advisory_lock keys are per database; roles are per cluster, so the DO blocks below
# also tolerate a concurrent creator (duplicate_object) in another database.
ROLE_LOCK_KEY = 0x5743_524F  # "WCRO"
MIGRATION_LOCK_KEY = 0x5743_4D49  # "WCMI"

# Time-outs of every station login in each database it serves (ALTER ROLE ... IN DATABASE:
# per database, so another database on the same server keeps its own). A station can lift
# them with SET; the watchdog (workcell.end_stuck_station_transactions, migration 0010) is
# what it cannot lift. They give a clear error early; docs/admin.md#station-limits.
STATION_TIMEOUTS = (
    ("statement_timeout", "30s"),
    ("lock_timeout", "10s"),
    ("idle_in_transaction_session_timeout", "60s"),
)
# What the owner needs for the watchdog: end another role's backend, see its transaction.
WATCHDOG_ROLES = ("pg_signal_backend", "pg_read_all_stats")

_CREATE_ROLE = """
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
    CREATE ROLE {role} NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END $$;
"""


def can_manage_roles(cursor: Any) -> bool:
    row = cursor.execute(
        "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    return bool(row and row[0])


def init_roles(cursor: Any, database: str) -> None:
    """Create the three group roles and the database-level grants. Idempotent.

    ``cursor`` is a DB-API cursor (psycopg) on an autocommit or transactional connection
    of a superuser or a CREATEROLE role.
    """
    cursor.execute("SELECT pg_advisory_lock(%s)", (ROLE_LOCK_KEY,))
    try:
        for role in ROLES:
            cursor.execute(_CREATE_ROLE.format(role=role))
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        if not (row and row[0]):
            # A CREATEROLE admin must be able to SET ROLE to the owner to run migrations.
            cursor.execute(f"GRANT {OWNER} TO current_user")
        db = _ident(database)
        cursor.execute(f"GRANT CONNECT, CREATE, TEMPORARY ON DATABASE {db} TO {OWNER}")
        cursor.execute(f"GRANT CONNECT ON DATABASE {db} TO {APP}, {AUDITOR}")
        cursor.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        # A station may own nothing, temporary objects included: no table or function of its
        # own to hang a trigger on (the audit writer only answers triggers).
        cursor.execute(f"REVOKE TEMPORARY ON DATABASE {db} FROM PUBLIC")
        cursor.execute("SHOW server_version_num")
        if int(cursor.fetchone()[0]) >= 150000 and row and row[0]:
            # owner-side SECURITY DEFINER functions declare the system actor in a SET clause
            cursor.execute(f"GRANT SET ON PARAMETER workcell.system_actor TO {OWNER}")
        if row and row[0]:
            # Only a superuser may grant these; the watchdog refuses to run without them (WC051).
            for granted in WATCHDOG_ROLES:
                cursor.execute(f"GRANT {granted} TO {OWNER}")
            # stations made before these time-outs existed (`station add` sets them itself)
            cursor.execute(
                "SELECT r.rolname FROM pg_roles r WHERE r.rolcanlogin AND NOT r.rolsuper"
                " AND pg_has_role(r.oid, %s, 'MEMBER') AND r.rolname <> %s ORDER BY 1",
                (APP, OWNER),
            )
            for (station,) in cursor.fetchall():
                set_station_timeouts(cursor, station, database)
    finally:
        cursor.execute("SELECT pg_advisory_unlock(%s)", (ROLE_LOCK_KEY,))


def create_station_role(cursor: Any, role: str, password: str | None) -> bool:
    """Create (or re-grant) a station login role as a member of the app role.

    Returns True when the role was created. Refuses an existing role that is not a station
    (e.g. a superuser or a person's login), so a typo cannot hand app rights to it.
    """
    _check_ident(role)
    cursor.execute("SELECT pg_advisory_lock(%s)", (ROLE_LOCK_KEY,))
    try:
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = %s",
            (role,),
        )
        row = cursor.fetchone()
        created = row is None
        if created:
            cursor.execute(f"CREATE ROLE {role} LOGIN INHERIT")
        elif row[0] or row[1]:
            raise ValueError(f"role {role} is privileged; a station must be a plain login")
        # INHERIT so the station acts with the app role's privileges and nothing else.
        cursor.execute(f"ALTER ROLE {role} LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE")
        cursor.execute("SHOW server_version_num")
        version = int(cursor.fetchone()[0])
        # From PostgreSQL 16 inheritance is a property of each membership grant.
        inherit = " WITH INHERIT TRUE" if version >= 160000 else ""
        cursor.execute(f"GRANT {APP} TO {role}{inherit}")
        if password:
            cursor.execute(f"ALTER ROLE {role} PASSWORD %s".replace("%s", _literal(password)))
        cursor.execute("SELECT current_database()")
        set_station_timeouts(cursor, role, str(cursor.fetchone()[0]))
        return created
    finally:
        cursor.execute("SELECT pg_advisory_unlock(%s)", (ROLE_LOCK_KEY,))


def set_station_timeouts(cursor: Any, role: str, database: str) -> None:
    """The station login's time-outs in ``database`` (idempotent: ALTER ROLE ... SET)."""
    _check_ident(role)
    for name, value in STATION_TIMEOUTS:
        cursor.execute(
            f"ALTER ROLE {role} IN DATABASE {_ident(database)} SET {name} = {_literal(value)}"
        )


def _check_ident(name: str) -> None:
    if not name or not all(c.isalnum() or c == "_" for c in name) or name[0].isdigit():
        raise ValueError(f"invalid role name {name!r}: letters, digits and _ only")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
