"""Unit of work: one database transaction that names its session (and reason) for the audit
trigger and every guard.

The person acting is whoever the database issued the session token to (workcell.sign_in);
the station never claims a name. A unit of work without a session can read, and call the
database functions that need no actor (challenges, sign-in); every write it tries is refused
by the database. ``UnitOfWork.system`` is owner-side system work (demo seed, bootstrap,
tests' set-up): it only works on an owner or superuser connection.

Rolls back unless committed. Database refusals are translated to WorkCellError here, so
callers see one exception family.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import DatabaseUnavailable, WorkCellError, translate

_OPEN = text(
    "SELECT set_config('workcell.session', :token, true),"
    " set_config('workcell.reason', :reason, true), workcell.touch_session()"
)
_READ = text("SELECT set_config('workcell.reason', :reason, true)")
_SYSTEM = text(
    "SELECT set_config('role', 'workcell_owner', true),"
    " set_config('workcell.system_actor', :actor, true),"
    " set_config('workcell.reason', :reason, true)"
)
_SET_REASON = text("SELECT set_config('workcell.reason', :reason, true)")


@dataclass(frozen=True)
class StationSession:
    """A person signed in at this station: the database's session token and who it names.

    The token never appears in a log line or a repr."""

    token: str = field(repr=False)
    user_id: int
    username: str
    printed_name: str
    roles: frozenset[str] = frozenset()
    permissions: frozenset[str] = frozenset()
    method: str = "badge+pin"
    idle_s: int = 180


class UnitOfWork:
    """``with UnitOfWork(factory, session, reason="...") as uow: ...; uow.commit()``"""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        session: StationSession | None,
        reason: str | None = None,
        *,
        system_actor: str | None = None,
    ) -> None:
        self._factory = session_factory
        self.station_session = session
        self._system_actor = system_actor
        self.actor = system_actor or (session.username if session else "")
        self._reason = reason
        self._session: Session | None = None
        self._committed = False

    @classmethod
    def system(
        cls, session_factory: sessionmaker[Session], actor: str = "system", reason: str = ""
    ) -> UnitOfWork:
        """Owner-side system work, attributed to a system actor (owner/superuser login only)."""
        return cls(session_factory, None, reason, system_actor=actor)

    @property
    def is_system(self) -> bool:
        """Owner-side system work (the database lets a system actor past permission checks)."""
        return bool(self._system_actor)

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its with-block")
        return self._session

    @property
    def session_factory(self) -> sessionmaker[Session]:
        """For work that must commit on its own (e.g. recording a refused PIN attempt)."""
        return self._factory

    def __enter__(self) -> UnitOfWork:
        self._session = self._factory()
        reason = self._reason or ""
        try:
            if self._system_actor:
                self._session.execute(_SYSTEM, {"actor": self._system_actor, "reason": reason})
            elif self.station_session is not None:
                params = {"token": self.station_session.token, "reason": reason}
                refreshed = self._session.execute(_OPEN, params).one()[2]
                if refreshed:  # keep "last seen" even if this unit of work only reads
                    self._session.commit()
                    self._session.execute(_OPEN, params)
            elif reason:
                self._session.execute(_READ, {"reason": reason})
        except Exception as exc:
            self._session.close()
            self._session = None
            raise _translated(exc) from exc
        return self

    def signed_by(self, username: str) -> None:
        """The database attributed the rest of this transaction to a signer (workcell.sign)."""
        self.actor = username

    def set_reason(self, reason: str) -> None:
        """Reason for the changes that follow in this transaction (audit trail)."""
        self._reason = reason
        self.session.execute(_SET_REASON, {"reason": reason})

    def flush(self) -> None:
        try:
            self.session.flush()
        except Exception as exc:
            raise _translated(exc) from exc

    def commit(self) -> None:
        try:
            self.session.commit()
        except Exception as exc:
            self.session.rollback()
            raise _translated(exc) from exc
        self._committed = True

    def rollback(self) -> None:
        self.session.rollback()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        session = self._session
        self._session = None
        if session is not None:
            try:
                if not self._committed:
                    _roll_back(session, failing=exc is not None)
            finally:
                session.close()
        if exc is not None and not isinstance(exc, WorkCellError):
            translated = translate(exc)
            if translated is not None:
                raise translated from exc
        return False


def _roll_back(session: Session, *, failing: bool) -> None:
    """Roll back; a server that is gone has ended the transaction itself. When the body
    already failed (say the signature's challenge found the server gone, on a connection
    of its own) its error is the one to report, not the rollback's "terminating connection"
    (found by the failover test: it escaped untranslated and ended the station's worker)."""
    try:
        session.rollback()
    except Exception as exc:
        lost = translate(exc)
        if not isinstance(lost, DatabaseUnavailable):
            raise
        if not failing:
            raise lost from exc


def _translated(exc: BaseException) -> BaseException:
    return translate(exc) or exc
