"""The operations log as a plain station login (migration 0034): workcell.operation_event
is written only owner-side (`workcell db backup` / `db restore` with the admin's login); a
station, signed in or not, cannot add, alter or remove an event, the owner cannot alter or
remove one either, and the time and login are the server's whatever an insert says."""

from __future__ import annotations

import psycopg
import pytest

from tests.security.attack import Lab, refused, sign_in

pytestmark = pytest.mark.requirement("11.10(c)", "11.10(e)")

WATCH = ("workcell.operation_event", "audit.entry")
INSERT = (
    "INSERT INTO workcell.operation_event (kind, at, db_login, os_user, host, detail)"
    " VALUES ('backup', '2000-01-01', 'someone_else', 'admin', 'host', '{\"file\": \"x\"}')"
    " RETURNING id"
)


@pytest.fixture(scope="module")
def event_id(lab: Lab) -> int:
    """One backup event, written the way the CLI writes it (owner role, system actor)."""
    with lab.owner("backup written to plant.dump") as conn:
        row = conn.execute(INSERT).fetchone()
    assert row is not None
    return int(row[0])


def test_the_time_and_login_are_the_servers(lab: Lab, event_id: int) -> None:
    with lab.superuser() as conn:
        row = conn.execute(
            "SELECT at > now() - interval '1 hour', db_login = session_user"
            " FROM workcell.operation_event WHERE id = %s",
            (event_id,),
        ).fetchone()
        entry = conn.execute(
            "SELECT operation, actor, reason FROM audit.entry"
            " WHERE table_name = 'workcell.operation_event' AND record_key = %s",
            (str(event_id),),
        ).fetchone()
    assert row == (True, True)
    assert entry == ("INSERT", "system", "backup written to plant.dump")  # in the trail


@pytest.mark.parametrize(
    "statement",
    [
        INSERT,
        'UPDATE workcell.operation_event SET detail = \'{"file": "elsewhere"}\'',
        "UPDATE workcell.operation_event SET at = at - interval '1 day'",
        "DELETE FROM workcell.operation_event",
        "TRUNCATE workcell.operation_event",
    ],
)
@pytest.mark.parametrize("with_token", [False, True])
def test_a_station_cannot_write_the_log(
    lab: Lab, event_id: int, statement: str, with_token: bool
) -> None:
    token = None
    if with_token:
        admin = lab.person(("admin",), prefix="opadm")
        with lab.station() as conn:
            token = sign_in(conn, admin)
    with lab.untouched(WATCH), lab.station() as conn:
        refused("42501", conn, statement, token=token)


@pytest.mark.parametrize(
    "statement",
    [
        'UPDATE workcell.operation_event SET detail = \'{"file": "elsewhere"}\' WHERE id = %s',
        "DELETE FROM workcell.operation_event WHERE id = %s",
    ],
)
def test_not_even_the_owner_alters_or_removes_an_event(
    lab: Lab, event_id: int, statement: str
) -> None:
    with (
        lab.untouched(WATCH),
        pytest.raises(psycopg.Error) as caught,
        lab.owner("tidying the log") as conn,
    ):
        conn.execute(statement, (event_id,))
    assert caught.value.sqlstate == "WC005", caught.value
