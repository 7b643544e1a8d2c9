"""Connection URLs a plant gives WorkCell (kiosk/database.py): plain ones, and libpq's
multi-host form of a high-availability plant (docs/operations.md#high-availability), read
the same way by SQLAlchemy's engine and by every libpq tool (psycopg, pg_dump, pg_restore)."""

from __future__ import annotations

import pytest
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import create_engine, event

from domain.db import make_engine
from domain.operations.backup import client_env
from kiosk.database import describe, libpq_url, normalise
from kiosk.settings import StationSettings, render_settings

HA = "postgresql://station_l2:s%40cret@db1:5432,db2:5433/plant?target_session_attrs=read-write"


def test_a_multi_host_url_reaches_the_engine_with_every_host_in_order() -> None:
    engine = create_engine(normalise(HA))
    _, kwargs = engine.dialect.create_connect_args(engine.url)
    assert (kwargs["host"], kwargs["port"]) == ("db1,db2", "5432,5433")
    assert (kwargs["user"], kwargs["password"], kwargs["dbname"]) == (
        "station_l2",
        "s@cret",
        "plant",
    )
    assert kwargs["target_session_attrs"] == "read-write"


def test_a_multi_host_url_round_trips_to_libpq_whole() -> None:
    back = libpq_url(normalise(HA))
    assert back == HA
    assert conninfo_to_dict(back) == {
        "user": "station_l2", "password": "s@cret", "dbname": "plant", "host": "db1,db2",
        "port": "5432,5433", "target_session_attrs": "read-write",
    }  # fmt: skip
    assert conninfo_to_dict(libpq_url(normalise(HA), "postgres"))["dbname"] == "postgres"


def test_backup_tools_get_every_host_and_the_read_write_rule_in_their_environment() -> None:
    env = client_env(libpq_url(normalise(HA)))
    assert (env["PGHOST"], env["PGPORT"], env["PGTARGETSESSIONATTRS"]) == (
        "db1,db2",
        "5432,5433",
        "read-write",
    )


def test_single_host_urls_are_unchanged() -> None:
    plain = "postgresql://postgres@127.0.0.1:5432/postgres"
    assert normalise(plain) == "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    assert libpq_url(normalise(plain)) == plain
    socket = normalise("postgresql:///plant?host=/run/postgresql")
    assert conninfo_to_dict(libpq_url(socket))["host"] == "/run/postgresql"


def test_describe_names_every_node_and_no_password() -> None:
    text = describe(StationSettings(name="L2", database_url=HA))
    assert text.startswith("db1:5432,db2:5433/plant as station_l2")
    assert "cret" not in text


def test_station_show_hides_the_password_of_a_multi_host_url() -> None:
    shown = render_settings(StationSettings(name="L2", database_url=HA))
    assert "database_url             = postgresql://station_l2:***@db1:5432,db2:5433/plant" in shown
    assert "cret" not in shown


def _connect_params(url: str) -> dict[str, object]:
    """What the engine would hand psycopg.connect (captured, nothing is connected)."""
    engine = make_engine(normalise(url))
    seen: dict[str, object] = {}

    @event.listens_for(engine, "do_connect")
    def capture(dialect: object, record: object, cargs: object, cparams: dict) -> None:
        seen.update(cparams)
        raise _Captured

    try:
        with pytest.raises(_Captured):
            engine.connect()
    finally:
        engine.dispose()
    return seen


class _Captured(Exception):
    pass


def test_the_url_may_set_the_connect_timeout_libpq_waits_on_each_host() -> None:
    """5 s by default; a plant's multi-host URL may shorten it (each silent host costs it)."""
    assert _connect_params(HA)["connect_timeout"] == 5
    shorter = _connect_params(HA + "&connect_timeout=2")
    assert shorter["connect_timeout"] == "2"
    assert (shorter["host"], shorter["options"]) == ("db1,db2", "-c jit=off")
