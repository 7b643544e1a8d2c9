"""Administration through the functions, by people with valid sessions who must not be
able to do what they try: grant themselves roles, reset their own PIN, unlock without
fresh credentials, remove the last administrator, disable themselves."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from domain.services import scram
from tests.conftest import drop_test_database
from tests.security.attack import (
    Lab,
    Person,
    challenge,
    new_badge,
    new_pin,
    open_lab,
    proof,
    refused,
    run,
    sign_in,
)

pytestmark = pytest.mark.requirement("11.10(g)")

STATION = "station_sec_admin"
SIGN_IN = "SELECT * FROM workcell.sign_in(%s, %s)"
UNLOCK = "SELECT workcell.unlock_user(%s, 'security test: unlock', %s, %s)"


@pytest.fixture
def desk(connect: Callable[..., psycopg.Connection[Any]]) -> psycopg.Connection[Any]:
    """The admin terminal the people below sign in at."""
    return connect(STATION)


def set_pin_params(lab: Lab, username: str, pin: str, reason: str = "security test") -> list[Any]:
    v = scram.new_verifier(pin, lab.cost)
    c = lab.cost
    return [username, v.salt, c.memory_kib, c.time_cost, c.parallelism, v.stored_key, reason]


ADMIN_SET_PIN = "SELECT workcell.admin_set_pin(%s, %s, %s, %s, %s, %s, %s)"


def test_self_grant_is_refused(lab: Lab, desk: psycopg.Connection[Any], admin: Person) -> None:
    """An administrator cannot grant a role to themselves (WC012)."""
    token = sign_in(desk, admin)
    with lab.untouched():
        for role in ("qa", "supervisor", "admin"):
            refused(
                "WC012",
                desk,
                "SELECT workcell.grant_role(%s, %s)",
                [admin.username, role],
                token=token,
            )


def test_grant_without_role_grant_permission_is_refused(
    lab: Lab, desk: psycopg.Connection[Any], operator: Person, admin: Person
) -> None:
    """Someone without role.grant cannot grant anyone anything, themselves included (WC039)."""
    qa = lab.person(["qa", "supervisor"], prefix="qa")
    for who in (operator, qa):
        token = sign_in(desk, who)
        with lab.untouched():
            for target in (who.username, admin.username, operator.username):
                refused(
                    "WC039",
                    desk,
                    "SELECT workcell.grant_role(%s, 'admin')",
                    [target],
                    token=token,
                )


Call = Callable[[Lab, str, str], tuple[str, list[Any]]]

# (statement, parameters) for an operator ``me`` acting on an administrator ``other``.
ADMIN_ONLY: dict[str, Call] = {
    "add_user": lambda lab, me, other: ("SELECT workcell.add_user('mallory', 'Mallory')", []),
    "issue_badge": lambda lab, me, other: (
        "SELECT workcell.issue_badge(%s, %s, NULL)",
        [me, new_badge()],
    ),
    "lock_user": lambda lab, me, other: ("SELECT workcell.lock_user(%s, 'attack')", [other]),
    "disable_user": lambda lab, me, other: ("SELECT workcell.disable_user(%s, 'attack')", [other]),
    "revoke_role": lambda lab, me, other: (
        "SELECT workcell.revoke_role(%s, 'admin', 'attack')",
        [other],
    ),
    "admin_set_pin": lambda lab, me, other: (ADMIN_SET_PIN, set_pin_params(lab, me, new_pin())),
    "verify_identity": lambda lab, me, other: (
        "SELECT workcell.verify_identity(%s, 'I say so')",
        [me],
    ),
    "set_identity_policy": lambda lab, me, other: (
        lab.set_identity_policy_sql(),
        ['{"max_failed_attempts": 10}', "attack"],
    ),
    "clear_station": lambda lab, me, other: (
        "SELECT workcell.clear_station('sec-burst', 'attack')",
        [],
    ),
    "set_station_enabled": lambda lab, me, other: (
        "SELECT workcell.set_station_enabled('sec-b', false, 'attack')",
        [],
    ),
}


@pytest.mark.parametrize("call", sorted(ADMIN_ONLY))
def test_administration_without_permission_is_refused(
    lab: Lab, desk: psycopg.Connection[Any], operator: Person, admin: Person, call: str
) -> None:
    """An operator's valid session cannot administer people, badges, policy or stations (WC039)."""
    statement, params = ADMIN_ONLY[call](lab, operator.username, admin.username)
    token = sign_in(desk, operator)
    with lab.untouched():
        refused("WC039", desk, statement, params, token=token)


def test_admin_cannot_set_their_own_pin(
    lab: Lab, desk: psycopg.Connection[Any], admin: Person
) -> None:
    """An administrator cannot reset their own PIN through admin_set_pin (WC012)."""
    token = sign_in(desk, admin)
    with lab.untouched():
        refused(
            "WC012",
            desk,
            ADMIN_SET_PIN,
            set_pin_params(lab, admin.username, new_pin()),
            token=token,
        )


def test_admin_cannot_store_a_weaker_verifier(
    lab: Lab, desk: psycopg.Connection[Any], admin: Person, operator: Person
) -> None:
    """An administrator cannot store a PIN derived with less than the policy's argon2id cost,
    nor a verifier that is not a salt and a 32-byte key (22023)."""
    token = sign_in(desk, admin)
    weak = scram.Cost(8, 1, 1)
    v = scram.new_verifier("739146", weak)
    with lab.untouched():
        refused(
            "22023",
            desk,
            ADMIN_SET_PIN,
            [operator.username, v.salt, 8, 1, 1, v.stored_key, "weak"],
            token=token,
        )
        c = lab.cost
        for salt, key in (("00", "00" * 32), ("00" * 16, "00"), ("'; --", "00" * 32)):
            refused(
                "22023",
                desk,
                ADMIN_SET_PIN,
                [operator.username, salt, c.memory_kib, c.time_cost, c.parallelism, key, "bad"],
                token=token,
            )


def test_unlock_without_fresh_admin_credentials_is_refused(
    lab: Lab, desk: psycopg.Connection[Any], admin: Person, operator: Person
) -> None:
    """Unlocking needs the signed-in administrator's own fresh 'sign' proof: none (WC031), a
    used one (WC031), a sign-in purpose one (WC031), a wrong PIN (WC032) or another person's
    (WC012) is refused, and the person stays locked; a fresh one unlocks (control)."""
    locked = lab.person(["operator"])
    lab.lock(locked)
    token = sign_in(desk, admin)
    used = challenge(desk, admin, "sign")
    used_proof = proof(used, admin.pin)
    run(desk, "SELECT workcell.acknowledge_policy(%s, %s)", [used.id, used_proof])
    with lab.untouched():
        refused("WC031", desk, UNLOCK, [locked.username, None, None], token=token)
        refused("WC031", desk, UNLOCK, [locked.username, used.id, used_proof], token=token)
        wrong_purpose = challenge(desk, admin, "sign_in")
        refused(
            "WC031",
            desk,
            UNLOCK,
            [locked.username, wrong_purpose.id, proof(wrong_purpose, admin.pin)],
            token=token,
        )
        someone_else = challenge(desk, operator, "sign")
        refused(
            "WC012",
            desk,
            UNLOCK,
            [locked.username, someone_else.id, proof(someone_else, operator.pin)],
            token=token,
        )
        wrong = challenge(desk, admin, "sign")
        refused(
            "WC032", desk, UNLOCK, [locked.username, wrong.id, proof(wrong, "000000")], token=token
        )
        fresh = challenge(desk, admin, "sign")
        refused(  # no session: the credentials alone do not make an administrator
            "WC001", desk, UNLOCK, [locked.username, fresh.id, proof(fresh, admin.pin)]
        )
    assert lab.status(locked) == "locked"
    fresh = challenge(desk, admin, "sign")
    run(desk, UNLOCK, [locked.username, fresh.id, proof(fresh, admin.pin)], token=token)
    assert lab.status(locked) == "active"


def test_admin_cannot_unlock_themselves(
    lab: Lab, desk: psycopg.Connection[Any], admin: Person
) -> None:
    """An administrator cannot lock or unlock their own account (WC012)."""
    token = sign_in(desk, admin)
    fresh = challenge(desk, admin, "sign")
    with lab.untouched():
        refused(
            "WC012", desk, UNLOCK, [admin.username, fresh.id, proof(fresh, admin.pin)], token=token
        )
        refused("WC012", desk, "SELECT workcell.lock_user(%s, 'x')", [admin.username], token=token)


def test_last_admin_role_cannot_be_revoked(
    lab: Lab, desk: psycopg.Connection[Any], admin: Person
) -> None:
    """An administrator cannot remove their own admin role, which is the only way the last
    administrator could lose it through a session (WC012)."""
    token = sign_in(desk, admin)
    with lab.untouched():
        refused(
            "WC012",
            desk,
            "SELECT workcell.revoke_role(%s, 'admin', 'attack')",
            [admin.username],
            token=token,
        )


def active_admins(lab: Lab) -> int:
    with lab.superuser() as su:
        row = su.execute(
            "SELECT count(*) FROM workcell.users u JOIN workcell.user_role r"
            " ON r.user_id = u.id AND r.role = 'admin' WHERE u.status = 'active'"
        ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def two_admin_lab() -> Iterator[Lab]:
    """A database of its own whose only people are two administrators."""
    opened = open_lab("wcsec2")
    try:
        yield opened
    finally:
        drop_test_database(opened.db)


@pytest.mark.parametrize(
    "removal",
    [
        "SELECT workcell.revoke_role(%s, 'admin', 'security test: race')",
        "SELECT workcell.disable_user(%s, 'security test: race')",
    ],
    ids=["revoke_role", "disable_user"],
)
def test_concurrent_removals_cannot_remove_every_admin(two_admin_lab: Lab, removal: str) -> None:
    """Two administrators removing each other (admin role or account) at the same time leave
    at least one active administrator: the second removal waits for the first and is then
    refused (WC012)."""
    lab = two_admin_lab
    a, b = lab.person(["admin"], prefix="adm"), lab.person(["admin"], prefix="adm")
    assert active_admins(lab) == 2
    with lab.station(STATION) as ca, lab.station(STATION) as cb:
        ta, tb = sign_in(ca, a), sign_in(cb, b)
        ca.execute("BEGIN")
        ca.execute("SELECT set_config('workcell.session', %s, true)", (ta,))
        ca.execute(removal, (b.username,))  # holds the administrators' rows
        second: dict[str, str] = {}

        def remove_a() -> None:
            try:
                with cb.transaction():
                    cb.execute("SELECT set_config('workcell.session', %s, true)", (tb,))
                    cb.execute(removal, (a.username,))
                second["outcome"] = "ok"
            except psycopg.Error as err:
                second["outcome"] = str(err.sqlstate)

        worker = threading.Thread(target=remove_a)
        worker.start()
        wait_until_blocked(lab, cb)
        ca.execute("COMMIT")
        worker.join(timeout=30)
        assert not worker.is_alive()
    assert active_admins(lab) >= 1, second
    assert second["outcome"] in ("WC012", "WC002"), second


def test_admin_cannot_disable_themselves(
    lab: Lab, desk: psycopg.Connection[Any], admin: Person
) -> None:
    """An administrator cannot disable their own account (WC012)."""
    token = sign_in(desk, admin)
    with lab.untouched():
        refused(
            "WC012",
            desk,
            "SELECT workcell.disable_user(%s, 'attack')",
            [admin.username],
            token=token,
        )


def test_admin_cannot_verify_their_own_identity(
    lab: Lab, desk: psycopg.Connection[Any], admin: Person
) -> None:
    """Nobody records the verification of their own identity (WC012)."""
    token = sign_in(desk, admin)
    with lab.untouched():
        refused(
            "WC012",
            desk,
            "SELECT workcell.verify_identity(%s, 'I say so')",
            [admin.username],
            token=token,
        )


def test_admin_set_pin_is_temporary(
    lab: Lab, desk: psycopg.Connection[Any], admin: Person, operator: Person
) -> None:
    """A PIN an administrator sets is temporary: signing in with it is refused (WC035) and so
    is signing; it only serves to choose a new PIN."""
    token = sign_in(desk, admin)
    pin = new_pin()
    run(desk, ADMIN_SET_PIN, set_pin_params(lab, operator.username, pin), token=token)
    with lab.superuser() as su:
        row = su.execute(
            "SELECT temporary FROM workcell.user_pin WHERE user_id = %s ORDER BY id DESC LIMIT 1",
            (operator.id,),
        ).fetchone()
    assert row == (True,)
    with lab.untouched():
        ch = challenge(desk, operator, "sign_in")
        refused("WC035", desk, SIGN_IN, [ch.id, proof(ch, pin)])
        ch = challenge(desk, operator, "sign")
        refused(
            "WC035", desk, "SELECT workcell.acknowledge_policy(%s, %s)", [ch.id, proof(ch, pin)]
        )


def wait_until_blocked(lab: Lab, conn: psycopg.Connection[Any], timeout: float = 30.0) -> None:
    """Until the backend of ``conn`` waits on a lock (state, not a sleep of fixed length)."""
    pid = conn.info.backend_pid
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with lab.superuser() as owner:
            row = owner.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone()
        if row and row[0] == "Lock":
            return
        time.sleep(0.02)
    raise AssertionError("the second removal never waited for the first")
