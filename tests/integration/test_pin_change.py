"""A person's own PIN change: refused when it reuses a recent PIN (the database compares the
new PIN's keys under the old salts), accepted otherwise; the shipped cost is OWASP's."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.services import identity
from domain.services.identity import Credentials
from tests.identity_helpers import POLICY, STATION, admin_for, enrol, new_pin

pytestmark = pytest.mark.pg18


def test_a_recent_pin_is_refused_and_a_new_one_accepted(database, session_factory):
    """Changing back to the PIN just replaced is refused (nothing changes: the current PIN
    still signs in); a PIN never used before is accepted."""
    person = enrol(session_factory, admin_for(database), roles=("operator",))
    first, second = person.pin, new_pin()
    identity.change_pin(session_factory, person.by_name(first), second, station=STATION,
                        policy=POLICY)  # fmt: skip
    with pytest.raises(InvalidInput, match="one of your last"):
        identity.change_pin(session_factory, person.by_name(second), first, station=STATION,
                            policy=POLICY)  # fmt: skip
    identity.authenticate(session_factory, person.by_name(second), station=STATION, policy=POLICY)
    third = new_pin()
    identity.change_pin(session_factory, person.by_name(second), third, station=STATION,
                        policy=POLICY)  # fmt: skip
    who = identity.authenticate(
        session_factory, Credentials(pin=third, username=person.username), station=STATION,
        policy=POLICY,
    )  # fmt: skip
    assert who.username == person.username


def test_the_shipped_argon2id_cost_is_owasps_minimum(database):
    """A new installation's policy row defaults to argon2id m=19 MiB, t=2, p=1 (the test
    database lowers it in its own row)."""
    with database.connect("admin") as conn:
        rows = dict(
            conn.execute(
                "SELECT column_name, column_default FROM information_schema.columns"
                " WHERE table_schema = 'workcell' AND table_name = 'identity_policy'"
                " AND column_name LIKE 'argon2_%'"
            ).fetchall()
        )
    assert rows == {
        "argon2_memory_kib": "19456", "argon2_time_cost": "2", "argon2_parallelism": "1",
    }  # fmt: skip
