"""Existing PINs need no re-enrolment: migration 0007 derives each SCRAM verifier from the
argon2id hash an earlier release stored, drops the hashes, and the same PIN signs in."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type

from domain.db import make_engine, make_session_factory
from domain.errors import AuthenticationFailed
from domain.services import identity
from domain.services.identity import Credentials
from kiosk import dbadmin
from tests.conftest import STATION_ROLE, create_test_database, drop_test_database
from tests.sessions import POLICY

pytestmark = pytest.mark.pg18


def test_a_pin_hashed_before_0007_signs_in_after_it():
    """A PIN stored as an argon2id PHC string at revision 0006 signs in at head (and a wrong
    one does not); no hash is left in the database."""
    db = create_test_database("wcpinmig", revision="0006")
    try:
        phc = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=Type.ID)
        with db.connect("admin") as conn:
            conn.execute("SET LOCAL ROLE workcell_owner")
            conn.execute("SELECT set_config('workcell.actor', 'bootstrap', true)")
            row = conn.execute(
                "INSERT INTO workcell.users (username, printed_name) VALUES ('old.timer',"
                " 'Old Timer') RETURNING id"
            ).fetchone()
            assert row is not None
            conn.execute(
                "INSERT INTO workcell.user_pin (user_id, pin_hash, temporary)"
                " VALUES (%s, %s, false)",
                (row[0], phc.hash("482916")),
            )
            conn.commit()
        dbadmin.upgrade(db.admin)
        dbadmin.add_station(
            db.admin, STATION_ROLE, methods=("badge+pin", "username+pin"), concurrent=True
        )
        engine = make_engine(db.station)
        try:
            factory = make_session_factory(engine)
            who = identity.authenticate(
                factory, Credentials(pin="482916", username="old.timer"), station="t", policy=POLICY
            )
            assert who.username == "old.timer" and who.session is not None
            with pytest.raises(AuthenticationFailed, match="Wrong PIN"):
                identity.authenticate(
                    factory, Credentials(pin="111222", username="old.timer"), station="t",
                    policy=POLICY,
                )  # fmt: skip
        finally:
            engine.dispose()
        with db.connect("admin") as conn:
            columns = conn.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = 'workcell' AND table_name = 'user_pin'"
            ).fetchall()
        assert ("pin_hash",) not in columns
    finally:
        drop_test_database(db)
