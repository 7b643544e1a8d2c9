"""Composition root: settings → database URLs → engine → services. `build_services` is
what the CLI, the kiosk app and the tests use."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from domain.db import make_engine, make_session_factory
from domain.uow import UnitOfWork
from kiosk import dbadmin
from kiosk.database import DatabaseUrls, resolve_urls, station_role_name
from kiosk.settings import StationSettings, load_settings


@dataclass
class Services:
    settings: StationSettings
    urls: DatabaseUrls
    engine: Engine
    session_factory: sessionmaker[Session]

    def uow(self, actor: str, reason: str | None = None) -> UnitOfWork:
        return UnitOfWork(self.session_factory, actor, reason)

    def dispose(self) -> None:
        self.engine.dispose()


def prepare_embedded(settings: StationSettings) -> DatabaseUrls:
    """Embedded mode: start the server, migrate, and make sure this station's login exists."""
    urls = resolve_urls(settings)
    if urls.embedded:
        current, head = dbadmin.status(urls.admin)
        if current != head:
            dbadmin.upgrade(urls.admin)
        role = make_url(urls.station).username or station_role_name(settings.name)
        dbadmin.add_station(urls.admin, role)
    return urls


def build_services(settings: StationSettings | None = None, *, admin: bool = False) -> Services:
    settings = settings or load_settings()
    urls = prepare_embedded(settings)
    engine = make_engine(urls.admin if admin else urls.station)
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
