"""Unit of work: one database transaction that names its actor (and reason) for the audit trigger.

Rolls back unless committed. Database refusals are translated to WorkCellError here, so
callers see one exception family.
"""

from __future__ import annotations

from types import TracebackType
from typing import Literal

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import AttributionError, WorkCellError, translate

_SET = text(
    "SELECT set_config('workcell.actor', :actor, true),"
    " set_config('workcell.reason', :reason, true)"
)
_SET_REASON = text("SELECT set_config('workcell.reason', :reason, true)")
_SET_ACTOR = text("SELECT set_config('workcell.actor', :actor, true)")


class UnitOfWork:
    """``with UnitOfWork(factory, actor="alice", reason="...") as uow: ...; uow.commit()``"""

    def __init__(
        self, session_factory: sessionmaker[Session], actor: str, reason: str | None = None
    ) -> None:
        if not actor or not actor.strip():
            raise AttributionError("No acting user: sign in first.")
        self._factory = session_factory
        self.actor = actor.strip().lower()
        self._reason = reason
        self._session: Session | None = None
        self._committed = False

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its with-block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._factory()
        try:
            self._session.execute(_SET, {"actor": self.actor, "reason": self._reason or ""})
        except Exception as exc:
            self._session.close()
            self._session = None
            raise _translated(exc) from exc
        return self

    @property
    def session_factory(self) -> sessionmaker[Session]:
        """For work that must commit on its own (e.g. recording a failed PIN attempt)."""
        return self._factory

    def act_as(self, username: str) -> None:
        """Attribute the rest of this transaction to ``username``.

        Only after the caller has re-authenticated that person (a signature: the signer's
        rows are theirs). Pending changes are flushed first, under the previous actor.
        """
        if not username or not username.strip():
            raise AttributionError("No acting user: sign in first.")
        self.flush()
        self.actor = username.strip().lower()
        self.session.execute(_SET_ACTOR, {"actor": self.actor})

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
                    session.rollback()
            finally:
                session.close()
        if exc is not None and not isinstance(exc, WorkCellError):
            translated = translate(exc)
            if translated is not None:
                raise translated from exc
        return False


def _translated(exc: BaseException) -> BaseException:
    return translate(exc) or exc
