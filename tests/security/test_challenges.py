"""Challenges and proofs used out of place: replayed, for another purpose, at another
station, inside the transaction that created them, expired, overtaken, malformed; and
look-ups of unknown badges and usernames that must not tell anyone who exists."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from domain.services import scram
from tests.security.attack import (
    Challenge,
    Lab,
    Person,
    challenge,
    new_badge,
    proof,
    raises,
    refused,
    sign_in,
    unique,
    wrong_pin,
)

pytestmark = pytest.mark.requirement("11.200(a)(1)", "11.300(d)")

SIGN_IN = "SELECT * FROM workcell.sign_in(%s, %s)"
SIGN = "SELECT * FROM workcell.sign(%s, %s, 'approved', %s, NULL)"
AUTH_MESSAGE = re.compile(
    r"^workcell-v1,c=(\d+),n=([0-9a-f]{64}),s=([a-z_][a-z0-9_]*),p=(sign_in|sign|pin_change),"
    r"m=(badge\+pin|username\+pin)$"
)


def item_records(conn: psycopg.Connection[Any], item: int) -> Jsonb:
    row = conn.execute(
        "SELECT version, workcell.record_content_hash('item', id) FROM workcell.item WHERE id = %s",
        (item,),
    ).fetchone()
    assert row is not None
    return Jsonb([{"type": "item", "id": item, "version": row[0], "hash": row[1]}])


def test_replayed_proof_is_refused(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], operator: Person
) -> None:
    """A challenge answered once cannot be answered again with the same proof, at this
    station or another (WC031), and the replay opens no session."""
    a, b = connect("station_sec_a"), connect("station_sec_b")
    ch = challenge(a, operator)
    answer = proof(ch, operator.pin)
    assert a.execute(SIGN_IN, (ch.id, answer)).fetchone() is not None
    with lab.untouched():
        refused("WC031", a, SIGN_IN, [ch.id, answer])
        refused("WC031", b, SIGN_IN, [ch.id, answer])


def test_sign_in_proof_cannot_sign(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], item: int
) -> None:
    """A valid proof for a 'sign_in' challenge is not a signature (WC031), and the same
    person's 'sign' challenge then signs (so the refusal was the purpose)."""
    qa = lab.person(["qa"], prefix="qa")
    a = connect("station_sec_a")
    ch = challenge(a, qa, "sign_in")
    with lab.untouched():
        refused("WC031", a, SIGN, [ch.id, proof(ch, qa.pin), item_records(a, item)])
    good = challenge(a, qa, "sign")
    assert a.execute(SIGN, (good.id, proof(good, qa.pin), item_records(a, item))).fetchall()


@pytest.mark.parametrize(
    ("issued_for", "used_for"),
    [
        ("sign", "sign_in"),
        ("pin_change", "sign_in"),
        ("sign_in", "acknowledge_policy"),
        ("pin_change", "acknowledge_policy"),
        ("sign_in", "change_pin"),
        ("sign", "change_pin"),
    ],
)
def test_challenge_for_another_purpose_is_refused(
    lab: Lab,
    connect: Callable[..., psycopg.Connection[Any]],
    operator: Person,
    issued_for: str,
    used_for: str,
) -> None:
    """A challenge answers only the purpose it was issued for (WC031)."""
    a = connect("station_sec_a")
    ch = challenge(a, operator, issued_for)
    answer = proof(ch, operator.pin)
    new = scram.new_verifier("739146", lab.cost)
    statements = {
        "sign_in": (SIGN_IN, [ch.id, answer]),
        "acknowledge_policy": ("SELECT workcell.acknowledge_policy(%s, %s)", [ch.id, answer]),
        "change_pin": (
            "SELECT workcell.change_pin(%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                ch.id,
                answer,
                new.salt,
                lab.cost.memory_kib,
                lab.cost.time_cost,
                lab.cost.parallelism,
                new.stored_key,
                ["00" * 32] * lab.policy("pin_history"),
            ],
        ),
    }
    statement, params = statements[used_for]
    with lab.untouched():
        refused("WC031", a, statement, params)


def test_challenge_of_another_station_is_refused(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], operator: Person
) -> None:
    """A challenge issued at station A cannot be answered at station B, even with the right
    proof (WC031); station A can still answer it."""
    a, b = connect("station_sec_a"), connect("station_sec_b")
    ch = challenge(a, operator)
    answer = proof(ch, operator.pin)
    with lab.untouched():
        refused("WC031", b, SIGN_IN, [ch.id, answer])
    assert a.execute(SIGN_IN, (ch.id, answer)).fetchone() is not None


def test_challenge_answered_in_its_own_transaction_is_refused(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], operator: Person
) -> None:
    """A challenge must be committed before it is answered: answering it in the transaction
    that created it is refused (WC031), so a guess cannot roll back its own challenge."""
    a = connect("station_sec_a")
    with lab.untouched(), pytest.raises(psycopg.Error) as caught, a.transaction():
        ch = challenge(a, operator)
        a.execute(SIGN_IN, (ch.id, proof(ch, operator.pin)))
    assert caught.value.sqlstate == "WC031"


def test_challenge_created_in_a_savepoint_and_answered_in_the_same_transaction_is_refused(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], operator: Person
) -> None:
    """A challenge created inside a savepoint of the answering transaction is still an
    uncommitted challenge and is refused (WC031)."""
    a = connect("station_sec_sp")
    with pytest.raises(psycopg.Error) as caught, a.transaction():
        with a.transaction():  # SAVEPOINT ... RELEASE SAVEPOINT
            ch = challenge(a, operator)
        a.execute(SIGN_IN, (ch.id, proof(ch, operator.pin)))
    assert caught.value.sqlstate == "WC031"


def test_expired_challenge_is_refused(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], operator: Person
) -> None:
    """A challenge past its expiry cannot be answered, even with the right proof (WC031)."""
    a = connect("station_sec_a")
    ch = challenge(a, operator)
    with lab.superuser() as su:
        su.execute(
            "UPDATE auth.challenge SET expires_at = clock_timestamp() - interval '1 second'"
            " WHERE id = %s",
            (ch.id,),
        )
    with lab.untouched():
        refused("WC031", a, SIGN_IN, [ch.id, proof(ch, operator.pin)])


def test_overtaken_challenge_is_refused(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], operator: Person
) -> None:
    """Of two open challenges for one person only the first answered counts; the other is
    overtaken (WC031), so a station cannot stock up prompts to answer later."""
    a = connect("station_sec_a")
    first, second = challenge(a, operator), challenge(a, operator)
    assert a.execute(SIGN_IN, (second.id, proof(second, operator.pin))).fetchone() is not None
    with lab.untouched():
        refused("WC031", a, SIGN_IN, [first.id, proof(first, operator.pin)])


@pytest.mark.parametrize("challenge_id", [None, 0, -1, 2**62])
def test_unknown_challenge_id_is_refused(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], challenge_id: int | None
) -> None:
    """A challenge id that was never issued is refused like any invalid prompt (WC031)."""
    with lab.untouched():
        refused("WC031", connect("station_sec_a"), SIGN_IN, [challenge_id, "00" * 32])


MALFORMED = {
    "empty": "",
    "null": None,
    "not hex": "zz" * 32,
    "short": "0" * 63,
    "long": "0" * 65,
    "sql": "'; DROP TABLE workcell.users; --",
    "regex": ".*",
    "very long": "ab" * 50_000,
    "unicode": "é" * 64,
    "bytea literal": "\\x" + "00" * 32,
}
# The only messages a refused answer may carry: nothing about decoding or the verifier.
ALLOWED = re.compile(
    r"^(Wrong PIN\. \d+ attempts? left before the account locks"
    r"|Wrong PIN\. .*'s account is now locked after \d+ failed attempts"
    r"|.*'s account is locked)$"
)


def test_malformed_proofs_are_refused_without_leaks(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]]
) -> None:
    """A malformed proof (empty, NULL, not hex, wrong length, SQL, huge) is just a wrong PIN
    (WC032, then WC034 at the limit), with the fixed message and nothing of the verifier."""
    person = lab.person(["operator"])
    conn = connect("station_sec_guess")
    with lab.superuser() as su:
        row = su.execute(
            "SELECT encode(v.stored_key, 'hex'), encode(v.salt, 'hex') FROM auth.pin_verifier v"
            " JOIN workcell.user_pin up ON up.id = v.pin_id WHERE up.user_id = %s",
            (person.id,),
        ).fetchone()
    assert row is not None
    stored_key, salt = row
    cases = dict(MALFORMED)
    correct = challenge(conn, person)
    cases["upper-case hex of the right proof"] = proof(correct, person.pin).upper()
    with lab.untouched():
        for label, bad in cases.items():
            ch = challenge(conn, person)
            err = refused({"WC032", "WC034"}, conn, SIGN_IN, [ch.id, bad])
            text = " ".join(
                str(x or "") for x in (err.diag.message_primary, err.diag.message_detail)
            )
            assert ALLOWED.match(err.diag.message_primary or ""), (label, text)
            assert stored_key not in text and salt not in text, label
            assert "hex" not in text.lower() and "decode" not in text.lower(), label


def shape(ch: Challenge) -> tuple[Any, ...]:
    match = AUTH_MESSAGE.match(ch.auth_message)
    assert match, ch.auth_message
    return (
        len(ch.salt),
        bool(re.fullmatch(r"[0-9a-f]+", ch.salt)),
        ch.cost,
        len(ch.history),
        [sorted(h) for h in ch.history],
        [len(h["salt"]) for h in ch.history],
        match.group(3),
        match.group(4),
        match.group(5),
    )


@pytest.mark.parametrize("purpose", ["sign_in", "sign", "pin_change"])
@pytest.mark.parametrize("method", ["badge+pin", "username+pin"])
def test_unknown_identifier_gets_the_same_shape(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], method: str, purpose: str
) -> None:
    """A challenge for an unknown badge or username, a revoked badge or a person without a
    PIN has the shape of a real one (salt length, cost, history, auth message)."""
    conn = connect("station_sec_a")
    known = lab.person(["operator"])
    no_pin = lab.person(["operator"], pin=False)
    revoked = lab.person(["operator"])
    lab.revoke_badge(revoked)
    real = shape(challenge(conn, known, purpose, method))
    unknown = new_badge() if method == "badge+pin" else unique("nobody")
    assert shape(challenge(conn, unknown, purpose, method)) == real
    assert shape(challenge(conn, no_pin, purpose, method)) == real
    if method == "badge+pin":
        assert shape(challenge(conn, revoked, purpose, method)) == real


@pytest.mark.parametrize("method", ["badge+pin", "username+pin"])
def test_unknown_identifier_salt_is_deterministic(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], method: str
) -> None:
    """An unknown identifier gets the same salt every time (as a real person's PIN does),
    whatever its case or padding, and different identifiers get different salts, so
    repeated look-ups do not reveal who exists."""
    conn = connect("station_sec_a")
    known = lab.person(["operator"])
    unknown = new_badge() if method == "badge+pin" else unique("nobody")
    other = new_badge() if method == "badge+pin" else unique("nobody")
    salts = {challenge(conn, unknown, "sign_in", method).salt for _ in range(3)}
    salts |= {challenge(conn, f"  {unknown.lower()} ", "sign_in", method).salt}
    salts |= {challenge(conn, unknown.upper(), "sign_in", method).salt}
    assert len(salts) == 1
    assert challenge(conn, other, "sign_in", method).salt not in salts
    real = {challenge(conn, known, "sign_in", method).salt for _ in range(3)}
    assert len(real) == 1
    assert real != salts


def test_answer_for_an_unknown_identifier_is_refused_like_a_wrong_pin(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]]
) -> None:
    """Answering an unknown badge's challenge is refused with the same code as a wrong PIN
    (WC032) and names no one."""
    conn = connect("station_sec_guess")
    ch = challenge(conn, new_badge())
    with lab.untouched():
        err = refused("WC032", conn, SIGN_IN, [ch.id, proof(ch, "482913")])
    assert err.diag.message_primary == "Badge or PIN not recognised"


def test_unknown_identifier_shape_survives_a_policy_cost_change(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]]
) -> None:
    """After the policy's argon2id cost changes, a known person's challenge still cannot be
    told from an unknown identifier's by its cost."""
    conn = connect("station_sec_a")
    known = lab.person(["operator"])
    before = lab.policy("argon2_memory_kib")
    lab.set_policy(argon2_memory_kib=before * 2)
    try:
        real = challenge(conn, known, "sign_in", "username+pin")
        fake = challenge(conn, unique("nobody"), "sign_in", "username+pin")
    finally:
        lab.set_policy(argon2_memory_kib=before)
    assert real.cost == fake.cost


def test_wrong_pin_then_right_pin_signs_in(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], operator: Person
) -> None:
    """Control: one wrong answer is refused (WC032) and the right PIN on a new challenge works."""
    conn = connect("station_sec_guess")
    ch = challenge(conn, operator)
    raises("WC032", lambda: conn.execute(SIGN_IN, (ch.id, proof(ch, wrong_pin(operator.pin)))))
    assert sign_in(conn, operator)
