"""Account controls (migration 0029) attacked from a plain station login: the dormancy
decision, the lost badge, the account policy and the reader-test records. Every refused
attack leaves every watched table (and the new ones) exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from domain.services import scram
from tests.security.attack import (
    WATCHED,
    Lab,
    Person,
    challenge,
    new_badge,
    new_pin,
    proof,
    refused,
    run,
    sign_in,
    unique,
)

NEW_TABLES = (
    "workcell.account_policy",
    "workcell.dormancy_decision",
    "workcell.reader_test",
)
ALL = (*WATCHED, *NEW_TABLES)

DESK = "station_sec_admin"  # username + PIN and badge + PIN, concurrent sessions
KIOSK = "station_sec_b"  # a floor kiosk: badge + PIN only

DISABLE = "SELECT workcell.disable_dormant_accounts(%s::text[], %s, %s, %s)"
LOST = "SELECT workcell.report_badge_lost(%s, %s)"
POLICY = "SELECT workcell.set_account_policy(%s, %s, %s, %s, %s)"
SIGN_IN = "SELECT * FROM workcell.sign_in(%s, %s)"
READER = "SELECT workcell.record_reader_test(%s, %s, %s, %s, %s, %s)"


def dormant_person(lab: Lab, days: int = 400, roles: tuple[str, ...] = ("operator",)) -> Person:
    """A person created ``days`` ago (owner-side) who has not proved themselves since."""
    username, secret, uid = unique("dm"), new_pin(), new_badge()
    verifier = scram.new_verifier(secret, lab.cost)
    with lab.owner("security test: a dormant person") as conn:
        row = conn.execute(
            "INSERT INTO workcell.users (username, printed_name, created_at)"
            " VALUES (%s, %s, now() - make_interval(days => %s)) RETURNING id",
            (username, f"Sec {username.title()}", days),
        ).fetchone()
        assert row is not None
        user_id = int(row[0])
        for role in roles:
            conn.execute(
                "INSERT INTO workcell.user_role (user_id, role) VALUES (%s, %s)", (user_id, role)
            )
        conn.execute(
            "SELECT auth.store_verifier(%s, false, %s, %s, %s, %s, %s)",
            (user_id, verifier.salt, lab.cost.memory_kib, lab.cost.time_cost,
             lab.cost.parallelism, verifier.stored_key),
        )  # fmt: skip
        conn.execute(
            "INSERT INTO workcell.badge (user_id, badge_hash)"
            " VALUES (%s, workcell.badge_digest(%s))",
            (user_id, uid),
        )
    return Person(user_id, username, f"Sec {username.title()}", secret, uid)


def badge_id(lab: Lab, person: Person) -> int:
    with lab.superuser() as conn:
        row = conn.execute(
            "SELECT max(id) FROM workcell.badge WHERE user_id = %s", (person.id,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def count(lab: Lab, query: str, params: tuple[Any, ...] = ()) -> int:
    with lab.superuser() as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def desk(connect: Callable[..., psycopg.Connection[Any]]) -> psycopg.Connection[Any]:
    return connect(DESK)


@pytest.fixture
def kiosk(connect: Callable[..., psycopg.Connection[Any]]) -> psycopg.Connection[Any]:
    return connect(KIOSK)


# -- the dormancy decision -----------------------------------------------------------------


@pytest.mark.requirement("11.300(b)", "11.10(d)", "11.10(g)")
def test_disabling_dormant_accounts_needs_a_session_the_permission_and_proof(
    lab: Lab, station: psycopg.Connection[Any], desk: psycopg.Connection[Any], admin: Person
) -> None:
    """No token, a forged system actor, an operator's session (WC039), an administrator's
    session with no proof or a made-up one (WC031), or with another person's valid proof
    (WC012): each refused, the dormant account stays active, nothing is written."""
    target = dormant_person(lab)
    operator = lab.person(["operator"], prefix="op")
    names = [target.username]
    op_token = sign_in(desk, operator, "username+pin")
    token = sign_in(desk, admin, "username+pin")
    with lab.untouched(ALL):
        refused("WC001", station, DISABLE, [names, "x", None, None])
        refused(
            "WC001", station, DISABLE, [names, "x", None, None],
            settings=[("workcell.system_actor", "system")],
        )  # fmt: skip
        refused("WC039", desk, DISABLE, [names, "x", None, None], token=op_token)
        refused("WC031", desk, DISABLE, [names, "x", None, None], token=token)
        refused("WC031", desk, DISABLE, [names, "x", 999999999, "0" * 64], token=token)
        other = challenge(desk, operator, "sign", "username+pin")
        refused(
            "WC012", desk, DISABLE, [names, "x", other.id, proof(other, operator.pin)],
            token=token,
        )  # fmt: skip
    assert lab.status(target) == "active"


@pytest.mark.requirement("11.300(b)")
def test_a_decision_naming_an_account_in_use_is_refused_whole(
    lab: Lab, desk: psycopg.Connection[Any], admin: Person
) -> None:
    """With a valid proof, a list holding one account that is not dormant (a fresh one, or
    an old one that signed in yesterday) refuses the whole decision (WC170): the dormant
    account listed with it stays active, and no decision is recorded."""
    dormant = dormant_person(lab)
    used = dormant_person(lab)
    sign_in(desk, used)  # proves themselves now: no longer dormant
    fresh = lab.person(["operator"], prefix="fr")
    token = sign_in(desk, admin, "username+pin")
    for other in (used, fresh):
        with lab.untouched(ALL):
            ch = challenge(desk, admin, "sign", "username+pin")
            err = refused(
                "WC170", desk, DISABLE,
                [[dormant.username, other.username], "review", ch.id, proof(ch, admin.pin)],
                token=token,
            )  # fmt: skip
            assert other.username in str(err)
    assert lab.status(dormant) == "active"


@pytest.mark.requirement("11.300(b)", "11.10(e)")
def test_a_signed_decision_disables_the_dormant_accounts_audited(
    lab: Lab, desk: psycopg.Connection[Any], kiosk: psycopg.Connection[Any], admin: Person
) -> None:
    """The administrator's fresh proof disables every listed dormant account at once: one
    decision row naming them and the access-log line of the proof, a security event each,
    the audit trail with the reason; the account cannot sign in afterwards (WC036), and the
    proof cannot be replayed for another decision (WC031)."""
    first, second = dormant_person(lab), dormant_person(lab, days=120)
    token = sign_in(desk, admin, "username+pin")
    ch = challenge(desk, admin, "sign", "username+pin")
    rows = run(
        desk, DISABLE,
        [[first.username, second.username], "quarterly review", ch.id, proof(ch, admin.pin)],
        token=token,
    )  # fmt: skip
    decision = int(rows[0][0])
    assert lab.status(first) == lab.status(second) == "disabled"
    with lab.superuser() as conn:
        row = conn.execute(
            "SELECT d.decided_by, d.user_ids, d.reason, a.user_id, a.challenge_id"
            " FROM workcell.dormancy_decision d"
            " JOIN workcell.access_log a ON a.id = d.access_log_id"
            " WHERE d.id = %s",
            (decision,),
        ).fetchone()
        assert row == (admin.id, [first.id, second.id], "quarterly review", admin.id, ch.id)
        audited = conn.execute(
            "SELECT count(*) FROM audit.entry WHERE table_name = 'workcell.users'"
            " AND record_key IN (%s, %s) AND reason = 'quarterly review'",
            (str(first.id), str(second.id)),
        ).fetchone()
        assert audited is not None and audited[0] == 2
    events = {e[2] for e in lab.events("dormant_account_disabled")}
    assert {first.id, second.id} <= events
    replayed = [[dormant_person(lab).username], "replay", ch.id, proof(ch, admin.pin)]
    ch = challenge(kiosk, first)
    with lab.untouched(ALL):
        refused("WC036", kiosk, SIGN_IN, [ch.id, proof(ch, first.pin)])
        # the decision's proof is spent: replaying it decides nothing more
        refused("WC031", desk, DISABLE, replayed, token=token)


@pytest.mark.requirement("11.300(b)", "11.10(g)")
def test_nobody_disables_themselves_or_the_last_admin_this_way(
    lab: Lab, desk: psycopg.Connection[Any], admin: Person
) -> None:
    """A dormant account of one's own is refused (WC012), a malformed list too (WC171:
    empty, repeated)."""
    token = sign_in(desk, admin, "username+pin")
    target = dormant_person(lab)
    with lab.untouched(ALL):
        for names in ([admin.username], [], [target.username, target.username]):
            ch = challenge(desk, admin, "sign", "username+pin")
            refused(
                {"WC012", "WC170", "WC171"}, desk, DISABLE,
                [names, "x", ch.id, proof(ch, admin.pin)], token=token,
            )  # fmt: skip
    assert lab.status(target) == "active"


# -- the account policy --------------------------------------------------------------------


@pytest.mark.requirement("11.300(b)", "11.10(g)")
def test_the_dormancy_setting_cannot_be_changed_by_a_station(
    lab: Lab, station: psycopg.Connection[Any], desk: psycopg.Connection[Any], admin: Person
) -> None:
    """A direct UPDATE/INSERT/DELETE of the policy row is refused (42501) even in an
    administrator's session; the function without a session (WC001), without proof
    (WC031), or with nothing to change (WC174) changes nothing."""
    token = sign_in(desk, admin, "username+pin")
    with lab.untouched(ALL):
        for stmt in (
            "UPDATE workcell.account_policy SET dormant_after_days = 3650",
            "DELETE FROM workcell.account_policy",
            "INSERT INTO workcell.account_policy (id) VALUES (2)",
        ):
            refused("42501", station, stmt)
            refused("42501", desk, stmt, token=token)
        refused("WC001", station, POLICY, [3650, None, "x", None, None])
        refused("WC031", desk, POLICY, [3650, None, "x", None, None], token=token)
        ch = challenge(desk, admin, "sign", "username+pin")
        refused("WC174", desk, POLICY, [None, None, "x", ch.id, proof(ch, admin.pin)], token=token)
        ch = challenge(desk, admin, "sign", "username+pin")
        refused("23514", desk, POLICY, [1, None, "x", ch.id, proof(ch, admin.pin)], token=token)


# -- lost badges ---------------------------------------------------------------------------


@pytest.mark.requirement("11.300(c)", "11.10(g)")
def test_reporting_a_badge_lost_needs_user_administer(
    lab: Lab, station: psycopg.Connection[Any], desk: psycopg.Connection[Any], operator: Person
) -> None:
    """Without a session (WC001) or with an operator's own (WC039) — even for their own
    badge — nothing is revoked."""
    own = badge_id(lab, operator)
    token = sign_in(desk, operator)
    with lab.untouched(ALL):
        refused("WC001", station, LOST, [own, "lost"])
        refused("WC039", desk, LOST, [own, "lost"], token=token)
        refused("WC039", desk, "SELECT workcell.revoke_badge(%s, 'x')", [own], token=token)


@pytest.mark.requirement("11.300(c)", "11.10(d)")
def test_a_badge_reported_lost_is_refused_everywhere_from_the_next_statement(
    lab: Lab,
    desk: psycopg.Connection[Any],
    kiosk: psycopg.Connection[Any],
    connect: Callable[..., psycopg.Connection[Any]],
    admin: Person,
) -> None:
    """Prompts issued for the badge before the report (a sign-in at one kiosk, a signature
    at another) can no longer be answered (WC031); a new prompt is refused as revoked
    (WC037); the holder's badge session at a kiosk ends (WC002); security events say so."""
    holder = lab.person(["operator"], prefix="ls")
    other_kiosk = connect("station_sec_lock")
    held = sign_in(other_kiosk, holder)
    pending_sign_in = challenge(kiosk, holder, "sign_in")
    pending_sign = challenge(other_kiosk, holder, "sign")
    token = sign_in(desk, admin, "username+pin")
    before = lab.last_event_id()
    run(desk, LOST, [badge_id(lab, holder), "reported by phone, lost in the car park"], token=token)
    refused(
        "WC031", kiosk, SIGN_IN,
        [pending_sign_in.id, proof(pending_sign_in, holder.pin)],
    )  # fmt: skip
    refused(
        "WC031", other_kiosk,
        "SELECT * FROM workcell.sign(%s, %s, 'approved', %s::jsonb)",
        [pending_sign.id, proof(pending_sign, holder.pin), '[{"type": "item", "id": 1}]'],
    )  # fmt: skip
    fresh = challenge(kiosk, holder, "sign_in")
    refused(
        "WC037",
        kiosk,
        "SELECT * FROM workcell.sign_in(%s, %s)",
        [fresh.id, proof(fresh, holder.pin)],
    )
    refused("WC002", other_kiosk, "SELECT workcell.touch_session()", token=held)
    kinds = {e[4] for e in lab.events("badge_reported_lost", before)} | {
        e[4] for e in lab.events("badge_revoked", before)
    }
    assert kinds == {"badge_reported_lost", "badge_revoked"}
    with lab.superuser() as conn:
        row = conn.execute(
            "SELECT revoked_by, revoke_reason FROM workcell.badge WHERE id = %s",
            (badge_id(lab, holder),),
        ).fetchone()
    assert row == (admin.id, "reported lost: reported by phone, lost in the car park")


# -- reader tests --------------------------------------------------------------------------


@pytest.mark.requirement("11.300(e)", "11.10(e)")
def test_reader_tests_cannot_be_written_changed_or_deleted_directly(
    lab: Lab, station: psycopg.Connection[Any], desk: psycopg.Connection[Any], admin: Person
) -> None:
    """INSERT, UPDATE and DELETE on reader_test and dormancy_decision are refused (42501)
    with or without an administrator's session; so is TRUNCATE."""
    token = sign_in(desk, admin, "username+pin")
    with lab.untouched(ALL):
        for stmt in (
            "INSERT INTO workcell.reader_test (station_id, reader, result, access_log_id, badge_id)"
            " SELECT id, 'fake', 'pass', 1, 1 FROM workcell.station LIMIT 1",
            "UPDATE workcell.reader_test SET result = 'pass'",
            "DELETE FROM workcell.reader_test",
            "TRUNCATE workcell.reader_test",
            "INSERT INTO workcell.dormancy_decision (dormant_after_days, user_ids, usernames,"
            " reason, access_log_id) VALUES (90, '{1}', 'x', 'x', 1)",
            "UPDATE workcell.dormancy_decision SET reason = 'x'",
            "DELETE FROM workcell.dormancy_decision",
        ):
            refused("42501", station, stmt)
            refused("42501", desk, stmt, token=token)


@pytest.mark.requirement("11.300(e)", "11.10(g)", "11.10(h)")
def test_a_fake_reader_test_is_refused(
    lab: Lab,
    station: psycopg.Connection[Any],
    desk: psycopg.Connection[Any],
    kiosk: psycopg.Connection[Any],
    operator: Person,
) -> None:
    """No session (WC001); an operator (no reader.test, WC039); a supervisor with no proof
    (WC031); a pass proven by username + PIN (no card read, WC172); a pass claimed for
    another station than the one the card was read at (WC172); a failure without what
    failed (WC172): no test is recorded."""
    sup = lab.person(["supervisor"], prefix="sv")
    op_token = sign_in(kiosk, operator)
    with lab.untouched(ALL):
        refused("WC001", station, READER, ["sec-b", "r1", "pass", "", None, None])
        ch = challenge(kiosk, operator, "sign")
        refused(
            "WC039", kiosk, READER, ["sec-b", "r1", "pass", "", ch.id, proof(ch, operator.pin)],
            token=op_token,
        )  # fmt: skip
    token = sign_in(desk, sup, "username+pin")
    with lab.untouched(ALL):
        refused("WC031", desk, READER, ["sec-admin", "r1", "pass", "", None, None], token=token)
        ch = challenge(desk, sup, "sign", "username+pin")
        refused(
            "WC172", desk, READER, ["sec-admin", "r1", "pass", "", ch.id, proof(ch, sup.pin)],
            token=token,
        )  # fmt: skip
        ch = challenge(desk, sup, "sign")
        refused(
            "WC172", desk, READER, ["sec-b", "r1", "pass", "", ch.id, proof(ch, sup.pin)],
            token=token,
        )  # fmt: skip
        ch = challenge(desk, sup, "sign")
        refused(
            "WC172", desk, READER, ["sec-b", "r1", "fail", "  ", ch.id, proof(ch, sup.pin)],
            token=token,
        )  # fmt: skip
        ch = challenge(desk, sup, "sign")
        refused(
            "WC172", desk, READER, ["sec-b", "r1", "maybe", "x", ch.id, proof(ch, sup.pin)],
            token=token,
        )  # fmt: skip


@pytest.mark.requirement("11.300(e)")
def test_a_pass_is_the_testers_card_read_at_the_station_and_clears_overdue(
    lab: Lab, kiosk: psycopg.Connection[Any], desk: psycopg.Connection[Any]
) -> None:
    """A supervisor taps their badge at the kiosk and enters their PIN: the test is
    recorded with the station, reader, the card read, the tester and the access-log line,
    and the kiosk is no longer overdue; a failure recorded from the desk for the kiosk is a
    security event and does not clear it."""
    sup = lab.person(["supervisor"], prefix="sv")
    status = "SELECT overdue, last_result FROM workcell.reader_test_status() WHERE station = %s"
    desk_token = sign_in(desk, sup, "username+pin")
    before = run(desk, status, ["sec-b"], token=desk_token)
    token = sign_in(kiosk, sup)
    ch = challenge(kiosk, sup, "sign")
    test_id = int(
        run(kiosk, READER, ["sec-b", "ACS ACR122U", "pass", "", ch.id, proof(ch, sup.pin)],
            token=token)[0][0]
    )  # fmt: skip
    with lab.superuser() as conn:
        row = conn.execute(
            "SELECT st.name, rt.reader, rt.badge_id, rt.tested_by, a.user_id, a.challenge_id"
            " FROM workcell.reader_test rt JOIN workcell.station st ON st.id = rt.station_id"
            " JOIN workcell.access_log a ON a.id = rt.access_log_id WHERE rt.id = %s",
            (test_id,),
        ).fetchone()
    assert row == ("sec-b", "ACS ACR122U", badge_id(lab, sup), sup.id, sup.id, ch.id)
    desk_token = sign_in(desk, sup, "username+pin")
    assert run(desk, status, ["sec-b"], token=desk_token) == [(False, "pass")]
    since = lab.last_event_id()
    ch = challenge(desk, sup, "sign", "username+pin")
    run(
        desk, READER, ["sec-b", "ACS ACR122U", "fail", "no beep", ch.id, proof(ch, sup.pin)],
        token=desk_token,
    )  # fmt: skip
    assert [e[3] for e in lab.events("reader_test_failed", since)] == [
        "sec-b, reader ACS ACR122U: no beep"
    ]
    assert run(desk, status, ["sec-b"], token=desk_token) == [(False, "fail")]
    assert before and before[0][0] in (True, False)


@pytest.mark.requirement("11.300(b)", "11.300(e)", "11.10(d)")
def test_the_review_and_overdue_report_need_security_view(
    lab: Lab, station: psycopg.Connection[Any], desk: psycopg.Connection[Any], operator: Person
) -> None:
    """Without a session (WC001) or as an operator (WC039), neither the account review nor
    the reader-test status is answered."""
    token = sign_in(desk, operator, "username+pin")
    for stmt in (
        "SELECT * FROM workcell.account_review()",
        "SELECT * FROM workcell.reader_test_status()",
    ):
        refused("WC001", station, stmt)
        refused("WC039", desk, stmt, token=token)


@pytest.mark.requirement("11.300(b)")
def test_the_review_lists_last_sign_in_and_dormancy(
    lab: Lab, desk: psycopg.Connection[Any], kiosk: psycopg.Connection[Any], admin: Person
) -> None:
    """The review lists a dormant person as dormant with no sign-in, and a person who just
    signed in with that sign-in time and not dormant."""
    dormant = dormant_person(lab)
    active = dormant_person(lab)
    sign_in(kiosk, active)
    token = sign_in(desk, admin, "username+pin")
    rows = {
        r[0]: r[1:]
        for r in run(
            desk,
            "SELECT username, dormant, last_sign_in IS NOT NULL, roles, active_badges"
            " FROM workcell.account_review()",
            token=token,
        )
    }
    assert rows[dormant.username] == (True, False, "operator", 1)
    assert rows[active.username] == (False, True, "operator", 1)
    assert rows[admin.username][0] is False
