"""Attribution: every write names a database session the database issued to this station for
an active person (or is owner-side system work); updates and deletes name a reason.

Each test attacks through a plain psycopg connection as a station login (member of the
app role), as an attacker with the station's credentials would. The station never claims a
name: the old free-text ``workcell.actor`` setting means nothing any more.
"""

from __future__ import annotations

import secrets

import psycopg
import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.services import identity
from tests.conftest import TEST_ADMIN, TestDatabase, unique
from tests.integration.identity_fixtures import KIOSK, dsn_of, extra_station
from tests.sessions import as_system, forget_session, session_of, token_of

pytestmark = [pytest.mark.pg18, pytest.mark.requirement("11.10(e)", "ALCOA attributable")]

Factory = sessionmaker[Session]
SESSION = "SELECT set_config('workcell.session', %s, true)"
INSERT_ITEM = (
    "INSERT INTO workcell.item (item_number, description, item_type, unit) "
    "VALUES (%s, 'attack', 'raw', 'kg')"
)


def _attempt(
    database: TestDatabase, *setup: tuple[str, tuple[object, ...]], which: str = "station"
) -> psycopg.Error:
    with database.connect(which) as conn:
        for sql, params in setup:
            conn.execute(sql, params)
        with pytest.raises(psycopg.Error) as err:
            conn.execute(INSERT_ITEM, (unique("ATT").upper(),))
        return err.value


def test_write_without_session_is_refused(database: TestDatabase) -> None:
    """A write in a transaction that never named a session is refused (WC001)."""
    err = _attempt(database)
    assert err.sqlstate == "WC001"


def test_write_with_empty_session_is_refused(database: TestDatabase) -> None:
    """A token set to '' (what a pooled connection shows after SET LOCAL) is refused."""
    err = _attempt(database, (SESSION, ("",)))
    assert err.sqlstate == "WC001"


def test_write_with_blank_session_is_refused(database: TestDatabase) -> None:
    """Whitespace is not a token: no session has it (WC002)."""
    err = _attempt(database, (SESSION, ("   ",)))
    assert err.sqlstate == "WC002"


def test_write_with_unknown_token_is_refused(database: TestDatabase) -> None:
    """A token the database never issued is refused (WC002)."""
    err = _attempt(database, (SESSION, (secrets.token_hex(32),)))
    assert err.sqlstate == "WC002"


def test_old_free_text_actor_is_ignored(database: TestDatabase) -> None:
    """Naming a person in the old ``workcell.actor`` setting attributes nothing (WC001), and
    a station claiming a system actor is ignored too: only the owner can act as one."""
    err = _attempt(database, ("SELECT set_config('workcell.actor', %s, true)", (TEST_ADMIN,)))
    assert err.sqlstate == "WC001"
    err = _attempt(database, ("SELECT set_config('workcell.system_actor', 'system', true)", ()))
    assert err.sqlstate == "WC001"


def test_station_cannot_become_the_owner(database: TestDatabase) -> None:
    """A station login cannot switch to the owner role (where a system actor would count)."""
    with database.connect() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SET ROLE workcell_owner")


def test_free_text_actor_does_not_override_the_session(
    database: TestDatabase, session_factory: Factory, new_user
) -> None:
    """With a valid token, a different name in ``workcell.actor`` changes nothing: the entry
    names the token's holder."""
    someone = new_user("holder", roles=("engineer",))
    number = unique("HOLD").upper()
    with database.connect() as conn:
        conn.execute(SESSION, (token_of(session_factory, someone.username),))
        conn.execute("SELECT set_config('workcell.actor', %s, true)", (TEST_ADMIN,))
        conn.execute(INSERT_ITEM, (number,))
        actor = conn.execute(
            "SELECT actor FROM audit.entry WHERE table_name = 'workcell.item'"
            " AND after->>'item_number' = %s",
            (number,),
        ).fetchone()
        conn.commit()
    assert actor == (someone.username,)


def test_write_with_ended_session_is_refused(
    database: TestDatabase, session_factory: Factory, new_user
) -> None:
    """After sign-out the token is worthless (WC002)."""
    person = new_user("leaver", roles=("engineer",))
    session = session_of(session_factory, person.username)
    identity.sign_out(session_factory, session, "end of shift")
    forget_session(session_factory, person.username)
    err = _attempt(database, (SESSION, (session.token,)))
    assert err.sqlstate == "WC002"


def test_token_of_another_station_is_refused(
    database: TestDatabase, session_factory: Factory
) -> None:
    """A token is good only at the station it was issued to: the same token presented by
    another station login is refused (WC002), although that station is registered."""
    url = extra_station(database, KIOSK)
    token = token_of(session_factory, TEST_ADMIN)
    with psycopg.connect(dsn_of(url)) as conn:
        conn.execute(SESSION, (token,))
        with pytest.raises(psycopg.Error) as err:
            conn.execute(INSERT_ITEM, (unique("ATT").upper(),))
    assert err.value.sqlstate == "WC002"
    # and at its own station the token still works
    with database.connect() as conn:
        conn.execute(SESSION, (token,))
        conn.execute(INSERT_ITEM, (unique("OK").upper(),))
        conn.rollback()


def test_write_by_disabled_person_is_refused(
    database: TestDatabase, session_factory: Factory, new_user, make_uow
) -> None:
    """A disabled person cannot be the actor of any change: their open session is ended and
    their token refused (WC002)."""
    from domain.services.users import disable_user

    user = new_user("gone", roles=("engineer",))
    token = token_of(session_factory, user.username)
    with make_uow(TEST_ADMIN) as uow:
        disable_user(uow, user.username, "left the company")
        uow.commit()
    forget_session(session_factory, user.username)
    err = _attempt(database, (SESSION, (token,)))
    assert err.sqlstate == "WC002"


def test_session_does_not_leak_into_next_transaction(
    database: TestDatabase, session_factory: Factory
) -> None:
    """set_config(..., true) is transaction-local: the next transaction must name its session."""
    with database.connect() as conn:
        conn.execute(SESSION, (token_of(session_factory, TEST_ADMIN),))
        conn.execute(INSERT_ITEM, (unique("OK").upper(),))
        conn.commit()
        with pytest.raises(psycopg.Error) as err:
            conn.execute(INSERT_ITEM, (unique("ATT").upper(),))
        assert err.value.sqlstate == "WC001"


def test_update_without_reason_is_refused(database: TestDatabase, session_factory: Factory) -> None:
    """Changing an existing regulated row requires a reason (WC003)."""
    number = unique("R").upper()
    token = token_of(session_factory, TEST_ADMIN)
    with database.connect() as conn:
        conn.execute(SESSION, (token,))
        conn.execute(INSERT_ITEM, (number,))
        conn.commit()
        conn.execute(SESSION, (token,))
        with pytest.raises(psycopg.Error) as err:
            conn.execute(
                "UPDATE workcell.item SET description = 'x', version = version + 1 "
                "WHERE item_number = %s",
                (number,),
            )
        assert err.value.sqlstate == "WC003"


def test_update_that_does_not_advance_version_is_refused(
    database: TestDatabase, session_factory: Factory
) -> None:
    """An update must advance the record version by one (optimistic locking, WC004)."""
    number = unique("V").upper()
    token = token_of(session_factory, TEST_ADMIN)
    with database.connect() as conn:
        conn.execute(SESSION, (token,))
        conn.execute(INSERT_ITEM, (number,))
        conn.commit()
        conn.execute(
            "SELECT set_config('workcell.session', %s, true), "
            "set_config('workcell.reason', 'typo', true)",
            (token,),
        )
        with pytest.raises(psycopg.Error) as err:
            conn.execute(
                "UPDATE workcell.item SET description = 'x' WHERE item_number = %s", (number,)
            )
        assert err.value.sqlstate == "WC004"


def test_delete_of_regulated_row_is_refused(
    database: TestDatabase, session_factory: Factory
) -> None:
    """Users and items are never deleted: the app role has no DELETE privilege."""
    with database.connect() as conn:
        conn.execute(
            "SELECT set_config('workcell.session', %s, true), "
            "set_config('workcell.reason', 'cleanup', true)",
            (token_of(session_factory, TEST_ADMIN),),
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM workcell.users WHERE username = %s", (TEST_ADMIN,))


def test_owner_cannot_delete_users_either(database: TestDatabase) -> None:
    """Even the owner role is refused a DELETE on users (trigger, WC005)."""
    with database.connect("admin") as conn:
        as_system(conn, reason="cleanup")
        with pytest.raises(psycopg.Error) as err:
            conn.execute("DELETE FROM workcell.users WHERE username = %s", (TEST_ADMIN,))
        assert err.value.sqlstate == "WC005"


def test_username_cannot_be_changed(
    database: TestDatabase, session_factory: Factory, new_user
) -> None:
    """A username identifies a person for life: a station cannot write users at all, and
    even owner-side the rename is refused (WC006)."""
    user = new_user("fixed", roles=("engineer",))
    rename = "UPDATE workcell.users SET username = %s, version = version + 1 WHERE username = %s"
    with database.connect() as conn:
        conn.execute(
            "SELECT set_config('workcell.session', %s, true), "
            "set_config('workcell.reason', 'rename', true)",
            (token_of(session_factory, TEST_ADMIN),),
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(rename, (unique("x"), user.username))
    with database.connect("admin") as conn:
        as_system(conn, reason="rename")
        with pytest.raises(psycopg.Error) as err:
            conn.execute(rename, (unique("x"), user.username))
        assert err.value.sqlstate == "WC006"


def test_bootstrap_actor_is_closed_once_a_person_exists(database: TestDatabase) -> None:
    """After the first person exists, nobody can act as 'bootstrap' any more: not owner-side
    (WC002), not through the bootstrap function (WC002), and a station cannot even call it."""
    with database.connect("admin") as conn:
        as_system(conn, actor="bootstrap", reason="second bootstrap")
        with pytest.raises(psycopg.Error) as err:
            conn.execute(
                "INSERT INTO workcell.users (username, printed_name) VALUES (%s, 'X')",
                (unique("boot"),),
            )
        assert err.value.sqlstate == "WC002"
    with database.connect("admin") as conn:
        conn.execute("SET ROLE workcell_owner")
        with pytest.raises(psycopg.Error) as err:
            conn.execute(
                "SELECT workcell.bootstrap_admin(%s, 'X', %s, 64, 1, 1, %s)",
                (unique("boot"), "00" * 16, "00" * 32),
            )
        assert err.value.sqlstate == "WC002"
    with database.connect() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(
            "SELECT workcell.bootstrap_admin(%s, 'X', %s, 64, 1, 1, %s)",
            (unique("boot"), "00" * 16, "00" * 32),
        )


def test_audit_entry_names_actor_station_and_reason(
    database: TestDatabase, session_factory: Factory
) -> None:
    """An attributed change produces an entry with actor, station login, before/after, reason."""
    number = unique("A").upper()
    token = token_of(session_factory, TEST_ADMIN)
    with database.connect() as conn:
        conn.execute(SESSION, (token,))
        conn.execute(INSERT_ITEM, (number,))
        conn.commit()
        conn.execute(
            "SELECT set_config('workcell.session', %s, true), "
            "set_config('workcell.reason', 'spelling', true)",
            (token,),
        )
        conn.execute(
            "UPDATE workcell.item SET description = 'fixed', version = version + 1 "
            "WHERE item_number = %s",
            (number,),
        )
        conn.commit()
        rows = conn.execute(
            "SELECT e.operation, e.actor, e.station, e.reason, e.before->>'description', "
            "e.after->>'description', e.entry_hash = audit.entry_hash(e) "
            "FROM audit.entry e JOIN workcell.item i ON e.record_key = i.id::text "
            "WHERE e.table_name = 'workcell.item' AND i.item_number = %s ORDER BY e.id",
            (number,),
        ).fetchall()
    assert rows == [
        ("INSERT", TEST_ADMIN, "station_pytest", None, None, "attack", True),
        ("UPDATE", TEST_ADMIN, "station_pytest", "spelling", "attack", "fixed", True),
    ]


def test_server_time_not_client_time(database: TestDatabase, session_factory: Factory) -> None:
    """Entry time comes from the server clock; a session TimeZone change does not alter it."""
    number = unique("T").upper()
    with database.connect() as conn:
        conn.execute("SET TimeZone = 'Pacific/Kiritimati'")
        conn.execute(SESSION, (token_of(session_factory, TEST_ADMIN),))
        conn.execute(INSERT_ITEM, (number,))
        row = conn.execute(
            "SELECT e.at, clock_timestamp() FROM audit.entry e "
            "WHERE e.table_name = 'workcell.item' AND e.after->>'item_number' = %s",
            (number,),
        ).fetchone()
        conn.commit()
    assert row is not None
    at, now = row
    assert abs((now - at).total_seconds()) < 60
