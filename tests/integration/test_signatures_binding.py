"""Binding (§11.70): a signature cannot outlive a change, be copied to another record, or be
edited; the content hash is the database's, identical in every session time zone; an
approved item's content is locked. Attacks go through plain connections as the station
(app role) and as the owner."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import RecordLocked, StaleRecord
from domain.services import item_approval, items
from domain.services.signatures import RecordRef, sign, signatures_for, verify
from domain.uow import UnitOfWork
from tests.conftest import TestDatabase, unique
from tests.identity_helpers import (
    POLICY,
    STATION,
    Person,
    admin_for,
    enrol,
    new_doc,
    register_test_doc,
)
from tests.integration.identity_fixtures import as_person, holding_session
from tests.sessions import as_system

Factory = sessionmaker[Session]
pytestmark = [pytest.mark.pg18, pytest.mark.requirement("11.70")]


@pytest.fixture
def cast(database: TestDatabase, session_factory: Factory) -> tuple[Person, Person]:
    admin = admin_for(database)
    return (
        enrol(session_factory, admin, roles=("engineer",), prefix="eng"),
        enrol(session_factory, admin, roles=("qa",), prefix="qa"),
    )


def _approved_item(session_factory: Factory, engineer: Person, qa: Person) -> tuple[str, int, int]:
    number = unique("B").upper()
    with as_person(session_factory, engineer.username) as uow:
        item_id = items.create_item(uow, items.NewItem(number, "Spike", "component", "ea")).id
        uow.commit()
    with as_person(session_factory, qa.username) as uow:
        sig = item_approval.approve_item(uow, number, qa.creds(), station=STATION, policy=POLICY)
        uow.commit()
    return number, item_id, sig.id


def test_change_after_signing_invalidates_with_reason(
    database: TestDatabase, session_factory: Factory, cast: tuple[Person, Person]
) -> None:
    """Return to draft, edit, and the old approval shows as changed after signing; a new
    approval binds the new content."""
    engineer, qa = cast
    number, item_id, sig_id = _approved_item(session_factory, engineer, qa)
    with as_person(session_factory, qa.username) as uow:
        item_approval.return_to_draft(uow, number, "drawing rev C changes the description")
        uow.commit()
    with as_person(session_factory, engineer.username) as uow:
        changes = item_approval.ItemChanges(description="Spike, vented")
        item_approval.edit_draft_item(uow, number, changes, "drawing rev C")
        uow.commit()
    with UnitOfWork(session_factory, None) as uow:
        check = verify(uow, sig_id)
    assert not check.valid
    assert check.reason == "the item changed after signing (signed at version 1, now version 4)"
    other_qa = enrol(session_factory, admin_for(database), roles=("qa",))
    with as_person(session_factory, other_qa.username) as uow:
        item_approval.approve_item(uow, number, other_qa.creds(), station=STATION, policy=POLICY)
        uow.commit()
    with UnitOfWork(session_factory, None) as uow:
        sigs = signatures_for(uow, RecordRef("item", item_id))
    assert [(s.valid, s.printed_name) for s in sigs] == [
        (False, qa.printed_name),
        (True, other_qa.printed_name),
    ]


def test_lifecycle_change_keeps_signature_valid(
    session_factory: Factory, cast: tuple[Person, Person]
) -> None:
    """Status and version are outside the signed content: approval itself does not
    invalidate the approval signature."""
    engineer, qa = cast
    _, _, sig_id = _approved_item(session_factory, engineer, qa)
    with UnitOfWork(session_factory, None) as uow:
        assert verify(uow, sig_id).valid


def test_approved_item_is_locked(
    database: TestDatabase, session_factory: Factory, cast: tuple[Person, Person]
) -> None:
    """Service and plain SQL as the station are both refused (WC011)."""
    engineer, qa = cast
    number, _, _ = _approved_item(session_factory, engineer, qa)
    with (
        as_person(session_factory, engineer.username) as uow,
        pytest.raises(RecordLocked, match="Return it to draft"),
    ):
        item_approval.edit_draft_item(
            uow, number, item_approval.ItemChanges(unit="kg"), "quick fix"
        )
    with database.connect() as conn:
        holding_session(conn, session_factory, engineer.username)
        conn.execute("SELECT set_config('workcell.reason', 'x', true)")
        with pytest.raises(psycopg.Error) as err:
            conn.execute(
                "UPDATE workcell.item SET description = 'hacked', version = version + 1 "
                "WHERE item_number = %s",
                (number,),
            )
        assert err.value.sqlstate == "WC011"


def test_approval_without_signature_is_refused_by_the_database(
    database: TestDatabase, session_factory: Factory, cast: tuple[Person, Person]
) -> None:
    """Setting status = 'approved' by SQL, with no approval signature, is refused (WC013)
    even for QA, who holds the permission to approve."""
    engineer, qa = cast
    number = unique("N").upper()
    with as_person(session_factory, engineer.username) as uow:
        items.create_item(uow, items.NewItem(number, "Pouch", "packaging", "ea"))
        uow.commit()
    with database.connect() as conn:
        holding_session(conn, session_factory, qa.username)
        conn.execute("SELECT set_config('workcell.reason', 'x', true)")
        with pytest.raises(psycopg.Error) as err:
            conn.execute(
                "UPDATE workcell.item SET status = 'approved', version = version + 1 "
                "WHERE item_number = %s",
                (number,),
            )
        assert err.value.sqlstate == "WC013"


def test_signature_copied_to_another_record_is_invalid(
    database: TestDatabase, session_factory: Factory, cast: tuple[Person, Person]
) -> None:
    """A superuser copies a signature row onto another item (even recomputing the row's
    binding hash): verification names it as not matching that record's content."""
    engineer, qa = cast
    _, _, sig_id = _approved_item(session_factory, engineer, qa)
    target = unique("C").upper()
    with as_person(session_factory, engineer.username) as uow:
        target_id = items.create_item(uow, items.NewItem(target, "Spike", "component", "ea")).id
        uow.commit()
    with database.connect("admin") as conn:
        as_system(conn, reason="forgery")
        copy_id = conn.execute(
            "INSERT INTO workcell.signature (record_type, record_table, record_id, record_version,"
            " content_hash, meaning, signer_id, printed_name, signed_at, method, station, comment,"
            " binding_hash) SELECT record_type, record_table, %s, record_version, content_hash,"
            " meaning, signer_id, printed_name, signed_at, method, station, comment, 'x'"
            " FROM workcell.signature WHERE id = %s RETURNING id",
            (target_id, sig_id),
        ).fetchone()
        assert copy_id is not None
        conn.commit()
    with UnitOfWork(session_factory, None) as uow:
        forged = verify(uow, copy_id[0])
        original = verify(uow, sig_id)
    assert not forged.valid and forged.reason == "the signature row was altered after signing"
    assert original.valid


def test_copy_with_recomputed_binding_still_fails_on_content(
    database: TestDatabase, session_factory: Factory, cast: tuple[Person, Person]
) -> None:
    """Even a forger who recomputes the binding hash cannot make the content hash match."""
    engineer, qa = cast
    _, _, sig_id = _approved_item(session_factory, engineer, qa)
    with as_person(session_factory, engineer.username) as uow:
        target_id = items.create_item(
            uow, items.NewItem(unique("D").upper(), "Spike", "component", "ea")
        ).id
        uow.commit()
    with database.connect("admin") as conn:
        as_system(conn, reason="forgery")
        row = conn.execute(
            "WITH src AS (SELECT * FROM workcell.signature WHERE id = %s),"
            " ins AS (INSERT INTO workcell.signature (record_type, record_table, record_id,"
            " record_version, content_hash, meaning, signer_id, printed_name, signed_at, method,"
            " station, comment, binding_hash) SELECT record_type, record_table, %s,"
            " record_version, content_hash, meaning, signer_id, printed_name, signed_at, method,"
            " station, comment, 'pending' FROM src RETURNING id) SELECT id FROM ins",
            (sig_id, target_id),
        ).fetchone()
        assert row is not None
        conn.commit()
    # the forger (superuser) switches off append-only and recomputes the row's binding
    with database.connect("admin") as conn:
        conn.execute("ALTER TABLE workcell.signature DISABLE TRIGGER append_only")
        as_system(conn, reason="forgery")
        conn.execute(
            "UPDATE workcell.signature s SET binding_hash = workcell.signature_binding(s),"
            " version = version + 1"
            " WHERE id = %s",
            row,
        )
        valid, reason = conn.execute(
            "SELECT valid, reason FROM workcell.verify_signature(%s)", row
        ).fetchone() or (None, None)
        conn.rollback()  # never committed: the trigger is back, the forgery gone
    assert valid is False
    assert "does not match this item's content (copied from another record or tampered)" in reason


def test_signature_rows_cannot_be_changed_or_deleted(
    database: TestDatabase, session_factory: Factory, cast: tuple[Person, Person]
) -> None:
    """App role: no INSERT/UPDATE/DELETE/TRUNCATE privilege; owner: refused by trigger."""
    engineer, qa = cast
    _, _, sig_id = _approved_item(session_factory, engineer, qa)
    attacks = [
        ("UPDATE workcell.signature SET meaning = 'reviewed' WHERE id = %s", (sig_id,)),
        ("DELETE FROM workcell.signature WHERE id = %s", (sig_id,)),
        ("TRUNCATE workcell.signature", ()),
        (
            "INSERT INTO workcell.signature (record_type, record_table, record_id, record_version,"
            " content_hash, meaning, signer_id, printed_name, signed_at, method, station,"
            " binding_hash) SELECT record_type, record_table, record_id, record_version,"
            " content_hash, meaning, signer_id, printed_name, now(), method, station, 'x'"
            " FROM workcell.signature WHERE id = %s",
            (sig_id,),
        ),
    ]
    for sql, params in attacks:
        with database.connect() as conn:
            holding_session(conn, session_factory, qa.username)
            conn.execute("SELECT set_config('workcell.reason', 'attack', true)")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql, params)
    for sql, params in attacks[:3]:
        with database.connect("admin") as conn:
            as_system(conn, reason="attack")
            with pytest.raises(psycopg.Error) as err:
                conn.execute(sql, params)
            # TRUNCATE: the lifecycle log's foreign key refuses it (0A000) before the trigger
            assert err.value.sqlstate in ("WC005", "0A000")


def test_app_cannot_supply_its_own_hash(
    database: TestDatabase, session_factory: Factory, cast: tuple[Person, Person]
) -> None:
    """The only write path computes the hash itself: the hash a station sends to
    workcell.sign is what its dialog showed, compared with the database's own (a different
    one is refused), and the station may not call the helpers that build a signature row."""
    engineer, qa = cast
    number = unique("H").upper()
    with as_person(session_factory, engineer.username) as uow:
        item_id = items.create_item(uow, items.NewItem(number, "Spike", "component", "ea")).id
        uow.commit()
    with (
        as_person(session_factory, qa.username) as uow,
        pytest.raises(StaleRecord, match="not what the dialog showed"),
    ):
        sign(
            uow, RecordRef("item", item_id), "approved", qa.creds(), station=STATION,
            policy=POLICY, expected_hash="0" * 64,
        )  # fmt: skip
    with UnitOfWork(session_factory, None) as uow:
        assert signatures_for(uow, RecordRef("item", item_id)) == []
    with database.connect() as conn:
        row = conn.execute(
            "SELECT has_function_privilege('workcell.apply_signature(text, bigint, text, text,"
            " text, integer)', 'EXECUTE'), has_schema_privilege('auth', 'USAGE'),"
            " has_function_privilege('workcell.sign(bigint, text, text, jsonb, text)', 'EXECUTE')"
        ).fetchone()
    assert row == (False, False, True)


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata", "Pacific/Chatham"])
def test_content_hash_is_identical_in_every_time_zone(database: TestDatabase, zone: str) -> None:
    """The registry pins UTC: a timestamptz in the content hashes the same in any session."""
    register_test_doc(database)
    admin = admin_for(database)
    doc = new_doc(database, admin)
    hashes = []
    for tz in ("UTC", zone):
        with database.connect() as conn:
            conn.execute("SELECT set_config('TimeZone', %s, false)", (tz,))
            row = conn.execute(
                "SELECT workcell.record_content_hash('pytest_doc', %s), "
                "workcell.record_content_hash('item', (SELECT min(id) FROM workcell.item))",
                (doc,),
            ).fetchone()
            hashes.append(row)
    assert hashes[0] == hashes[1]


def test_auditor_cannot_read_secrets(database: TestDatabase) -> None:
    """The auditor role reads badges and PIN history but not the card digests, the pepper
    or anything in schema auth (PIN verifiers, sessions, challenges)."""
    with database.connect("admin") as conn:
        conn.execute("SET ROLE workcell_auditor")
        conn.execute("SELECT id, user_id, revoked_at FROM workcell.badge LIMIT 1")
        conn.execute("SELECT id, user_id, temporary, set_at FROM workcell.user_pin LIMIT 1")
        for sql in (
            "SELECT badge_hash FROM workcell.badge",
            "SELECT pepper FROM workcell.installation_secret",
            "SELECT stored_key FROM auth.pin_verifier",
            "SELECT token_hash FROM auth.session",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
            conn.rollback()
            conn.execute("SET ROLE workcell_auditor")


def test_station_cannot_read_secrets(database: TestDatabase) -> None:
    """The station reads who holds which badge, never the card digest; schema auth is
    closed to it. PIN hashes exist nowhere: the database keeps SCRAM stored keys only."""
    with database.connect() as conn:
        conn.execute("SELECT id, user_id, issued_at, revoked_at FROM workcell.badge LIMIT 1")
        for sql in (
            "SELECT badge_hash FROM workcell.badge",
            "SELECT * FROM workcell.badge",
            "SELECT stored_key FROM auth.pin_verifier",
            "SELECT nonce FROM auth.challenge",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
            conn.rollback()
        columns = {
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = 'workcell' AND table_name = 'user_pin'"
            )
        }
    assert "pin_hash" not in columns and {"user_id", "temporary", "set_at"} <= columns


def test_station_cannot_read_the_badge_pepper(database: TestDatabase) -> None:
    """The pepper stays in the database: the app role cannot read it, nor ask for a digest
    (the database looks a badge up itself, inside the PIN check)."""
    with database.connect() as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT pepper FROM workcell.installation_secret")
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT workcell.badge_digest('04A1B2C3')")
