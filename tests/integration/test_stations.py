"""Registered stations: listed with their state for those with security.view; enabled,
disabled and cleared by an administrator with a reason; a disabled station signs no one in."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from domain.db import make_engine, make_session_factory
from domain.errors import InvalidInput, PermissionDenied, RuleViolation, SignatureRefused
from domain.services import identity, stations
from kiosk import dbadmin
from tests.conftest import unique
from tests.identity_helpers import POLICY, admin_for, enrol

pytestmark = pytest.mark.requirement("11.10(h)")


def test_stations_are_listed_with_their_state(database, make_uow):
    """The test station appears with its methods, an open session and no block."""
    with make_uow(admin_for(database)) as uow:
        rows = {s.login_role: s for s in stations.list_stations(uow)}
    mine = rows["station_pytest"]
    assert mine.enabled and not mine.blocked
    assert set(mine.methods) == {"badge+pin", "username+pin"}
    assert mine.open_sessions >= 1


def test_a_disabled_station_signs_nobody_in_until_enabled(database, session_factory, make_uow):
    """Disabling ends the station's sessions and refuses its sign-ins; enabling restores."""
    admin = admin_for(database)
    role = unique("station_t_")
    dbadmin.add_station(database.admin, role, name=role, methods=("badge+pin",))
    person = enrol(session_factory, admin, roles=("operator",))
    url = make_url(database.station).set(username=role).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        other = make_session_factory(engine)
        identity.authenticate(other, person.creds(), station=role, policy=POLICY)
        with make_uow(admin) as uow, pytest.raises(InvalidInput, match="reason"):
            stations.set_enabled(uow, role, False, "  ")
        with make_uow(admin) as uow:
            stations.set_enabled(uow, role, False, "thin client stolen")
            uow.commit()
        with pytest.raises(PermissionDenied, match="disabled"):
            identity.authenticate(other, person.creds(), station=role, policy=POLICY)
        with make_uow(admin) as uow:
            stations.set_enabled(uow, role, True, "replacement client installed")
            uow.commit()
        identity.authenticate(other, person.creds(), station=role, policy=POLICY)
    finally:
        engine.dispose()


def test_station_administration_is_refused_without_rights_or_to_itself(
    database, session_factory, make_uow
):
    """An operator may not change stations; a station cannot disable itself."""
    operator = enrol(session_factory, admin_for(database), roles=("operator",))
    with make_uow(operator.username) as uow, pytest.raises(PermissionDenied):
        stations.set_enabled(uow, "station_pytest", False, "prank")
    with (
        make_uow(admin_for(database)) as uow,
        pytest.raises((RuleViolation, SignatureRefused), match="cannot disable itself"),
    ):
        stations.set_enabled(uow, "station_pytest", False, "oops")
