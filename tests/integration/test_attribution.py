"""Attribution: every write names an active actor; updates and deletes name a reason.

Each test attacks through a plain psycopg connection as a station login (member of the
app role), as an attacker with the station's credentials would.
"""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import TEST_ADMIN, TestDatabase, unique

pytestmark = pytest.mark.pg18

INSERT_ITEM = (
    "INSERT INTO workcell.item (item_number, description, item_type, unit) "
    "VALUES (%s, 'attack', 'raw', 'kg')"
)


def _attempt(database: TestDatabase, *setup: tuple[str, tuple[object, ...]]) -> psycopg.Error:
    with database.connect() as conn:
        for sql, params in setup:
            conn.execute(sql, params)
        with pytest.raises(psycopg.Error) as err:
            conn.execute(INSERT_ITEM, (unique("ATT").upper(),))
        return err.value


def test_write_without_actor_is_refused(database: TestDatabase) -> None:
    """A write in a transaction that never named its actor is refused (WC001)."""
    err = _attempt(database)
    assert err.sqlstate == "WC001"


def test_write_with_empty_actor_is_refused(database: TestDatabase) -> None:
    """An actor set to '' (what a pooled connection shows after SET LOCAL) is refused."""
    err = _attempt(database, ("SELECT set_config('workcell.actor', '', true)", ()))
    assert err.sqlstate == "WC001"


def test_write_with_blank_actor_is_refused(database: TestDatabase) -> None:
    """Whitespace is not a name."""
    err = _attempt(database, ("SELECT set_config('workcell.actor', '   ', true)", ()))
    assert err.sqlstate == "WC001"


def test_write_with_unknown_actor_is_refused(database: TestDatabase) -> None:
    """An actor that is not a user is refused (WC002)."""
    err = _attempt(database, ("SELECT set_config('workcell.actor', %s, true)", (unique("ghost"),)))
    assert err.sqlstate == "WC002"


def test_write_by_disabled_actor_is_refused(database: TestDatabase, new_user, make_uow) -> None:
    """A disabled user cannot be the actor of any change."""
    from domain.services.users import disable_user

    user = new_user("gone")
    with make_uow(TEST_ADMIN) as uow:
        disable_user(uow, user.username, "left the company")
        uow.commit()
    err = _attempt(database, ("SELECT set_config('workcell.actor', %s, true)", (user.username,)))
    assert err.sqlstate == "WC002"


def test_session_level_actor_does_not_leak_into_next_transaction(database: TestDatabase) -> None:
    """set_config(..., true) is transaction-local: the next transaction must name its actor."""
    with database.connect() as conn:
        conn.execute("SELECT set_config('workcell.actor', %s, true)", (TEST_ADMIN,))
        conn.execute(INSERT_ITEM, (unique("OK").upper(),))
        conn.commit()
        with pytest.raises(psycopg.Error) as err:
            conn.execute(INSERT_ITEM, (unique("ATT").upper(),))
        assert err.value.sqlstate == "WC001"


def test_update_without_reason_is_refused(database: TestDatabase) -> None:
    """Changing an existing regulated row requires a reason (WC003)."""
    number = unique("R").upper()
    with database.connect() as conn:
        conn.execute("SELECT set_config('workcell.actor', %s, true)", (TEST_ADMIN,))
        conn.execute(INSERT_ITEM, (number,))
        conn.commit()
        conn.execute("SELECT set_config('workcell.actor', %s, true)", (TEST_ADMIN,))
        with pytest.raises(psycopg.Error) as err:
            conn.execute(
                "UPDATE workcell.item SET description = 'x', version = version + 1 "
                "WHERE item_number = %s",
                (number,),
            )
        assert err.value.sqlstate == "WC003"


def test_update_that_does_not_advance_version_is_refused(database: TestDatabase) -> None:
    """An update must advance the record version by one (optimistic locking, WC004)."""
    number = unique("V").upper()
    with database.connect() as conn:
        conn.execute("SELECT set_config('workcell.actor', %s, true)", (TEST_ADMIN,))
        conn.execute(INSERT_ITEM, (number,))
        conn.commit()
        conn.execute(
            "SELECT set_config('workcell.actor', %s, true), "
            "set_config('workcell.reason', 'typo', true)",
            (TEST_ADMIN,),
        )
        with pytest.raises(psycopg.Error) as err:
            conn.execute(
                "UPDATE workcell.item SET description = 'x' WHERE item_number = %s", (number,)
            )
        assert err.value.sqlstate == "WC004"


def test_delete_of_regulated_row_is_refused(database: TestDatabase) -> None:
    """Users and items are never deleted: the app role has no DELETE privilege."""
    with database.connect() as conn:
        conn.execute(
            "SELECT set_config('workcell.actor', %s, true), "
            "set_config('workcell.reason', 'cleanup', true)",
            (TEST_ADMIN,),
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM workcell.users WHERE username = %s", (TEST_ADMIN,))


def test_owner_cannot_delete_users_either(database: TestDatabase) -> None:
    """Even the owner role is refused a DELETE on users (trigger, WC005)."""
    with database.connect("admin") as conn:
        conn.execute("SET ROLE workcell_owner")
        conn.execute(
            "SELECT set_config('workcell.actor', %s, true), "
            "set_config('workcell.reason', 'cleanup', true)",
            (TEST_ADMIN,),
        )
        with pytest.raises(psycopg.Error) as err:
            conn.execute("DELETE FROM workcell.users WHERE username = %s", (TEST_ADMIN,))
        assert err.value.sqlstate == "WC005"


def test_username_cannot_be_changed(database: TestDatabase, new_user) -> None:
    """A username identifies a person for life (WC006)."""
    user = new_user("fixed")
    with database.connect() as conn:
        conn.execute(
            "SELECT set_config('workcell.actor', %s, true), "
            "set_config('workcell.reason', 'rename', true)",
            (TEST_ADMIN,),
        )
        with pytest.raises(psycopg.Error) as err:
            conn.execute(
                "UPDATE workcell.users SET username = %s, version = version + 1 "
                "WHERE username = %s",
                (unique("x"), user.username),
            )
        assert err.value.sqlstate == "WC006"


def test_bootstrap_actor_is_closed_once_a_person_exists(database: TestDatabase) -> None:
    """After the first person exists, nobody can act as 'bootstrap' any more."""
    with database.connect() as conn:
        conn.execute("SELECT set_config('workcell.actor', 'bootstrap', true)")
        with pytest.raises(psycopg.Error) as err:
            conn.execute(
                "INSERT INTO workcell.users (username, printed_name) VALUES (%s, 'X')",
                (unique("boot"),),
            )
        assert err.value.sqlstate == "WC002"


def test_audit_entry_names_actor_station_and_reason(database: TestDatabase) -> None:
    """An attributed change produces an entry with actor, station login, before/after, reason."""
    number = unique("A").upper()
    with database.connect() as conn:
        conn.execute("SELECT set_config('workcell.actor', %s, true)", (TEST_ADMIN,))
        conn.execute(INSERT_ITEM, (number,))
        conn.commit()
        conn.execute(
            "SELECT set_config('workcell.actor', %s, true), "
            "set_config('workcell.reason', 'spelling', true)",
            (TEST_ADMIN.upper(),),
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


def test_server_time_not_client_time(database: TestDatabase) -> None:
    """Entry time comes from the server clock; a session TimeZone change does not alter it."""
    number = unique("T").upper()
    with database.connect() as conn:
        conn.execute("SET TimeZone = 'Pacific/Kiritimati'")
        conn.execute("SELECT set_config('workcell.actor', %s, true)", (TEST_ADMIN,))
        conn.execute(INSERT_ITEM, (number,))
        at, now = conn.execute(
            "SELECT e.at, clock_timestamp() FROM audit.entry e "
            "WHERE e.table_name = 'workcell.item' AND e.after->>'item_number' = %s",
            (number,),
        ).fetchone()
        conn.commit()
    assert abs((now - at).total_seconds()) < 60
