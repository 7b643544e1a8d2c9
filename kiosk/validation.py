"""`workcell validate`: the installation qualification on the plant's database and the
operational qualification on a scratch database beside it (docs/validation.md).

The scratch database and its station login are created on the same server with this
release's migrations (kiosk.dbadmin, as `workcell db upgrade` does) and dropped afterwards,
whatever happened; the plant's own database is only read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from sqlalchemy.engine import make_url

from domain.audit.anchors import Anchor
from domain.db import make_engine
from domain.operations.checks import Check
from domain.operations.iq import installation_qualification
from domain.operations.oq import Scratch, operational_qualification, prepare
from domain.services.pin_policy import IdentityPolicy
from kiosk import dbadmin
from kiosk.database import libpq_url


@dataclass(frozen=True)
class Target:
    database: str
    server: str
    installation: str
    build_head: str


def _plain(url: str, database: str | None = None) -> str:
    return libpq_url(url, database)


def describe(admin_url: str) -> Target:
    _, head = dbadmin.status(admin_url)
    with psycopg.connect(_plain(admin_url)) as conn:
        row = conn.execute(
            "SELECT current_database(), current_setting('server_version'),"
            " (SELECT id::text FROM audit.installation),"
            " host(inet_server_addr()) || ':' || inet_server_port()"
        ).fetchone()
    assert row is not None
    parsed = make_url(admin_url)
    hosts = parsed.query.get("host")
    if parsed.host is None and isinstance(hosts, tuple):  # high availability: who answered
        server = f"{row[3]} of {','.join(hosts)} (PostgreSQL {row[1]})"
    else:
        server = f"{parsed.host or 'local socket'}:{parsed.port or 5432} (PostgreSQL {row[1]})"
    return Target(str(row[0]), server, str(row[2] or ""), head or "")


def iq(admin_url: str, anchors: list[Anchor], anchor_source: str) -> list[Check]:
    engine = make_engine(admin_url)
    try:
        return installation_qualification(
            engine,
            build_head=describe(admin_url).build_head,
            anchors=anchors,
            anchor_source=anchor_source,
            host_now=dt.datetime.now(dt.UTC),
        )
    finally:
        engine.dispose()


@contextmanager
def scratch_database(admin_url: str) -> Iterator[Scratch]:
    """A database and station login of their own on the plant's server, dropped after."""
    tag = uuid.uuid4().hex[:10]
    name, login = f"wcoq_{tag}", f"wcoq_station_{tag}"
    maintenance = _plain(admin_url, "postgres")
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    scratch_admin = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engines = []
    try:
        dbadmin.upgrade(scratch_admin)
        dbadmin.add_station(scratch_admin, login, name="oq-station", methods=("username+pin",))
        station_url = make_url(scratch_admin).set(username=login, password=None)
        station = station_url.render_as_string(hide_password=False)
        admin_engine, station_engine = make_engine(scratch_admin), make_engine(station)
        engines = [admin_engine, station_engine]
        yield Scratch(
            admin_engine,
            station_engine,
            _plain(scratch_admin),
            _plain(station),
            "oq-station",
            IdentityPolicy(allow_username_pin=True),
            {},
        )
    finally:
        for engine in engines:
            engine.dispose()
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _drop_role(admin_url, maintenance, login)


def _drop_role(admin_url: str, maintenance: str, login: str) -> None:
    """Roles are cluster-wide: dropped under the role lock other role changes take, and tried
    again when another session's catalog change crossed ours."""
    for attempt in range(3):
        try:
            with (
                dbadmin.cluster_role_lock(admin_url),
                psycopg.connect(maintenance, autocommit=True) as conn,
            ):
                conn.execute(f'DROP ROLE IF EXISTS "{login}"')
            return
        except psycopg.errors.InternalError:
            if attempt == 2:
                raise


def oq(admin_url: str) -> list[Check]:
    """The OQ checks; when the scratch database or its people cannot be made (an admin URL
    that is not a superuser's, a full disk), one failed check says why: nothing was proved."""
    try:
        with scratch_database(admin_url) as scratch:
            prepare(scratch)
            return operational_qualification(scratch)
    except Exception as exc:  # reported in the report, not raised: the IQ results still count
        return [
            Check(
                "OQ-00", "OQ", "Scratch database", "The OQ creates its own database, station "
                "login and people on the plant's server", ("11.10(a)",),
                "created (the admin URL must be a superuser's)",
                f"not run: {type(exc).__name__}: {exc}", False,
            )
        ]  # fmt: skip
