"""SECURITY DEFINER functions: each declares the system actor it works as (so a station's
own setting never reaches owner-side code), pins its search path, belongs to the owner,
and the administrative ones refuse a station whose only credential is a forged actor."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.security.attack import STATIONS, Lab, Person, new_badge, refused, run

pytestmark = pytest.mark.requirement("11.10(d)", "11.10(g)")

DEFINERS = """
SELECT p.oid::regprocedure::text AS sig, coalesce(p.proconfig, '{}') AS config,
       pg_get_userbyid(p.proowner) AS owner, p.prosrc AS src
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.prosecdef AND n.nspname IN ('workcell', 'audit', 'auth')
 ORDER BY 1
"""
EXEMPT = {
    "audit.append_entry(boolean,name,name,text,text[],anyelement,anyelement)",
    "workcell.session_actor(text)",
}


def definers(station: psycopg.Connection[Any]) -> list[tuple[str, list[str], str, str]]:
    rows = run(station, DEFINERS)
    assert len(rows) > 20, "the catalogue lists the SECURITY DEFINER functions"
    return [(r[0], list(r[1]), r[2], r[3]) for r in rows]


def test_every_security_definer_function_declares_its_system_actor(
    station: psycopg.Connection[Any],
) -> None:
    """Every SECURITY DEFINER function in workcell, audit and auth sets workcell.system_actor
    in its proconfig, except audit.append_entry and workcell.session_actor."""
    missing = {
        sig
        for sig, config, _, _ in definers(station)
        if not any(c.startswith("workcell.system_actor=") for c in config)
    }
    assert missing == EXEMPT


def test_the_two_exemptions_write_no_audited_table(station: psycopg.Connection[Any]) -> None:
    """The two exempt functions declare no system actor of their own (append_entry resolves
    its caller's, inline): session_actor writes nothing, append_entry writes only
    audit.entry."""
    src = {sig: body for sig, _, _, body in definers(station) if sig in EXEMPT}
    session_actor = src["workcell.session_actor(text)"].upper()
    assert not any(word in session_actor for word in ("INSERT", "UPDATE", "DELETE", "SET_CONFIG"))
    append_entry = src["audit.append_entry(boolean,name,name,text,text[],anyelement,anyelement)"]
    targets = re.findall(r"\bINSERT\s+INTO\s+([\w.]+)", append_entry, flags=re.IGNORECASE)
    assert targets == ["audit.entry"]
    # (it names the operations 'UPDATE' and 'DELETE' as values: look for statements)
    assert not re.search(r"\bUPDATE\s+[\w.]+\s+SET\b", append_entry, flags=re.IGNORECASE)
    assert not re.search(r"\bDELETE\s+FROM\b", append_entry, flags=re.IGNORECASE)


def test_every_security_definer_function_pins_its_search_path(
    station: psycopg.Connection[Any],
) -> None:
    """Every SECURITY DEFINER function runs with search_path pg_catalog, pg_temp (pg_temp
    last), so no object a caller names can stand in for a system one."""
    loose = [
        sig
        for sig, config, _, _ in definers(station)
        if "search_path=pg_catalog, pg_temp" not in config
    ]
    assert loose == []


def test_security_definer_functions_belong_to_the_owner_role(
    station: psycopg.Connection[Any],
) -> None:
    """Every SECURITY DEFINER function runs as workcell_owner, never as a superuser."""
    owners = {owner for _, _, owner, _ in definers(station)}
    assert owners == {"workcell_owner"}


@pytest.mark.parametrize("role", ["workcell_app", *sorted(STATIONS)])
def test_no_auth_function_is_executable_by_a_station(
    station: psycopg.Connection[Any], role: str
) -> None:
    """No function of schema auth is executable by workcell_app or any station login."""
    rows = run(
        station,
        "SELECT p.oid::regprocedure::text FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'auth' AND has_function_privilege(%s, p.oid, 'EXECUTE')",
        [role],
    )
    assert rows == []


ADMIN_CALLS: dict[str, Callable[[Lab, Person], tuple[str, list[Any]]]] = {
    "add_user": lambda lab, p: ("SELECT workcell.add_user('mallory', 'Mallory')", []),
    "grant_role": lambda lab, p: ("SELECT workcell.grant_role(%s, 'admin')", [p.username]),
    "issue_badge": lambda lab, p: (
        "SELECT workcell.issue_badge(%s, %s, NULL)",
        [p.username, new_badge()],
    ),
    "revoke_role": lambda lab, p: (
        "SELECT workcell.revoke_role(%s, 'operator', 'x')",
        [p.username],
    ),
    "disable_user": lambda lab, p: ("SELECT workcell.disable_user(%s, 'x')", [p.username]),
    "lock_user": lambda lab, p: ("SELECT workcell.lock_user(%s, 'x')", [p.username]),
    "verify_identity": lambda lab, p: ("SELECT workcell.verify_identity(%s, 'x')", [p.username]),
    "admin_set_pin": lambda lab, p: (
        "SELECT workcell.admin_set_pin(%s, repeat('00', 16), 64, 1, 1, repeat('00', 32), 'x')",
        [p.username],
    ),
    "revoke_badge": lambda lab, p: (
        "SELECT workcell.revoke_badge((SELECT max(id) FROM workcell.badge), 'x')",
        [],
    ),
    "set_identity_policy": lambda lab, p: (
        lab.set_identity_policy_sql(),
        ['{"max_failed_attempts": 10}', "x"],
    ),
    "clear_station": lambda lab, p: ("SELECT workcell.clear_station('sec-burst', 'x')", []),
    "set_station_enabled": lambda lab, p: (
        "SELECT workcell.set_station_enabled('sec-b', false, 'x')",
        [],
    ),
}


@pytest.mark.parametrize("actor", ["system", "bootstrap"])
@pytest.mark.parametrize("call", sorted(ADMIN_CALLS))
def test_forged_system_actor_cannot_administer(
    lab: Lab, station: psycopg.Connection[Any], operator: Person, call: str, actor: str
) -> None:
    """An administrative function called by a station that sets workcell.system_actor itself
    and has no token is refused (WC001; WC002 with a made-up token), and changes nothing."""
    statement, params = ADMIN_CALLS[call](lab, operator)
    forged = [("workcell.system_actor", actor), ("workcell.reason", "forged")]
    with lab.untouched():
        refused("WC001", station, statement, params, settings=forged)
        refused("WC002", station, statement, params, settings=forged, token="system")
