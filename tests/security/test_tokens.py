"""Session tokens used where, when or by whom they are no longer valid: refused with WC002
(WC001 for none at all), and nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.security.attack import Lab, Person, challenge, proof, refused, run, sign_in

pytestmark = pytest.mark.requirement("11.10(d)", "11.200(a)(1)")

REASON = ("workcell.reason", "security test: an attack")
TOUCH = "SELECT workcell.current_actor_id() FROM (SELECT workcell.touch_session()) AS touched"
WRITE = (
    "INSERT INTO workcell.item (item_number, description, item_type, unit)"
    " VALUES ('EVIL-TOKEN', 'forged', 'component', 'ea')"
)


def still_valid(conn: psycopg.Connection[Any], token: str, person: Person) -> None:
    assert run(conn, TOUCH, token=token) == [(person.id,)]


def refused_everywhere(lab: Lab, conn: psycopg.Connection[Any], token: str) -> None:
    with lab.untouched():
        refused("WC002", conn, TOUCH, token=token)
        refused("WC002", conn, "SELECT workcell.current_actor_id()", token=token)
        refused("WC002", conn, WRITE, token=token, settings=[REASON])


def test_token_of_another_station_is_refused(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], operator: Person
) -> None:
    """A token issued at station A names nobody at station B (WC002)."""
    a, b = connect("station_sec_a"), connect("station_sec_b")
    token = sign_in(a, operator)
    still_valid(a, token, operator)
    refused_everywhere(lab, b, token)
    still_valid(a, token, operator)


def test_token_after_sign_out_is_refused(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], operator: Person
) -> None:
    """After workcell.end_session the token is dead, at its own station too (WC002)."""
    a = connect("station_sec_a")
    token = sign_in(a, operator)
    still_valid(a, token, operator)
    run(a, "SELECT workcell.end_session('signed out')", token=token)
    refused_everywhere(lab, a, token)


def test_sign_out_at_another_station_does_not_end_the_session(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], operator: Person
) -> None:
    """Station B cannot end station A's session by naming A's token in end_session."""
    a, b = connect("station_sec_a"), connect("station_sec_b")
    token = sign_in(a, operator)
    with lab.untouched():
        run(b, "SELECT workcell.end_session('forced out')", token=token)
    still_valid(a, token, operator)


def test_token_of_a_person_locked_since_is_refused(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], operator: Person
) -> None:
    """A session stops naming its person once the person is locked (WC002)."""
    a = connect("station_sec_a")
    token = sign_in(a, operator)
    still_valid(a, token, operator)
    lab.lock(operator)
    refused_everywhere(lab, a, token)


def test_idle_token_is_refused(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], operator: Person
) -> None:
    """A session idle past its limit is refused (WC002), and touching it does not revive it."""
    a = connect("station_sec_a")
    token = sign_in(a, operator)
    with lab.superuser() as su:
        su.execute(
            "UPDATE auth.session SET last_seen = now() - interval '1 hour'"
            " WHERE token_hash = sha256(convert_to(%s, 'UTF8'))",
            (token,),
        )
    refused_everywhere(lab, a, token)


def test_session_of_a_disabled_station_is_refused(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], operator: Person
) -> None:
    """A token stops working while its station is disabled (WC002), and sign-in there is
    refused (WC030)."""
    conn = connect("station_sec_b")
    token = sign_in(conn, operator)
    with lab.owner("security test: station disabled") as own:
        own.execute(
            "UPDATE workcell.station SET enabled = false, version = version + 1"
            " WHERE login_role = 'station_sec_b'"
        )
    try:
        refused_everywhere(lab, conn, token)
        with lab.untouched():
            refused(
                "WC030",
                conn,
                "SELECT * FROM workcell.auth_challenge('badge+pin', %s, 'sign_in')",
                [operator.badge],
            )
    finally:
        with lab.owner("security test: station enabled again") as own:
            own.execute(
                "UPDATE workcell.station SET enabled = true, version = version + 1"
                " WHERE login_role = 'station_sec_b'"
            )


GARBAGE = {
    "word": "garbage",
    "sql injection": "'; DROP TABLE workcell.users; --",
    "quote": "'",
    "backslash": "\\",
    "zeros": "0" * 64,
    "hex shape": "f" * 64,
    "very long": "a" * 100_000,
    "unicode": "тoken✓",
    "like pattern": "%",
    "regex": ".*",
}


@pytest.mark.parametrize("garbage", sorted(GARBAGE))
def test_garbage_token_is_refused(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], garbage: str
) -> None:
    """A made-up token, SQL metacharacters included, names nobody (WC002)."""
    refused_everywhere(lab, connect("station_sec_a"), GARBAGE[garbage])


def test_variants_of_a_real_token_are_refused(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], operator: Person
) -> None:
    """Only the exact token works: upper case, padded, truncated or its stored hash are refused."""
    a = connect("station_sec_a")
    token = sign_in(a, operator)
    with lab.superuser() as su:
        row = su.execute(
            "SELECT encode(token_hash, 'hex') FROM auth.session"
            " WHERE token_hash = sha256(convert_to(%s, 'UTF8'))",
            (token,),
        ).fetchone()
    assert row is not None
    for variant in (token.upper(), f" {token}", f"{token} ", token[:-1], token + "0", row[0]):
        refused_everywhere(lab, a, variant)
    still_valid(a, token, operator)


def test_empty_token_is_nobody(lab: Lab, connect: Callable[..., psycopg.Connection[Any]]) -> None:
    """An empty token is the same as none: nobody is signed in (WC001)."""
    a = connect("station_sec_a")
    with lab.untouched():
        refused("WC001", a, TOUCH, token="")
        refused("WC001", a, WRITE, token="", settings=[REASON])


def test_signature_session_does_not_outlive_its_transaction(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], item: int
) -> None:
    """The one-transaction session workcell.sign opens for the signer is refused in any later
    transaction, at the same station too (WC002)."""
    qa = lab.person(["qa"], prefix="qa")
    a = connect("station_sec_a")
    ch = challenge(a, qa, "sign")
    with a.transaction():
        row = a.execute(
            "SELECT version, workcell.record_content_hash('item', id) FROM workcell.item"
            " WHERE id = %s",
            (item,),
        ).fetchone()
        assert row is not None
        records = [{"type": "item", "id": item, "version": row[0], "hash": row[1]}]
        a.execute(
            "SELECT * FROM workcell.sign(%s, %s, 'approved', %s::jsonb, NULL)",
            (ch.id, proof(ch, qa.pin), Jsonb(records)),
        )
        got = a.execute("SELECT current_setting('workcell.session')").fetchone()
        assert got is not None
        tx_token = got[0]
        assert a.execute("SELECT workcell.current_actor_id()").fetchone() == (qa.id,)
    refused_everywhere(lab, a, tx_token)
    refused_everywhere(lab, connect("station_sec_b"), tx_token)
