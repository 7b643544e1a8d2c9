"""A write that reaches a server no longer primary (a failover demoted it) is "database
unavailable" — retried by the station, whose multi-host URL finds the new primary — not an
unexplained internal error (seen in the failover test: the challenge's nextval() on the
demoted primary)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import InternalError

from domain.errors import DatabaseUnavailable, translate


def test_a_write_on_a_read_only_server_is_database_unavailable(app_engine: Engine) -> None:
    with app_engine.connect() as conn:
        conn.execute(text("SET TRANSACTION READ ONLY"))
        with pytest.raises(InternalError) as caught:
            conn.execute(text("CREATE TEMP TABLE ro_probe (x int)"))
        conn.rollback()
    error = translate(caught.value)
    assert isinstance(error, DatabaseUnavailable)
    assert "Nothing was saved" in error.message
