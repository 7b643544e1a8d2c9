"""Limits a station cannot lift (issue 11 item 4), attacked as plain station logins.

A station may SET its own statement/lock/idle time-outs to 0: the role defaults are only the
first line. The watchdog (workcell.end_stuck_station_transactions, run by every sealer loop)
is what ends a transaction holding a transaction id or a lock past the policy's limit,
active or idle; a read-only transaction gets the longer report limit. The sealer never waits
for its lock. Every test sets the limits low through the policy function (an administrator
with fresh credentials), waits on the server's own state, never on the clock, and restores
the limits.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from domain.audit.seal import SEAL_LOCK_KEY, seal
from tests.security.attack import (
    DEFAULT_STATION,
    WATCHED,
    Lab,
    challenge,
    proof,
    raises,
    refused,
    run,
    sign_in,
)

pytestmark = pytest.mark.requirement("11.10(d)", "11.300(d)")

LIMITS = ("transaction_limit_s", "idle_limit_s", "report_limit_s", "seal_alarm_s")
WATCHDOG = (
    "SELECT backend_pid, login, was, held_s, holding, rule"
    " FROM workcell.end_stuck_station_transactions()"
)
LIMITED = (*WATCHED, "workcell.station_limits")
Connect = Callable[..., psycopg.Connection[Any]]


def wait_for(predicate: Callable[[], bool], what: str, bound_s: float = 60.0) -> None:
    """Poll the server's state (a bound against a hang, not a timing assertion)."""
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"never saw {what}")


def activity(lab: Lab, pid: int) -> tuple[str | None, float, float] | None:
    """(state, seconds in its transaction, seconds in its state) of a backend, or None."""
    with lab.superuser() as conn:
        row = conn.execute(
            "SELECT state, coalesce(extract(epoch FROM now() - xact_start), 0)::float8,"
            " coalesce(extract(epoch FROM now() - state_change), 0)::float8"
            " FROM pg_stat_activity WHERE pid = %s",
            (pid,),
        ).fetchone()
    return None if row is None else (row[0], float(row[1]), float(row[2]))


def gone(lab: Lab, pid: int) -> bool:
    return activity(lab, pid) is None


def limits_row(lab: Lab) -> dict[str, int]:
    with lab.superuser() as conn:
        row = conn.execute(
            "SELECT " + ", ".join(LIMITS) + " FROM workcell.station_limits WHERE id = 1"
        ).fetchone()
    assert row is not None
    return dict(zip(LIMITS, (int(v) for v in row), strict=True))


@pytest.fixture
def set_limits(lab: Lab, connect: Connect) -> Iterator[Callable[..., None]]:
    """``set_limits(transaction_limit_s=1, ...)`` through workcell.set_station_limits (an
    administrator's fresh credentials and a reason); the limits are restored afterwards."""
    admin = lab.person(["admin"], prefix="lim")
    conn = connect("station_sec_admin")
    token = sign_in(conn, admin)
    before = limits_row(lab)

    def change(**changes: int) -> None:
        ch = challenge(conn, admin, "sign")
        run(
            conn,
            "SELECT workcell.set_station_limits(%s::jsonb, %s, %s, %s)",
            [json.dumps(changes), "security test: limits", ch.id, proof(ch, admin.pin)],
            token=token,
        )

    yield change
    change(**before)


@pytest.fixture
def watchdog(connect: Connect) -> Callable[[], list[tuple[Any, ...]]]:
    """One watchdog pass, run by a station (as the kiosk's sealer loop does)."""
    conn = connect(DEFAULT_STATION)
    return lambda: run(conn, WATCHDOG)


def in_background(conn: psycopg.Connection[Any], statement: str) -> threading.Thread:
    """Run a statement on the victim's connection in a thread; its ending is expected."""

    def target() -> None:
        # terminated by the watchdog (or closed at the end of the test)
        with contextlib.suppress(psycopg.Error):
            conn.execute(statement)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def lift_timeouts(conn: psycopg.Connection[Any]) -> None:
    """What any station may do: its role's time-outs are only defaults."""
    for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"):
        conn.execute(f"SET {name} = 0")
        row = conn.execute(f"SHOW {name}").fetchone()
        assert row == ("0",)


def ended_events(lab: Lab, since: int) -> list[str]:
    return [e[3] for e in lab.events("station_transaction_ended", since)]


def test_station_logins_have_time_outs_in_this_database(lab: Lab, connect: Connect) -> None:
    """Every station login starts with the role's statement, lock and idle time-outs."""
    conn = connect(DEFAULT_STATION)
    for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"):
        row = conn.execute(f"SHOW {name}").fetchone()
        assert row is not None and row[0] not in ("0", "0ms")


def test_active_transaction_holding_a_transaction_id_is_ended(
    lab: Lab, connect: Connect, set_limits: Callable[..., None], watchdog: Callable[[], Any]
) -> None:
    """Time-outs lifted, an xid taken, a statement running for ever: the watchdog ends it
    once its transaction is older than the limit, and records what it held."""
    set_limits(transaction_limit_s=1, idle_limit_s=1, report_limit_s=3600)
    since = lab.last_event_id()
    victim = psycopg.connect(lab.station_dsn(DEFAULT_STATION))
    try:
        lift_timeouts(victim)
        victim.execute("SELECT pg_current_xact_id()")
        pid = victim.info.backend_pid
        thread = in_background(victim, "SELECT pg_sleep(3600)")
        wait_for(
            lambda: (a := activity(lab, pid)) is not None and a[0] == "active" and a[1] > 1.5,
            "the victim active in a transaction older than the limit",
        )
        ended = watchdog()
        assert [r[0] for r in ended] == [pid]
        assert ended[0][1] == DEFAULT_STATION and "transaction id" in ended[0][4]
        assert "holds a transaction id or lock" in ended[0][5]
        wait_for(lambda: gone(lab, pid), "the victim's backend gone")
        thread.join(30)
        events = ended_events(lab, since)
        assert len(events) == 1 and f"pid {pid}" in events[0] and DEFAULT_STATION in events[0]
    finally:
        victim.close()


def test_idle_transaction_holding_a_lock_is_ended(
    lab: Lab, connect: Connect, set_limits: Callable[..., None], watchdog: Callable[[], Any]
) -> None:
    """Idle in transaction with an advisory lock and the idle time-out lifted: ended."""
    set_limits(transaction_limit_s=1, idle_limit_s=1, report_limit_s=3600)
    since = lab.last_event_id()
    victim = psycopg.connect(lab.station_dsn(DEFAULT_STATION))
    try:
        lift_timeouts(victim)
        victim.execute("SELECT pg_advisory_xact_lock(4242)")
        pid = victim.info.backend_pid
        wait_for(
            lambda: (
                (a := activity(lab, pid)) is not None
                and a[0] == "idle in transaction"
                and a[2] > 1.5
            ),
            "the victim idle in transaction past the idle limit",
        )
        ended = watchdog()
        assert [r[0] for r in ended] == [pid] and "idle in transaction" in ended[0][5]
        assert "advisory lock" in ended[0][4]
        wait_for(lambda: gone(lab, pid), "the victim's backend gone")
        with pytest.raises(psycopg.OperationalError):
            victim.execute("SELECT 1")
        assert len(ended_events(lab, since)) == 1
    finally:
        victim.close()


@pytest.mark.parametrize("extra", ["", "SELECT pg_advisory_xact_lock(4243)"])
def test_read_only_transaction_gets_the_report_limit_and_no_more(
    lab: Lab,
    connect: Connect,
    set_limits: Callable[..., None],
    watchdog: Callable[[], Any],
    extra: str,
) -> None:
    """A reading transaction (ACCESS SHARE only, no xid) outlives the write limit; one that
    also takes a lock is a writer whatever it calls itself, and is ended at the write limit."""
    set_limits(transaction_limit_s=1, idle_limit_s=1, report_limit_s=3600)
    reader = psycopg.connect(lab.station_dsn(DEFAULT_STATION))
    try:
        lift_timeouts(reader)
        reader.execute("SET application_name = 'workcell verify report'")
        reader.execute("SELECT count(*) FROM workcell.item")
        if extra:
            reader.execute(extra)
        pid = reader.info.backend_pid
        thread = in_background(reader, "SELECT pg_sleep(3600)")
        wait_for(
            lambda: (a := activity(lab, pid)) is not None and a[0] == "active" and a[1] > 1.5,
            "the reader active past the write limit",
        )
        ended = [r[0] for r in watchdog()]
        if extra:
            assert ended == [pid]
        else:
            assert pid not in ended and activity(lab, pid) is not None
            set_limits(report_limit_s=1)
            assert [r[0] for r in watchdog()] == [pid]
        wait_for(lambda: gone(lab, pid), "the reader's backend gone")
        thread.join(30)
    finally:
        reader.close()


def test_sealer_does_not_wait_behind_a_station_holding_its_lock(
    lab: Lab, connect: Connect, set_limits: Callable[..., None], watchdog: Callable[[], Any]
) -> None:
    """A station takes the sealer's advisory lock at session level and sits on it: the
    sealer reports "blocked" with the holder, a direct audit.seal() is refused (WC050), an
    alarm is recorded past seal_alarm_s, and the watchdog ends the holder."""
    set_limits(transaction_limit_s=1, idle_limit_s=1, report_limit_s=3600, seal_alarm_s=1)
    since = lab.last_event_id()
    holder = connect("station_sec_b")
    holder.execute("SELECT pg_advisory_lock(%s)", (SEAL_LOCK_KEY,))
    pid = holder.info.backend_pid
    engine = create_engine(
        "postgresql+psycopg" + lab.station_dsn(DEFAULT_STATION)[len("postgresql") :],
        poolclass=NullPool,
    )
    try:
        result = seal(engine)
        assert result.blocked is not None and result.sealed == 0
        assert (result.blocked.holder_pid, result.blocked.holder_station) == (pid, "station_sec_b")
        err = refused("WC050", connect(DEFAULT_STATION), "SELECT audit.seal()")
        assert f"pid {pid}" in str(err)
        wait_for(
            lambda: (a := activity(lab, pid)) is not None and a[0] == "idle" and a[2] > 1.5,
            "the holder idle past the limit",
        )
        result = seal(engine)
        assert result.blocked is not None and result.blocked.alarm
        assert len(lab.events("sealing_blocked", since)) == 1
        alarm = run(
            connect(DEFAULT_STATION), "SELECT holder_pid, blocked_events FROM audit.sealing_alarm()"
        )
        assert alarm == [(pid, 1)]
        ended = watchdog()
        assert [r[0] for r in ended] == [pid] and "the sealer's advisory lock" in ended[0][4]
        wait_for(lambda: gone(lab, pid), "the holder's backend gone")
        assert seal(engine).blocked is None
    finally:
        engine.dispose()


def test_a_lock_kept_across_short_transactions_is_still_ended(
    lab: Lab, connect: Connect, set_limits: Callable[..., None], watchdog: Callable[[], Any]
) -> None:
    """A session-level lock kept alive with a statement before every watchdog pass (so its
    transaction and state always look new) is timed from the watchdog's first sighting."""
    set_limits(transaction_limit_s=1, idle_limit_s=1, report_limit_s=3600)
    holder = connect("station_sec_b")
    holder.execute("SELECT pg_advisory_lock(4244)")
    pid = holder.info.backend_pid

    def pass_after_keepalive() -> bool:
        try:
            holder.execute("SELECT 1")  # resets xact_start and state_change
        except psycopg.OperationalError:
            return True
        return pid in [r[0] for r in watchdog()]

    wait_for(pass_after_keepalive, "the watchdog ending the keep-alive holder")
    wait_for(lambda: gone(lab, pid), "the holder's backend gone")


def test_station_cannot_reach_the_watchdog_internals_or_change_the_limits(
    lab: Lab, connect: Connect
) -> None:
    """No station runs the watchdog's internals, writes its state or the limits, or changes
    the limits without an administrator's fresh credentials; nothing changes."""
    station = connect(DEFAULT_STATION)
    other = connect("station_sec_b")
    operator = lab.person(["operator"], prefix="limop")
    token = sign_in(connect("station_sec_a"), operator)
    with lab.untouched(LIMITED):
        for call in (
            "SELECT * FROM auth.station_holds()",
            "SELECT * FROM auth.seal_lock_holder()",
            "SELECT auth.require_watchdog_rights()",
            "SELECT * FROM auth.watchdog_sighting",
            "DELETE FROM auth.watchdog_sighting",
            "UPDATE workcell.station_limits SET transaction_limit_s = 3600",
            "INSERT INTO workcell.field_cap VALUES ('workcell.item', 'x', 'x', 1, 'bytes', 'x')",
            "ALTER TABLE workcell.item DROP CONSTRAINT ck_item_description_len",
        ):
            refused(("42501",), station, call)
        refused(
            ("42501",),
            station,
            "SELECT pg_terminate_backend(%s)",
            [other.info.backend_pid],
        )
        changes = '{"transaction_limit_s": 3600}'
        sql = "SELECT workcell.set_station_limits(%s::jsonb, 'x', NULL, NULL)"
        refused("WC001", station, sql, [changes])
        refused("WC039", connect("station_sec_a"), sql, [changes], token=token)
    assert other.execute("SELECT 1").fetchone() == (1,)


def test_the_watchdog_refuses_to_run_blind(lab: Lab) -> None:
    """Without pg_read_all_stats the owner would see no station's transaction: the watchdog
    says so (WC051) instead of silently ending nothing. (The revocation is rolled back.)"""
    with lab.superuser() as conn:
        row = conn.execute(
            "SELECT pg_has_role('workcell_owner', 'pg_signal_backend', 'USAGE'),"
            " pg_has_role('workcell_owner', 'pg_read_all_stats', 'USAGE')"
        ).fetchone()
        assert row == (True, True), "`workcell db init-roles` grants both to the owner"
        conn.autocommit = False
        try:
            conn.execute("REVOKE pg_read_all_stats FROM workcell_owner")
            err = raises(
                "WC051",
                lambda: conn.execute("SELECT * FROM workcell.end_stuck_station_transactions()"),
            )
            assert "init-roles" in (err.diag.message_hint or "")
        finally:
            conn.rollback()


DRAFT = (
    "INSERT INTO workcell.kiosk_draft (owner_id, station, screen, summary, payload)"
    " VALUES (%s, 'sec', 'items', 'big draft', jsonb_build_object('text', repeat('x', %s)))"
)


def test_oversized_fields_are_refused_and_nothing_changes(lab: Lab, connect: Connect) -> None:
    """A 1 MB draft, an item description and a BOM-sized free text over their caps: each is
    refused by its named constraint and nothing changes."""
    engineer = lab.person(["engineer", "operator"], prefix="limeng")
    station = connect("station_sec_a")
    token = sign_in(station, engineer)
    item = lab.item()
    with lab.untouched((*WATCHED, "workcell.kiosk_draft")):
        err = refused("23514", station, DRAFT, [engineer.id, 1_000_000], token=token)
        assert err.diag.constraint_name == "ck_kiosk_draft_payload_len"
        err = refused(
            "23514",
            station,
            "UPDATE workcell.item SET description = repeat('d', 501), version = version + 1"
            " WHERE id = %s",
            [item],
            token=token,
        )
        assert err.diag.constraint_name == "ck_item_description_len"
    run(station, DRAFT, [engineer.id, 60_000], token=token)  # under the cap: accepted
