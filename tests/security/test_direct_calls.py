"""Owner-side functions a station must not reach, called directly: the old signature path,
the security-event writer, the audit writer outside a trigger, bootstrap, station
registration and the auth helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.security.attack import Lab, Person, refused, sign_in

pytestmark = pytest.mark.requirement("11.10(d)", "11.10(g)")

REASON = ("workcell.reason", "security test: an attack")

CALLS = {
    "apply_signature": (
        "42501",
        "SELECT workcell.apply_signature('item', {item}, 'approved', 'badge+pin', NULL, 1)",
    ),
    "record_security_event": (
        "42501",
        "SELECT workcell.record_security_event('station_cleared', NULL, NULL, 'forged')",
    ),
    "append_entry": (
        "WC005",
        "SELECT audit.append_entry(true, 'workcell', 'users', 'UPDATE', ARRAY['id'],"
        " NULL::workcell.users, NULL::workcell.users)",
    ),
    "record_change": ("42501", "SELECT audit.record_change()"),
    "bootstrap_admin": (
        "42501",
        "SELECT workcell.bootstrap_admin('mallory', 'Mallory', repeat('00', 16), 64, 1, 1,"
        " repeat('00', 32))",
    ),
    "register_station": (
        "42501",
        "SELECT workcell.register_station('evil', 'station_evil', '', '',"
        " ARRAY['username+pin'], true)",
    ),
    "system_actor_id": ("42501", "SELECT workcell.system_actor_id('system')"),
    "store_verifier": (
        "42501",
        "SELECT auth.store_verifier({victim}, false, repeat('00', 16), 64, 1, 1, repeat('00', 32))",
    ),
    "lock_out": ("42501", "SELECT auth.lock_out({victim}, 'forged')"),
    "ensure_counter": ("42501", "SELECT auth.ensure_counter('user:{victim}')"),
    "verify_challenge": ("42501", "SELECT auth.verify_challenge(1, repeat('0', 64), 'sign_in')"),
    "require_permission": ("42501", "SELECT auth.require_permission('role.grant')"),
    "apply_signature_for": (
        "42501",
        "SELECT auth.apply_signature_for(u, 'badge+pin', 'item', {item}, 'approved', NULL, 1, 'x')"
        " FROM workcell.users u WHERE u.id = {victim}",
    ),
}


@pytest.mark.parametrize("with_token", [False, True], ids=["no token", "admin token"])
@pytest.mark.parametrize("call", sorted(CALLS))
def test_direct_call_is_refused(
    lab: Lab,
    connect: Callable[..., psycopg.Connection[Any]],
    admin: Person,
    operator: Person,
    item: int,
    call: str,
    with_token: bool,
) -> None:
    """A station cannot call an owner-side writer or helper directly, signed in or not (named
    SQLSTATE: 42501, WC005 for the audit writer outside a trigger), and nothing changes."""
    conn = connect("station_sec_a")
    token = sign_in(conn, admin) if with_token else None
    code, statement = CALLS[call]
    with lab.untouched():
        refused(
            code,
            conn,
            statement.format(item=item, victim=operator.id),
            token=token,
            settings=[REASON, ("workcell.system_actor", "system")],
        )


def test_bootstrap_is_closed_once_a_person_exists(lab: Lab, operator: Person) -> None:
    """Even on the owner's side, bootstrap_admin and the bootstrap actor refuse to create
    anyone once a person exists (WC002)."""
    with lab.untouched():
        with pytest.raises(psycopg.Error) as caught, lab.owner() as conn:
            conn.execute(
                "SELECT workcell.bootstrap_admin('mallory', 'Mallory', repeat('00', 16), 64, 1, 1,"
                " repeat('00', 32))"
            )
        assert caught.value.sqlstate == "WC002"
        with pytest.raises(psycopg.Error) as caught, lab.owner() as conn:
            conn.execute("SELECT set_config('workcell.system_actor', 'bootstrap', true)")
            conn.execute(
                "INSERT INTO workcell.users (username, printed_name) VALUES ('mallory', 'M')"
            )
        assert caught.value.sqlstate == "WC002"
