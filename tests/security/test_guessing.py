"""PIN guessing that hides its traces: every guess rolled back, guesses spread over many
people, the sealer's reconciliation kept from running, committed refusals used as cover."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.security.attack import (
    Lab,
    Person,
    challenge,
    new_badge,
    proof,
    raises,
    refused,
    sign_in,
    wrong_pin,
)

pytestmark = pytest.mark.requirement("11.300(d)", "Annex 11 §12")

SIGN_IN = "SELECT * FROM workcell.sign_in(%s, %s)"
RECONCILE = "SELECT workcell.reconcile_counters()"
RECONCILE_LOCK = 1464030022  # pg_try_advisory_xact_lock key in workcell.reconcile_counters


def rolled_back_guess(conn: psycopg.Connection[Any], person: Person) -> str:
    """The challenge committed on its own; then BEGIN; a wrong answer; ROLLBACK."""
    ch = challenge(conn, person)
    conn.execute("BEGIN")
    try:
        conn.execute(SIGN_IN, (ch.id, proof(ch, wrong_pin(person.pin))))
    except psycopg.Error as err:
        return str(err.sqlstate)
    finally:
        conn.execute("ROLLBACK")
    raise AssertionError("a wrong PIN was accepted")


def has_event(events: list[tuple[int, str, int | None, str, str]], text: str) -> bool:
    return any(text in detail for _, _, _, detail, _ in events)


def test_rolled_back_guesses_still_lock_the_person(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]]
) -> None:
    """Ten wrong answers each rolled back still count: the person is locked for the right PIN
    (WC034), and the sealer's reconciliation (run by the station) sets users.status 'locked'
    and records 'unrecorded_failures' naming the station."""
    person = lab.person(["operator"])
    limit = lab.policy("max_failed_attempts")
    conn = connect("station_sec_roll")
    conn.execute(RECONCILE)  # the sealer's previous pass
    since = lab.last_event_id()
    codes = [rolled_back_guess(conn, person) for _ in range(10)]
    assert codes[: limit - 1] == ["WC032"] * (limit - 1)
    assert set(codes[limit - 1 :]) == {"WC034"}
    assert lab.status(person) == "active"  # nothing committed: the count lives in sequences
    with lab.untouched():
        for station in ("station_sec_roll", "station_sec_a"):
            other = connect(station)
            ch = challenge(other, person)
            refused("WC034", other, SIGN_IN, [ch.id, proof(ch, person.pin)])
    conn.execute(RECONCILE)
    assert lab.status(person) == "locked"
    assert has_event(lab.events("unrecorded_failures", since), "station station_sec_roll:")
    assert [e[2] for e in lab.events("account_locked", since)] == [person.id]


def test_guesses_through_savepoint_challenges_are_never_checked(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]]
) -> None:
    """A challenge created in a savepoint of the guessing transaction (and rolled back with it)
    is refused as uncommitted (WC031) before any PIN is checked, so no guess is ever tested."""
    person = lab.person(["operator"])
    conn = connect("station_sec_sp")
    for _ in range(10):
        with pytest.raises(psycopg.Error) as caught, conn.transaction():
            with conn.transaction():  # SAVEPOINT; auth_challenge; RELEASE SAVEPOINT
                ch = challenge(conn, person)
            conn.execute(SIGN_IN, (ch.id, proof(ch, wrong_pin(person.pin))))
        assert caught.value.sqlstate == "WC031"
    assert lab.status(person) == "active"
    assert sign_in(connect("station_sec_a"), person)


def test_burst_against_many_people_blocks_the_station(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]]
) -> None:
    """Wrong answers spread over many people (none reaching their own limit) block the
    station's challenges at the station limit (WC033) and reconciliation records
    'station_blocked' naming the station; the people themselves are not locked."""
    limit = lab.policy("station_failure_limit")
    per_person = lab.policy("max_failed_attempts") - 2
    people = [lab.person(["operator"]) for _ in range(limit // per_person + 1)]
    conn = connect("station_sec_burst")
    conn.execute(RECONCILE)
    since = lab.last_event_id()
    failures, blocked = 0, None
    for _ in range(per_person):
        for person in people:
            try:
                ch = challenge(conn, person)
            except psycopg.Error as err:
                blocked = err
                break
            wrong = proof(ch, wrong_pin(person.pin))
            raises("WC032", lambda ch=ch, wrong=wrong: conn.execute(SIGN_IN, (ch.id, wrong)))
            failures += 1
        if blocked is not None:
            break
    assert blocked is not None and blocked.sqlstate == "WC033", blocked
    assert failures == limit
    newcomer = lab.person(["operator"])
    with lab.untouched():
        for badge in (newcomer.badge, new_badge()):
            refused(
                "WC033",
                conn,
                "SELECT * FROM workcell.auth_challenge('badge+pin', %s, 'sign_in')",
                [badge],
            )
    assert {lab.status(p) for p in people} == {"active"}
    assert sign_in(connect("station_sec_a"), people[0])  # the people are not locked
    conn.execute(RECONCILE)
    assert has_event(lab.events("station_blocked", since), "station station_sec_burst:")


def test_a_station_cannot_keep_reconciliation_from_running(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]]
) -> None:
    """A station holding the reconciliation's advisory lock does not stop rolled-back
    failures from being recorded and the person from being locked."""
    person = lab.person(["operator"])
    conn = connect("station_sec_lock")
    conn.execute(RECONCILE)
    since = lab.last_event_id()
    holder = connect("station_sec_lock")
    holder.execute("SELECT pg_advisory_lock(%s)", (RECONCILE_LOCK,))
    try:
        for _ in range(lab.policy("max_failed_attempts")):
            rolled_back_guess(conn, person)
        with lab.superuser() as sealer:
            sealer.execute(RECONCILE)
        conn.execute(RECONCILE)
        assert lab.status(person) == "locked"
        assert has_event(lab.events("unrecorded_failures", since), "station station_sec_lock:")
    finally:
        holder.execute("SELECT pg_advisory_unlock(%s)", (RECONCILE_LOCK,))


def test_committed_refusals_do_not_cover_rolled_back_guesses(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]]
) -> None:
    """Refusals a station commits for challenges it never answered do not hide its
    rolled-back wrong answers from reconciliation ('unrecorded_failures' naming it)."""
    person = lab.person(["operator"])
    conn = connect("station_sec_mask")
    conn.execute(RECONCILE)
    since = lab.last_event_id()
    guesses = 3
    for _ in range(guesses):
        assert rolled_back_guess(conn, person) == "WC032"
    for _ in range(guesses):
        cover = challenge(conn, new_badge())
        conn.execute("SELECT workcell.record_refusal(%s, 'badge misread')", (cover.id,))
    conn.execute(RECONCILE)
    assert has_event(lab.events("unrecorded_failures", since), "station station_sec_mask:")


def test_lookup_burst_blocks_the_station(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]]
) -> None:
    """More sign-in look-ups than the policy's station limit (known and unknown badges alike)
    block the station's challenges (WC033)."""
    person = lab.person(["operator"])
    conn = connect("station_sec_look")
    before = lab.policy("station_lookup_limit")
    lab.set_policy(station_lookup_limit=20)
    try:
        for i in range(20):
            challenge(conn, new_badge() if i % 2 else person)
        with lab.untouched():
            for badge in (person.badge, new_badge()):
                refused(
                    "WC033",
                    conn,
                    "SELECT * FROM workcell.auth_challenge('badge+pin', %s, 'sign_in')",
                    [badge],
                )
    finally:
        lab.set_policy(station_lookup_limit=before)
    assert sign_in(connect("station_sec_a"), person)
