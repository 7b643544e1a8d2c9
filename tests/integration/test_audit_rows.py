"""Rows versus trail: a superuser's edit made with the audit trigger switched off is found.

Every test gets a database of its own. The superuser disables the table's triggers (an
ENABLE ALWAYS trigger ignores session_replication_role, DISABLE TRIGGER does not), makes
the change and enables them again, so the audit trail itself stays intact and only the
comparison of rows with the trail can see it. docs/audit.md#rows-versus-trail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.audit.verify import verify
from domain.db import make_engine
from tests.conftest import TestDatabase
from tests.integration.audit_fixtures import Cli, fresh_database, make_cli, write_items
from tests.sessions import as_system

pytestmark = [pytest.mark.pg18, pytest.mark.requirement("11.10(e)", "Annex 11 §9")]


@pytest.fixture
def db() -> Iterator[TestDatabase]:
    with fresh_database("wcrows") as database:
        yield database


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db: TestDatabase) -> Cli:
    return make_cli(monkeypatch, tmp_path, db)


def untriggered(db: TestDatabase, table: str, sql: str, *params: Any) -> None:
    """The superuser's edit with every trigger of ``table`` switched off and back on."""
    with db.connect("admin") as conn:
        conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        conn.execute(sql, params)
        conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
        # ENABLE TRIGGER ALL leaves every trigger plain ENABLE: put them back as they were
        conn.execute(
            f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER audit_row;"
            f" ALTER TABLE {table} ENABLE ALWAYS TRIGGER audit_no_truncate"
        )
        rows = conn.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal"
            " AND tgname NOT IN ('audit_row', 'audit_no_truncate')",
            (table,),
        ).fetchall()
        for (name,) in rows:
            conn.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}")
        conn.commit()


def sealed_and_verified(cli: Cli, *extra: str) -> str:
    assert cli.run("audit", "seal")[0] == 0
    code, out = cli.run("audit", "verify", *extra)
    assert code == 0, out
    return out


def test_clean_database_verifies_in_full_and_incrementally(db: TestDatabase, cli: Cli) -> None:
    """Rows written through the trigger (and the seed rows recorded by BASELINE entries)
    match the trail; a second verify starts from the first one's mark."""
    write_items(db, 3, "K", updates=2)
    out = sealed_and_verified(cli)
    assert "all rows compared" in out
    write_items(db, 2, "L", updates=1)
    out = sealed_and_verified(cli)
    assert "rows touched since the last verify compared" in out, out
    assert "all rows compared" in sealed_and_verified(cli, "--full")


def test_trigger_off_edit_is_named(db: TestDatabase, cli: Cli) -> None:
    """The issue's case: triggers off, edit, triggers on: verify exits 1 naming the row and
    the column."""
    (victim,) = write_items(db, 1, "E")
    sealed_and_verified(cli)
    untriggered(db, "workcell.item", "UPDATE workcell.item SET unit = 'g' WHERE id = %s", victim)
    code, out = cli.run("audit", "verify")
    assert code == 1, out
    assert f"workcell.item record {victim}: column unit differs from its latest audit entry" in out


def test_edit_below_the_watermark_is_found_by_xmin(db: TestDatabase, cli: Cli) -> None:
    """An old row (its entries far below the last verified entry) edited with the trigger off
    is found by the incremental pass: its xmin is no longer its latest entry's transaction."""
    old = write_items(db, 3, "O", updates=1)
    sealed_and_verified(cli)
    write_items(db, 3, "N", updates=1)
    sealed_and_verified(cli)  # the mark moves past every entry of the old rows
    untriggered(
        db, "workcell.item", "UPDATE workcell.item SET description = 'x' WHERE id = %s", old[1]
    )
    code, out = cli.run("audit", "verify")
    assert code == 1, out
    assert "rows touched since the last verify compared" in out
    assert f"workcell.item record {old[1]}: column description differs" in out


def test_edit_inside_the_recorded_transaction_needs_the_full_pass(db: TestDatabase) -> None:
    """An edit with the trigger off in the very transaction of the row's latest entry keeps
    that xmin: the incremental pass cannot see it, the full pass does (why --full runs daily)."""
    (victim,) = write_items(db, 1, "T")
    with db.connect("admin") as conn:
        as_system(conn, reason="recorded change")
        conn.execute(
            "UPDATE workcell.item SET description = 'recorded', version = version + 1"
            " WHERE id = %s",
            (victim,),
        )
        conn.execute("ALTER TABLE workcell.item DISABLE TRIGGER audit_row")
        conn.execute("UPDATE workcell.item SET description = 'unrecorded' WHERE id = %s", (victim,))
        conn.execute("ALTER TABLE workcell.item ENABLE ALWAYS TRIGGER audit_row")
        conn.commit()
        last = conn.execute("SELECT max(id) FROM audit.entry").fetchone()[0]  # type: ignore[index]
    engine = make_engine(db.station)
    try:
        assert verify(engine, full=False, since_entry=last).ok
        report = verify(engine, full=True)
    finally:
        engine.dispose()
    assert not report.ok
    assert any(
        f"workcell.item record {victim}: column description differs" in p.message
        for p in report.problems
    )


def test_row_deleted_with_triggers_off_is_named(db: TestDatabase, cli: Cli) -> None:
    ids = write_items(db, 2, "D")
    sealed_and_verified(cli)
    untriggered(db, "workcell.item", "DELETE FROM workcell.item WHERE id = %s", ids[0])
    code, out = cli.run("audit", "verify")
    assert code == 1, out
    assert f"workcell.item record {ids[0]} is gone" in out
    assert "deleted without the audit trigger" in out


def test_row_inserted_with_triggers_off_is_named(db: TestDatabase, cli: Cli) -> None:
    write_items(db, 1, "I")
    sealed_and_verified(cli)
    with db.connect("admin") as conn:
        created_by = conn.execute("SELECT id FROM workcell.users WHERE username = 'system'")
        by = created_by.fetchone()[0]  # type: ignore[index]
    untriggered(
        db,
        "workcell.item",
        "INSERT INTO workcell.item (item_number, description, item_type, unit, created_by)"
        " VALUES ('GHOST', 'never recorded', 'raw', 'kg', %s)",
        by,
    )
    code, out = cli.run("audit", "verify")
    assert code == 1, out
    assert "has no audit entry: it was written without the audit trigger" in out


def _issue_badges(db: TestDatabase, count: int) -> list[int]:
    with db.connect("admin") as conn:
        as_system(conn, reason="test: badges")
        user = conn.execute("SELECT id FROM workcell.users WHERE kind = 'person' LIMIT 1")
        user_id = user.fetchone()[0]  # type: ignore[index]
        ids = [
            conn.execute(
                "INSERT INTO workcell.badge (user_id, badge_hash)"
                " VALUES (%s, workcell.badge_digest(%s)) RETURNING id",
                (user_id, f"04A1B2C3D4E5{n:02d}"),
            ).fetchone()[0]  # type: ignore[index]
            for n in range(count)
        ]
        conn.commit()
    return ids


def test_swapped_badge_digest_is_named(db: TestDatabase, cli: Cli) -> None:
    """The trail holds a keyed digest of each secret, not "***": a badge digest replaced by
    the digest of the superuser's own card (which then signs in as this person) is found."""
    first, _ = _issue_badges(db, 2)
    sealed_and_verified(cli)
    untriggered(
        db,
        "workcell.badge",
        "UPDATE workcell.badge SET badge_hash = workcell.badge_digest('04FFFFFFFFFFFF')"
        " WHERE id = %s",
        first,
    )
    code, out = cli.run("audit", "verify")
    assert code == 1, out
    assert f"workcell.badge record {first}: column badge_hash differs" in out


def test_swapped_pin_verifier_is_named(db: TestDatabase, cli: Cli) -> None:
    """A PIN verifier (salt and stored key) replaced by one whose PIN the superuser knows, so
    they can sign as that person, is found: the verifiers are regulated rows (migration
    0011), their secrets recorded as keyed digests."""
    write_items(db, 1, "V")
    sealed_and_verified(cli)
    with db.connect("admin") as conn:
        pin_id = conn.execute("SELECT min(pin_id) FROM auth.pin_verifier").fetchone()[0]  # type: ignore[index]
    untriggered(
        db,
        "auth.pin_verifier",
        "UPDATE auth.pin_verifier SET stored_key = sha256('known'::bytea) WHERE pin_id = %s",
        pin_id,
    )
    code, out = cli.run("audit", "verify")
    assert code == 1, out
    assert f"auth.pin_verifier record {pin_id}: column stored_key differs" in out


def test_rows_survive_freezing(db: TestDatabase, cli: Cli) -> None:
    """VACUUM FREEZE keeps each row's raw xmin (PostgreSQL >= 9.4 marks it frozen instead of
    overwriting it), so frozen rows still pass the incremental xmin check."""
    write_items(db, 3, "F", updates=1)
    sealed_and_verified(cli)
    write_items(db, 1, "G")
    with db.connect("admin", autocommit=True) as conn:
        conn.execute("VACUUM (FREEZE) workcell.item")
    out = sealed_and_verified(cli)
    assert "rows touched since the last verify compared" in out


def test_savepoint_writes_and_multi_row_transactions_verify(db: TestDatabase, cli: Cli) -> None:
    """A row written inside a savepoint carries the subtransaction's xid as xmin, not the
    recorded top-level one: the incremental pass then compares its content (a false lead,
    not a failure). Several rows in one transaction share its xid."""
    ids = write_items(db, 3, "S")
    sealed_and_verified(cli)
    with db.connect("admin") as conn:
        as_system(conn, reason="in a savepoint")
        conn.execute("SAVEPOINT s1")
        conn.execute(
            "UPDATE workcell.item SET description = 'sp', version = version + 1 WHERE id = %s",
            (ids[0],),
        )
        conn.execute("RELEASE SAVEPOINT s1")
        conn.execute(
            "UPDATE workcell.item SET description = 'top', version = version + 1"
            " WHERE id = ANY(%s)",
            (ids[1:],),
        )
        conn.commit()
    sealed_and_verified(cli)
    out = sealed_and_verified(cli)  # all those entries now below the mark
    assert "rows touched since the last verify compared" in out


def test_station_learns_nothing_from_the_comparison(db: TestDatabase) -> None:
    """rows_vs_trail, callable by a station (verify may run there), returns which record
    differs and the column's name, never a value or a digest."""
    first, _ = _issue_badges(db, 2)
    untriggered(
        db,
        "workcell.badge",
        "UPDATE workcell.badge SET badge_hash = 'x' WHERE id = %s",
        first,
    )
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT * FROM audit.rows_vs_trail('workcell.badge', true, 0, 10)"
        ).fetchall()
    assert [(r[0], r[1], r[3]) for r in rows] == [(str(first), "differs", "badge_hash")]


@pytest.mark.parametrize("own_tx_id", [False, True])
def test_edited_entry_below_the_watermark_is_rehashed(
    db: TestDatabase, cli: Cli, own_tx_id: bool
) -> None:
    """An incremental verify recomputes the hash only of new entries and of entries whose
    xmin is not their own transaction's: an old, sealed entry a superuser edits is among
    them — also when the superuser sets its tx_id to their own transaction's id, which is
    newer than the last verify's snapshot (docs/audit.md#verify)."""
    write_items(db, 3, "O", updates=1)
    sealed_and_verified(cli)
    write_items(db, 3, "N", updates=1)
    sealed_and_verified(cli)  # the mark moves past every old entry
    with db.connect("admin") as conn:
        victim = conn.execute(
            "SELECT min(id) FROM audit.entry WHERE table_name = 'workcell.item'"
        ).fetchone()[0]  # type: ignore[index]
        conn.execute("ALTER TABLE audit.entry DISABLE TRIGGER ALL")
        conn.execute("UPDATE audit.entry SET reason = 'rewritten' WHERE id = %s", (victim,))
        if own_tx_id:
            conn.execute(
                "UPDATE audit.entry SET tx_id = pg_current_xact_id() WHERE id = %s", (victim,)
            )
        conn.execute("ALTER TABLE audit.entry ENABLE ALWAYS TRIGGER append_only")
        conn.commit()
    code, out = cli.run("audit", "verify")
    assert code == 1, out
    assert "rows touched since the last verify compared" in out
    assert f"entry {victim} was changed after it was written" in out
