"""A session stays alive while its person works, reads included; an idle one expires."""

from __future__ import annotations

import pytest

from domain.errors import AttributionError
from domain.services import users
from domain.uow import UnitOfWork
from tests.identity_helpers import admin_for
from tests.sessions import as_system, session_of


def _age_session(database, token_hash_of: str, seconds: int) -> None:
    with database.connect("admin") as conn:
        as_system(conn)
        conn.execute(
            "UPDATE auth.session SET last_seen = now() - make_interval(secs => %s)"
            " WHERE token_hash = sha256(convert_to(%s, 'UTF8'))",
            (seconds, token_hash_of),
        )
        conn.commit()


def _last_seen_age(database, token: str) -> float:
    with database.connect("admin") as conn:
        row = conn.execute(
            "SELECT extract(epoch FROM now() - last_seen) FROM auth.session"
            " WHERE token_hash = sha256(convert_to(%s, 'UTF8'))",
            (token,),
        ).fetchone()
    assert row is not None
    return float(row[0])


def test_a_read_only_unit_of_work_keeps_the_session_alive(database, session_factory):
    """Reading refreshes "last seen" (committed apart) once a tenth of the idle time passed."""
    session = session_of(session_factory, admin_for(database))
    _age_session(database, session.token, session.idle_s - 5)
    with UnitOfWork(session_factory, session) as uow:
        users.list_users(uow)  # read only; rolled back on exit
    assert _last_seen_age(database, session.token) < 5


def test_an_idle_session_is_refused(database, session_factory):
    """Past the idle time nobody can act with the token, reads included."""
    from tests.sessions import forget_session

    admin = admin_for(database)
    session = session_of(session_factory, admin)
    _age_session(database, session.token, session.idle_s + 1)
    with pytest.raises(AttributionError), UnitOfWork(session_factory, session):
        pass
    forget_session(session_factory, admin)
