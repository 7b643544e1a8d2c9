"""Who is signed in at this station: the database sessions of the people signed in here.

The screens name the person acting by username (every backend method's ``actor``); the
backends look that person's database session up here and open their unit of work with it.
A name without a session is refused ("sign in first"): nobody acts on a name alone, the
database only accepts a session it issued to this station (workcell.sign_in).

One book per station, shared by all its backends (items, engineering, admin, audit). A
session enters at sign-in and leaves at sign-out, lock, idle lock or when another person
takes the station over; leaving ends it in the database too (identity.sign_out).
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from domain.errors import AttributionError
from domain.services import identity
from domain.uow import StationSession, UnitOfWork

log = logging.getLogger(__name__)


def _key(username: str) -> str:
    return username.strip().lower()


class SessionBook:
    """username → StationSession for the people signed in at this station (thread-safe)."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory
        self._lock = threading.Lock()
        self._sessions: dict[str, StationSession] = {}

    def add(self, session: StationSession) -> None:
        """A person signed in (or re-authenticated): their newest session replaces any older."""
        with self._lock:
            self._sessions[_key(session.username)] = session

    def get(self, username: str) -> StationSession | None:
        with self._lock:
            return self._sessions.get(_key(username))

    def require(self, username: str) -> StationSession:
        found = self.get(username)
        if found is None:
            who = username.strip() or "Nobody"
            raise AttributionError(f"{who} is not signed in at this station: sign in first.")
        return found

    def uow(self, username: str, reason: str | None = None) -> UnitOfWork:
        """A unit of work in ``username``'s database session (AttributionError if none)."""
        return UnitOfWork(self.session_factory, self.require(username), reason)

    def signed_in(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(sorted(self._sessions))

    def pop(self, username: str) -> StationSession | None:
        with self._lock:
            return self._sessions.pop(_key(username), None)

    def end(self, username: str, reason: str) -> None:
        """Forget the person here and end their database session. Never raises: a session
        the database cannot end now ends by itself after its idle time."""
        session = self.pop(username)
        if session is not None:
            end_session(self.session_factory, session, reason)

    def end_all(self, reason: str) -> None:
        with self._lock:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for session in sessions:
            end_session(self.session_factory, session, reason)


def end_session(factory: sessionmaker[Session], session: StationSession, reason: str) -> None:
    try:
        identity.sign_out(factory, session, reason)
    except Exception as exc:  # the database may be away; the session times out there
        log.warning("could not end the session of %s (%s): %s", session.username, reason, exc)
