"""What a station must never read: PIN verifiers, sessions, challenges, counters, badge
digests, the pepper, and anything that would let it compute them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.security.attack import Lab, Person, refused, run, sign_in

pytestmark = pytest.mark.requirement("11.300(d)", "11.10(e)")

SECRET_READS = {
    "pin verifiers": "SELECT * FROM auth.pin_verifier",
    "stored keys": "SELECT stored_key FROM auth.pin_verifier",
    "sessions": "SELECT * FROM auth.session",
    "challenges": "SELECT * FROM auth.challenge",
    "counters": "SELECT * FROM auth.counter",
    "counter bases": "SELECT * FROM auth.counter_base",
    "watermarks": "SELECT * FROM auth.counter_watermark",
    "counter sequence": "SELECT last_value FROM auth.c1_failures",
    "counter by regclass": "SELECT pg_sequence_last_value('auth.c1_failures')",
    "badge hash": "SELECT badge_hash FROM workcell.badge",
    "badge star": "SELECT * FROM workcell.badge",
    "badge whole row": "SELECT b FROM workcell.badge b",
    "badge hash in where": "SELECT id FROM workcell.badge WHERE badge_hash = 'x'",
    "badge hash prefix oracle": "SELECT count(*) FROM workcell.badge WHERE badge_hash LIKE 'a%'",
    "badge hash order oracle": "SELECT id FROM workcell.badge ORDER BY badge_hash",
    "badge digest function": "SELECT workcell.badge_digest('x')",
    "installation secret": "SELECT * FROM workcell.installation_secret",
    "pepper function": "SELECT auth.pepper()",
    "fake salt function": "SELECT auth.fake_salt('x')",
    "token function": "SELECT auth.new_token()",
    "epoch function": "SELECT auth.epoch()",
}


@pytest.mark.parametrize("read", sorted(SECRET_READS))
def test_secret_is_unreadable(lab: Lab, station: psycopg.Connection[Any], read: str) -> None:
    """A station cannot read a secret or an oracle for it (42501), and nothing changes."""
    with lab.untouched():
        refused("42501", station, SECRET_READS[read])


def test_secret_is_unreadable_with_an_admin_session(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]], admin: Person
) -> None:
    """An administrator's valid session opens none of the secrets either (42501)."""
    conn = connect("station_sec_a")
    token = sign_in(conn, admin)
    with lab.untouched():
        for read in sorted(SECRET_READS):
            refused("42501", conn, SECRET_READS[read], token=token)


def test_readable_tables_hold_no_secret(
    lab: Lab, station: psycopg.Connection[Any], connect: Callable[..., psycopg.Connection[Any]]
) -> None:
    """Nothing a station can read (audit trail, access log, security events, people, PIN
    rows) holds a badge UID, a badge digest, a verifier's stored key or salt, or a token."""
    person = lab.person(["operator"])
    token = sign_in(connect("station_sec_a"), person)
    with lab.superuser() as su:
        row = su.execute(
            "SELECT b.badge_hash, encode(v.stored_key, 'hex'), encode(v.salt, 'hex'),"
            " encode(s.token_hash, 'hex')"
            "  FROM workcell.badge b JOIN workcell.user_pin up ON up.user_id = b.user_id"
            "  JOIN auth.pin_verifier v ON v.pin_id = up.id"
            "  JOIN auth.session s ON s.user_id = b.user_id"
            " WHERE b.user_id = %s",
            (person.id,),
        ).fetchone()
    assert row is not None
    assert person.badge is not None
    secrets = {
        "badge uid": person.badge,
        "badge digest": row[0],
        "stored key": row[1],
        "salt": row[2],
        "token hash": row[3],
        "token": token,
    }
    readable = [
        "audit.entry",
        "workcell.access_log",
        "workcell.security_event",
        "workcell.users",
        "workcell.user_pin",
        "workcell.user_role",
        "workcell.identity_verification",
        "workcell.policy_acknowledgement",
        "workcell.station",
    ]
    for table in readable:
        for what, value in secrets.items():
            found = run(
                station, f"SELECT count(*) FROM {table} t WHERE strpos(t::text, %s) > 0", [value]
            )
            assert found == [(0,)], f"{what} readable in {table}"
    # secrets are recorded as keyed digests (migration 0011), never as themselves
    digested = run(
        station,
        "SELECT count(*) FILTER (WHERE after->>'badge_hash' NOT LIKE 'hmac-sha256:%%'),"
        " count(*) FROM audit.entry WHERE table_name = 'workcell.badge' AND operation = 'INSERT'",
    )
    assert digested[0][0] == 0 and digested[0][1] > 0
    verifiers = run(
        station,
        "SELECT count(*) FILTER (WHERE after->>'salt' NOT LIKE 'hmac-sha256:%%'"
        "   OR after->>'stored_key' NOT LIKE 'hmac-sha256:%%'), count(*)"
        " FROM audit.entry WHERE table_name = 'auth.pin_verifier'",
    )
    assert verifiers[0][0] == 0 and verifiers[0][1] > 0


def test_statistics_do_not_leak_badge_digests(lab: Lab, station: psycopg.Connection[Any]) -> None:
    """After ANALYZE, pg_stats shows a station no column statistics of badge_hash or of any
    auth table (where most-common values would carry secrets)."""
    lab.person()
    with lab.superuser() as su:
        su.execute("ANALYZE workcell.badge")
        su.execute("ANALYZE auth.pin_verifier")
        su.execute("ANALYZE auth.session")
    rows = run(
        station,
        "SELECT schemaname, tablename, attname FROM pg_stats"
        " WHERE (schemaname = 'workcell' AND tablename = 'badge' AND attname = 'badge_hash')"
        "    OR schemaname = 'auth'",
    )
    assert rows == []
