"""Writes from a station with nobody signed in, and with the actor settings the old design
trusted: refused by the database, and nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.security.attack import Lab, Person, refused, sign_in

pytestmark = pytest.mark.requirement("11.10(d)", "11.10(e)")

REASON = ("workcell.reason", "security test: an attack")

ITEM_WRITES = {
    "insert item": (
        "INSERT INTO workcell.item (item_number, description, item_type, unit)"
        " VALUES ('EVIL-1', 'forged', 'component', 'ea')"
    ),
    "update item": (
        "UPDATE workcell.item SET description = 'forged', version = version + 1 WHERE id = {item}"
    ),
}

# Direct writes on identity, signature and audit tables (and the policy and stations).
IDENTITY_WRITES = {
    "insert users": "INSERT INTO workcell.users (username, printed_name) VALUES ('mallory', 'M')",
    "unlock users": (
        "UPDATE workcell.users SET status = 'active', version = version + 1 WHERE id = {victim}"
    ),
    "rename users": (
        "UPDATE workcell.users SET printed_name = 'Mallory', version = version + 1"
        " WHERE id = {victim}"
    ),
    "grant myself admin": "INSERT INTO workcell.user_role (user_id, role) VALUES ({me}, 'admin')",
    "grant admin": "INSERT INTO workcell.user_role (user_id, role) VALUES ({victim}, 'admin')",
    "make myself active": (
        "UPDATE workcell.users SET status = 'active', version = version + 1 WHERE id = {me}"
    ),
    "grant admin as system": (
        "INSERT INTO workcell.user_role (user_id, role, granted_by) VALUES ({victim}, 'admin', 2)"
    ),
    "grant admin via upsert": (
        "INSERT INTO workcell.user_role (user_id, role) VALUES ({victim}, 'admin')"
        " ON CONFLICT DO NOTHING"
    ),
    "revoke roles": "DELETE FROM workcell.user_role WHERE user_id = {victim}",
    "insert user_pin": (
        "INSERT INTO workcell.user_pin (user_id, temporary, set_by) VALUES ({victim}, false, 2)"
    ),
    "insert badge": (
        "INSERT INTO workcell.badge (user_id, badge_hash, issued_by) VALUES ({victim}, md5('x'), 2)"
    ),
    "revoke badge": (
        "UPDATE workcell.badge SET revoked_at = now(), revoked_by = 2, revoke_reason = 'x',"
        " version = version + 1 WHERE user_id = {victim}"
    ),
    "insert security_event": (
        "INSERT INTO workcell.security_event (kind, detail) VALUES ('station_cleared', 'forged')"
    ),
    "delete security_event": "DELETE FROM workcell.security_event",
    "insert identity_verification": (
        "INSERT INTO workcell.identity_verification (user_id, method, verified_by)"
        " VALUES ({victim}, 'forged', 2)"
    ),
    "insert policy_acknowledgement": (
        "INSERT INTO workcell.policy_acknowledgement (user_id, policy_version)"
        " VALUES ({victim}, 'ESIG-POLICY-1')"
    ),
    "insert signature": (
        "INSERT INTO workcell.signature (record_type, record_table, record_id, record_version,"
        " content_hash, meaning, signer_id, printed_name, signed_at, method, station, binding_hash)"
        " VALUES ('item', 'workcell.item', {item}, 1, 'x', 'approved', {victim}, 'x', now(),"
        " 'badge+pin', 'x', 'x')"
    ),
    "insert audit entry": "INSERT INTO audit.entry (id) VALUES (-1)",
    "delete audit entry": "DELETE FROM audit.entry",
    "insert access_log": (
        "INSERT INTO workcell.access_log (user_id, method, purpose, outcome)"
        " VALUES ({victim}, 'badge+pin', 'sign_in', 'success')"
    ),
    "weaken policy": (
        "UPDATE workcell.identity_policy SET max_failed_attempts = 10, version = version + 1"
    ),
    "widen station": (
        "UPDATE workcell.station SET methods = '{{badge+pin,username+pin}}', version = version + 1"
    ),
    "replace pepper": "UPDATE workcell.installation_secret SET pepper = '\\x00'::bytea",
    "truncate users": "TRUNCATE workcell.users CASCADE",
}


def test_insert_item_without_token_is_refused(lab: Lab, station: psycopg.Connection[Any]) -> None:
    """With nobody signed in, a station cannot create a regulated record (WC001)."""
    with lab.untouched():
        refused("WC001", station, ITEM_WRITES["insert item"], settings=[REASON])


def test_update_item_without_token_is_refused(
    lab: Lab, station: psycopg.Connection[Any], item: int
) -> None:
    """With nobody signed in, a station cannot change a regulated record (WC001)."""
    with lab.untouched():
        refused("WC001", station, ITEM_WRITES["update item"].format(item=item), settings=[REASON])


@pytest.mark.parametrize("session", ["no token", "operator token", "admin token"])
@pytest.mark.parametrize("write", sorted(IDENTITY_WRITES))
def test_direct_identity_write_is_refused(
    lab: Lab,
    connect: Callable[..., psycopg.Connection[Any]],
    admin: Person,
    operator: Person,
    item: int,
    write: str,
    session: str,
) -> None:
    """No station may write an identity, signature, audit, policy or station table directly,
    for itself or anyone, not even with an administrator's valid session (42501), and
    nothing changes."""
    conn = connect("station_sec_a")
    me, other = (admin, operator) if session == "admin token" else (operator, admin)
    token = None if session == "no token" else sign_in(conn, me)
    statement = IDENTITY_WRITES[write].format(me=me.id, victim=other.id, item=item)
    with lab.untouched():
        refused("42501", conn, statement, token=token, settings=[REASON])


def test_free_text_actor_setting_does_nothing(
    lab: Lab, station: psycopg.Connection[Any], admin: Person, item: int
) -> None:
    """The old free-text actor (workcell.actor) names nobody: writes stay refused (WC001)."""
    actor = [("workcell.actor", admin.username), REASON]
    with lab.untouched():
        refused("WC001", station, ITEM_WRITES["insert item"], settings=actor)
        refused("WC001", station, ITEM_WRITES["update item"].format(item=item), settings=actor)
        refused("WC001", station, "SELECT workcell.current_actor_id()", settings=actor)
        refused(
            "42501",
            station,
            IDENTITY_WRITES["grant myself admin"].format(me=admin.id),
            settings=actor,
        )


@pytest.mark.parametrize("system_actor", ["system", "bootstrap"])
def test_forged_system_actor_is_ignored_by_the_audit_trigger(
    lab: Lab, station: psycopg.Connection[Any], operator: Person, item: int, system_actor: str
) -> None:
    """A station that sets workcell.system_actor itself is still nobody: the audit trigger runs
    as the station, so direct writes are refused (WC001, or 42501 on identity tables)."""
    forged = [("workcell.system_actor", system_actor), REASON]
    with lab.untouched():
        refused("WC001", station, ITEM_WRITES["insert item"], settings=forged)
        refused("WC001", station, ITEM_WRITES["update item"].format(item=item), settings=forged)
        refused("WC001", station, "SELECT workcell.current_actor_id()", settings=forged)
        for write in ("grant admin", "unlock users", "insert security_event"):
            statement = IDENTITY_WRITES[write].format(me=operator.id, victim=operator.id, item=item)
            refused("42501", station, statement, settings=forged)


def test_forged_system_actor_does_not_replace_the_signed_in_person(
    lab: Lab, connect: Callable[..., psycopg.Connection[Any]]
) -> None:
    """With a valid session and a forged system actor, the change is the person's, not the
    system's (created_by is the person)."""
    engineer = lab.person(["engineer"], prefix="eng")
    conn = connect("station_sec_a")
    token = sign_in(conn, engineer)
    with conn.transaction(force_rollback=True):
        conn.execute("SELECT set_config('workcell.session', %s, true)", (token,))
        conn.execute("SELECT set_config('workcell.system_actor', 'system', true)")
        row = conn.execute(
            "INSERT INTO workcell.item (item_number, description, item_type, unit)"
            " VALUES ('SEC-ROLLEDBACK', 'rolled back', 'component', 'ea') RETURNING created_by"
        ).fetchone()
        assert row is not None and row[0] == engineer.id
