"""Admin operations on the database: roles, migrations, stations. Run on the admin URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kiosk.database import libpq_url
from migrations.roles import (
    OWNER,
    ROLE_LOCK_KEY,
    WATCHDOG_ROLES,
    can_manage_roles,
    create_station_role,
    init_roles,
)


def _plain_dsn(url: str) -> str:
    return libpq_url(url)


def alembic_config() -> Config:
    """Alembic config pointing at the installed `migrations` package (works from a wheel)."""
    location = Path(str(resources.files("migrations")))
    cfg = Config()
    cfg.set_main_option("script_location", str(location))
    cfg.set_main_option("path_separator", "os")
    return cfg


@contextmanager
def cluster_role_lock(admin_url: str) -> Iterator[None]:
    """Roles are cluster-wide but advisory locks are per database: hold the role lock in the
    maintenance database too, so role changes from two databases cannot collide."""
    try:
        conn = psycopg.connect(libpq_url(admin_url, "postgres"), autocommit=True)
    except psycopg.OperationalError:
        yield  # no access to the maintenance database: the per-database lock must do
        return
    with conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (ROLE_LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (ROLE_LOCK_KEY,))


def init_roles_on(admin_url: str) -> None:
    database = make_url(admin_url).database or "postgres"
    with (
        cluster_role_lock(admin_url),
        psycopg.connect(_plain_dsn(admin_url), autocommit=True) as conn,
        conn.cursor() as cur,
    ):
        init_roles(cur, database)


def watchdog_rights(admin_url: str) -> bool:
    """Whether the owner holds what the station watchdog needs (granted by init-roles when it
    runs as a superuser): pg_signal_backend and pg_read_all_stats."""
    with psycopg.connect(_plain_dsn(admin_url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT bool_and(pg_has_role(%s, r, 'USAGE')) FROM unnest(%s::text[]) AS r",
            (OWNER, list(WATCHDOG_ROLES)),
        ).fetchone()
    return bool(row and row[0])


def upgrade(admin_url: str, revision: str = "head") -> None:
    """Create roles when this login may, then migrate to ``revision``."""
    with psycopg.connect(_plain_dsn(admin_url), autocommit=True) as conn, conn.cursor() as cur:
        manage = can_manage_roles(cur)
    if manage:
        init_roles_on(admin_url)
    engine = create_engine(admin_url, poolclass=None)
    try:
        with engine.connect() as connection:
            cfg = alembic_config()
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def status(admin_url: str) -> tuple[str | None, str | None]:
    """(current revision in the database, head revision shipped with this build)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    engine = create_engine(admin_url)
    try:
        with engine.connect() as connection:
            has_schema = connection.execute(
                text("SELECT 1 FROM pg_namespace WHERE nspname = 'workcell'")
            ).scalar()
            if not has_schema:
                return None, head
            ctx = MigrationContext.configure(connection, opts={"version_table_schema": "workcell"})
            return ctx.get_current_revision(), head
    finally:
        engine.dispose()


def add_station(
    admin_url: str,
    role: str,
    password: str | None = None,
    *,
    name: str | None = None,
    methods: tuple[str, ...] = ("badge+pin",),
    concurrent: bool = False,
    site: str = "",
    zone: str = "",
) -> bool:
    """Create the station's login role and register the station (11.10(h)): where it is and
    which sign-in methods it may use (username + PIN only on admin terminals)."""
    with (
        cluster_role_lock(admin_url),
        psycopg.connect(_plain_dsn(admin_url), autocommit=True) as conn,
        conn.cursor() as cur,
    ):
        created = create_station_role(cur, role, password)
        wanted = (name or role, site, zone, sorted(methods), concurrent)
        cur.execute(
            "SELECT name, site, zone, methods, concurrent_sessions FROM workcell.station"
            " WHERE login_role = %s",
            (role,),
        )
        row = cur.fetchone()
        if row is not None and (row[0], row[1], row[2], sorted(row[3]), row[4]) == wanted:
            return created  # registered as asked already: nothing to change (or audit)
        cur.execute("SET ROLE workcell_owner")
        cur.execute(
            "SELECT workcell.register_station(%s, %s, %s, %s, %s, %s)",
            (name or role, role, site, zone, list(methods), concurrent),
        )
        cur.execute("RESET ROLE")
        return created
