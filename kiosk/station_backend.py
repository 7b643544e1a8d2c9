"""The station's implementation of the stations screen's backend (registered stations)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from domain.services import stations
from kiosk.sessions import SessionBook
from screens.admin.station_backend import StationRow


class StationsStationBackend:
    """Lists, enables, disables and clears stations in the signed-in person's session."""

    def __init__(
        self, session_factory: sessionmaker[Session], sessions: SessionBook | None = None
    ) -> None:
        self.sessions = sessions or SessionBook(session_factory)

    def stations(self, actor: str) -> list[StationRow]:
        with self.sessions.uow(actor) as uow:
            return [
                StationRow(
                    s.name,
                    s.place,
                    s.methods,
                    s.concurrent_sessions,
                    s.enabled,
                    s.open_sessions,
                    s.failures,
                    s.blocked,
                )
                for s in stations.list_stations(uow)
            ]

    def set_station_enabled(self, actor: str, name: str, enabled: bool, reason: str) -> None:
        with self.sessions.uow(actor, reason) as uow:
            stations.set_enabled(uow, name, enabled, reason)
            uow.commit()

    def clear_station(self, actor: str, name: str, reason: str) -> None:
        with self.sessions.uow(actor, reason) as uow:
            stations.clear(uow, name, reason)
            uow.commit()
