"""The access log: every sign-in and signature attempt, successful or refused, kept by the
database and reviewable by those with security.view (§11.300(b), Annex 11 §12)."""

from __future__ import annotations

import pytest

from domain.errors import AuthenticationFailed, PermissionDenied
from domain.services import identity
from domain.services.access_log import list_access
from tests.identity_helpers import POLICY, STATION, admin_for, enrol

pytestmark = pytest.mark.requirement("11.300(d)", "Annex 11 §12")


def test_successful_and_refused_sign_ins_are_logged(database, session_factory, make_uow):
    """A success and a refused PIN both appear, with station, method and purpose."""
    person = enrol(session_factory, admin_for(database), roles=("operator",))
    identity.authenticate(session_factory, person.creds(), station=STATION, policy=POLICY)
    with pytest.raises(AuthenticationFailed):
        identity.authenticate(
            session_factory, person.creds(pin="000000"), station=STATION, policy=POLICY
        )
    with make_uow(admin_for(database)) as uow:
        rows = list_access(uow, user=person.username)
    outcomes = [(r.purpose, r.outcome, r.method) for r in rows]
    assert ("sign_in", "refused", "badge+pin") in outcomes
    assert ("sign_in", "success", "badge+pin") in outcomes
    assert all(r.station == "station_pytest" for r in rows)


def test_an_operator_cannot_review_the_access_log(database, session_factory, make_uow):
    """Reviewing needs security.view; an operator is told which roles hold it."""
    person = enrol(session_factory, admin_for(database), roles=("operator",))
    with make_uow(person.username) as uow, pytest.raises(PermissionDenied, match=r"security\.view"):
        list_access(uow)
