"""The station role's privileges are an explicit allow-list (issue 11, least privilege)."""

from __future__ import annotations

import pytest

from domain.operations.privileges import allowed as allowed_privileges
from tests.security.attack import DEFAULT_STATION, STATIONS, Lab
from tests.security.privileges import direct, held

pytestmark = pytest.mark.requirement("11.10(d)", "11.10(g)")


def test_station_privileges_are_exactly_the_allow_list(lab: Lab) -> None:
    """A grant nobody reviewed (or one that went missing) fails here, named."""
    with lab.superuser() as conn:
        actual = set(held(conn, "workcell_app"))
    allowed = allowed_privileges()
    assert not actual - allowed, f"privileges not on the allow-list: {sorted(actual - allowed)}"
    assert not allowed - actual, f"allow-listed but not held: {sorted(allowed - actual)}"


def test_station_table_privileges_are_read_only(lab: Lab) -> None:
    """No table-wide INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES or TRIGGER anywhere."""
    with lab.superuser() as conn:
        tables = [p for p in held(conn, "workcell_app") if p.startswith("table ")]
    assert tables and all(p.endswith(": SELECT") for p in tables), tables


def test_station_logins_hold_nothing_of_their_own(lab: Lab) -> None:
    """Every station login acts only through workcell_app: no direct grant to any login."""
    with lab.superuser() as conn:
        found = {role: direct(conn, role) for role in (DEFAULT_STATION, *STATIONS)}
    assert all(not grants for grants in found.values()), found
