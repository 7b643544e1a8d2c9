"""The identity policy lives in the database and changes only by an administrator with a
reason and fresh credentials; the station's own settings cannot lift a limit."""

from __future__ import annotations

import pytest

from domain.errors import AuthenticationFailed, InvalidInput, PermissionDenied
from domain.services import identity_policy
from domain.services.identity import Credentials
from tests.identity_helpers import STATION, admin_for, enrol
from tests.sessions import pin_of

pytestmark = pytest.mark.requirement("11.300(b)", "11.300(d)")


def _ttl(database) -> int:
    with database.connect("admin") as conn:
        row = conn.execute("SELECT challenge_ttl_s FROM workcell.identity_policy").fetchone()
    assert row is not None
    return int(row[0])


def _admin_creds(session_factory, admin: str, pin: str | None = None) -> Credentials:
    return Credentials(pin=pin or pin_of(session_factory, admin), username=admin)


def test_an_administrator_changes_the_policy_with_a_reason(database, session_factory, make_uow):
    """The change needs the admin's fresh credentials; it is audited with its reason."""
    admin = admin_for(database)
    before = _ttl(database)
    try:
        with make_uow(admin) as uow:
            identity_policy.set_policy(
                uow, {"challenge_ttl_s": before + 30}, "slow badge readers on line 2",
                _admin_creds(session_factory, admin), station=STATION,
            )  # fmt: skip
            uow.commit()
        assert _ttl(database) == before + 30
        with database.connect("admin") as conn:
            row = conn.execute(
                "SELECT actor, reason FROM audit.entry"
                " WHERE table_name = 'workcell.identity_policy'"
                " ORDER BY id DESC LIMIT 1"
            ).fetchone()
        assert row == (admin, "slow badge readers on line 2")
    finally:
        with make_uow(admin) as uow:
            identity_policy.set_policy(
                uow, {"challenge_ttl_s": before}, "restore", _admin_creds(session_factory, admin),
                station=STATION,
            )  # fmt: skip
            uow.commit()


def test_policy_changes_are_refused_without_rights_credentials_or_range(
    database, session_factory, make_uow
):
    """An operator, a wrong PIN, an unknown setting and an out-of-range value change nothing."""
    admin = admin_for(database)
    before = _ttl(database)
    operator = enrol(session_factory, admin, roles=("operator",))
    with make_uow(operator.username) as uow, pytest.raises(PermissionDenied):
        identity_policy.set_policy(
            uow, {"challenge_ttl_s": 30}, "why not", operator.by_name(), station=STATION
        )
    with make_uow(admin) as uow, pytest.raises(AuthenticationFailed):
        identity_policy.set_policy(
            uow, {"challenge_ttl_s": 30}, "typo", _admin_creds(session_factory, admin, "000000"),
            station=STATION,
        )  # fmt: skip
    with make_uow(admin) as uow, pytest.raises(InvalidInput, match="Unknown policy setting"):
        identity_policy.set_policy(
            uow, {"lockout": 0}, "x", _admin_creds(session_factory, admin), station=STATION
        )
    with make_uow(admin) as uow, pytest.raises(InvalidInput):
        identity_policy.set_policy(
            uow, {"max_failed_attempts": 1000000}, "no lockout please",
            _admin_creds(session_factory, admin), station=STATION,
        )  # fmt: skip
        uow.commit()
    assert _ttl(database) == before
