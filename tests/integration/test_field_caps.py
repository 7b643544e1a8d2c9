"""Size caps (migration 0010): every text/jsonb column of schema workcell has one, backed by
a validated CHECK constraint; the application refuses an oversized value first, naming the
field and the limit; the database's own refusal reads the same; a migration over rows that
already exceed a cap succeeds and leaves that one constraint NOT VALID."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from sqlalchemy import text

from domain.errors import InvalidInput
from domain.services import drafts
from domain.uow import UnitOfWork
from kiosk import dbadmin
from tests import sessions
from tests.conftest import TEST_ADMIN, TestDatabase, create_test_database, drop_test_database

pytestmark = pytest.mark.pg18

COLUMNS = """
SELECT n.nspname || '.' || c.relname, a.attname, f.constraint_name, co.convalidated,
       pg_get_constraintdef(co.oid)
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid AND c.relkind = 'r'
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'workcell'
  LEFT JOIN workcell.field_cap f ON f.table_name = n.nspname || '.' || c.relname
                                AND f.column_name = a.attname
  LEFT JOIN pg_constraint co ON co.conrelid = c.oid AND co.conname = f.constraint_name
 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relname <> 'alembic_version'
   AND a.atttypid IN ('text'::regtype, 'text[]'::regtype, 'jsonb'::regtype,
                      'varchar'::regtype, 'json'::regtype)
 ORDER BY 1, 2
"""


def test_every_text_and_json_column_has_a_validated_size_cap(database: TestDatabase) -> None:
    """A new free-text column fails this test until migrations/sql/limits (or its own
    migration) gives it a cap."""
    with database.connect("admin") as conn:
        rows = conn.execute(COLUMNS).fetchall()
    assert len(rows) > 80
    uncapped = [f"{t}.{c}" for t, c, name, _, _ in rows if name is None]
    assert uncapped == []
    broken = [f"{t}.{c}: {name} validated={ok}" for t, c, name, ok, _ in rows if ok is not True]
    assert broken == []
    defs = {f"{t}.{c}": d for t, c, _, _, d in rows}
    assert (
        defs["workcell.kiosk_draft.payload"] == "CHECK ((octet_length((payload)::text) <= 65536))"
    )
    assert defs["workcell.eco.title"] == "CHECK ((char_length(title) <= 200))"


def _park(make_uow: Callable[..., UnitOfWork], owner: str, payload: dict[str, object]) -> None:
    with make_uow(owner) as uow:
        drafts.park_draft(uow, owner, "line1", "item_new", "big", payload)
        uow.commit()


def test_an_oversized_draft_is_refused_by_name_and_limit_before_the_database(
    make_uow: Callable[..., UnitOfWork], new_user: Callable[..., object]
) -> None:
    """The check on flush names the field, its size and the cap (the database would say
    the same without the size)."""
    owner = new_user("cap").username  # type: ignore[attr-defined]
    with pytest.raises(InvalidInput) as caught:
        _park(make_uow, owner, {"description": "x" * 70_000})
    # title and message together: a refusal by the database instead (no size, another
    # title) shows which one came
    assert (caught.value.title, caught.value.message) == (
        "Too long",
        "Draft is too long (70,019 bytes): at most 65,536 bytes. Shorten it; nothing was saved.",
    )
    _park(make_uow, owner, {"description": "x" * 60_000})  # under the cap: parked


def test_the_database_refusal_of_a_cap_names_the_field_and_the_limit(
    make_uow: Callable[..., UnitOfWork], new_user: Callable[..., object]
) -> None:
    """A write past the ORM (plain SQL) is refused by the constraint; the message a user
    sees names the field and the limit."""
    owner = new_user("cap").username  # type: ignore[attr-defined]
    _park(make_uow, owner, {"a": 1})  # the caps are read by the first flush
    with pytest.raises(InvalidInput) as caught, make_uow(owner) as uow:
        uow.session.execute(
            text(
                "INSERT INTO workcell.kiosk_draft (owner_id, station, screen, summary, payload)"
                " SELECT id, 'line1', 'item_new', repeat('s', 201), '{}' FROM workcell.users"
                " WHERE username = :u"
            ),
            {"u": owner},
        )
    assert caught.value.message == (
        "Draft summary is too long: at most 200 characters. Shorten it; nothing was saved."
    )


def test_a_signature_comment_over_its_cap_is_refused_before_the_pin_is_spent(
    make_uow: Callable[..., UnitOfWork],
) -> None:
    from domain.services import signatures
    from domain.services.identity import Credentials

    with make_uow(TEST_ADMIN) as uow, pytest.raises(InvalidInput, match="Signature comment"):
        signatures.sign_many(
            uow, [], "approved", Credentials(pin="000000", username=TEST_ADMIN),
            station="line1", comment="c" * 2001,
        )  # fmt: skip


def test_rows_over_a_cap_from_before_it_keep_the_migration_going() -> None:
    """An item description written before the caps (longer than 500) stays as recorded; the
    migration succeeds, that constraint stays NOT VALID (and says so), every other cap is
    validated, and new oversized writes are refused all the same."""
    db = create_test_database("wccap", revision="0009")
    try:
        with psycopg.connect(db.dsn("admin")) as conn:
            sessions.as_system(conn, reason="an old, long description")
            conn.execute(
                "INSERT INTO workcell.item (item_number, description, item_type, unit)"
                " VALUES ('OLD-1', repeat('o', 900), 'component', 'ea')"
            )
            conn.commit()
        dbadmin.upgrade(db.admin, "head")
        with psycopg.connect(db.dsn("admin")) as conn:
            rows = conn.execute(
                "SELECT table_name || '.' || column_name FROM workcell.field_cap"
                " WHERE NOT validated"
            ).fetchall()
            assert rows == [("workcell.item.description",)]
            row = conn.execute(
                "SELECT convalidated FROM pg_constraint WHERE conname = 'ck_item_description_len'"
            ).fetchone()
            assert row == (False,)
            kept = conn.execute(
                "SELECT length(description) FROM workcell.item WHERE item_number = 'OLD-1'"
            ).fetchone()
            assert kept == (900,)
            sessions.as_system(conn, reason="a new, long description")
            with pytest.raises(psycopg.errors.CheckViolation):
                conn.execute(
                    "INSERT INTO workcell.item (item_number, description, item_type, unit)"
                    " VALUES ('NEW-1', repeat('n', 501), 'component', 'ea')"
                )
    finally:
        drop_test_database(db)
