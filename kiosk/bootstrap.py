"""Composition root: settings → database URLs → engine → services. `build_services` is
what the CLI, the kiosk app and the tests use.

The engine is the station's own login (a person acts through a database session issued to
it); ``admin=True`` connects with the owner/admin URL instead, for owner-side work only
(migrations, station registration, the first administrator, demo seeding).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from domain.db import make_engine, make_session_factory
from domain.uow import StationSession, UnitOfWork
from kiosk.database import DatabaseUrls, resolve_urls, station_role_name
from kiosk.settings import StationSettings, load_settings

# The embedded (demo / single-machine) station is an admin terminal: badge or username
# with the PIN, and several sessions at once (the kiosk and CLI commands beside it).
EMBEDDED_METHODS = ("badge+pin", "username+pin")


@dataclass
class Services:
    settings: StationSettings
    urls: DatabaseUrls
    engine: Engine
    session_factory: sessionmaker[Session]

    def uow(self, session: StationSession | None, reason: str | None = None) -> UnitOfWork:
        """A unit of work in a signed-in person's session (None: reads only)."""
        return UnitOfWork(self.session_factory, session, reason)

    def dispose(self) -> None:
        self.engine.dispose()


def prepare_embedded(settings: StationSettings, *, create: bool = False) -> DatabaseUrls:
    """Embedded mode: start the server, migrate, and make sure this station's login exists
    and is registered (as an admin terminal: the CLI and the demo sign in by username).
    A new embedded database is created only with ``create`` (see `resolve_urls`)."""
    urls = resolve_urls(settings, create=create)
    if urls.embedded:
        from kiosk import dbadmin  # alembic: imported only where it is needed (start-up time)

        current, head = dbadmin.status(urls.admin)
        if current != head:
            dbadmin.upgrade(urls.admin)
        role = make_url(urls.station_url()).username or station_role_name(settings.name)
        dbadmin.add_station(
            urls.admin,
            role,
            name=station_name(settings.name),
            methods=EMBEDDED_METHODS,
            concurrent=True,
            site=settings.site[:40],
            zone=settings.zone[:40],
        )
    return urls


def station_name(name: str) -> str:
    """A station's registered name (letters, digits, '.', '_' and '-'; 63 at most)."""
    cleaned = "".join(c if c.isalnum() or c in "._-" else "-" for c in name.strip())
    cleaned = cleaned.lstrip("._-")[:63]
    return cleaned or "station"


def build_services(
    settings: StationSettings | None = None, *, admin: bool = False, create: bool = False
) -> Services:
    settings = settings or load_settings()
    urls = prepare_embedded(settings, create=create)
    engine = make_engine(urls.admin if admin else urls.station_url())
    return Services(settings, urls, engine, make_session_factory(engine))


def demo_settings(settings: StationSettings | None = None) -> StationSettings:
    """Demo always runs on its own embedded database, never a configured plant server."""
    base = settings or load_settings()
    return replace(
        base,
        data_dir=Path(base.data_dir) / "demo",
        database_url=None,
        admin_database_url=None,
        allow_username_pin=True,
    )
