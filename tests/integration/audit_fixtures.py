"""Helpers for the audit tests: fresh databases (tamper tests wreck the chain), writes through
a plain station connection, and the `workcell` CLI pointed at a test database."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from kiosk.cli import main
from tests.conftest import (
    TEST_ADMIN,
    TestDatabase,
    bootstrap_test_admin,
    create_test_database,
    drop_test_database,
)
from tests.integration.identity_fixtures import busy_station_policy, token_at

INSERT_ITEM = (
    "INSERT INTO workcell.item (item_number, description, item_type, unit) "
    "VALUES (%s, %s, 'raw', 'kg') RETURNING id"
)
UPDATE_ITEM = "UPDATE workcell.item SET description = %s, version = version + 1 WHERE id = %s"


@contextlib.contextmanager
def fresh_database(prefix: str = "wcaud") -> Iterator[TestDatabase]:
    """A database of its own, with the first administrator created by the bootstrap function
    (as in a real installation) and signed in at the test station."""
    db = create_test_database(prefix)
    try:
        busy_station_policy(db.admin)
        bootstrap_test_admin(db)
        token_at(db, TEST_ADMIN)  # the sign-in's entries come first
        yield db
    finally:
        drop_test_database(db)


def token(db: TestDatabase, actor: str = TEST_ADMIN) -> str:
    """``actor``'s session token at the test station of ``db``, valid for a while."""
    return token_at(db, actor)


def act(
    conn: psycopg.Connection, db: TestDatabase, actor: str = TEST_ADMIN, reason: str | None = None
) -> None:
    """Name the session (and reason) of the current transaction, as the UnitOfWork does."""
    act_with(conn, token(db, actor), reason)


def act_with(
    conn: psycopg.Connection, session_token: str, reason: str | None = None, *, touch: bool = False
) -> None:
    """``touch`` moves the session's "last seen" on, as the UnitOfWork does (and so takes the
    session row's lock when it is due: two open transactions of one session can wait on each
    other, which the tests that hold a transaction open avoid)."""
    conn.execute(
        "SELECT set_config('workcell.session', %s, true), set_config('workcell.reason', %s, true)",
        (session_token, reason or ""),
    )
    if touch:
        conn.execute("SELECT workcell.touch_session()")


def write_items(db: TestDatabase, count: int, prefix: str, *, updates: int = 0) -> list[int]:
    """Insert ``count`` items in one transaction and update each ``updates`` times (one
    transaction per round); returns the item ids."""
    session_token = token(db)
    with db.connect() as conn:
        act_with(conn, session_token)
        ids = [
            conn.execute(INSERT_ITEM, (f"{prefix}{n}".upper(), f"{prefix} {n}")).fetchone()[0]  # type: ignore[index]
            for n in range(count)
        ]
        conn.commit()
        for round_ in range(updates):
            act_with(conn, session_token, reason=f"round {round_}")
            for item_id in ids:
                conn.execute(UPDATE_ITEM, (f"{prefix} rev {round_}", item_id))
            conn.commit()
    return ids


@dataclass
class Cli:
    """`workcell ...` against a test database, with its own data directory (anchor file)."""

    db: TestDatabase
    data_dir: Path

    @property
    def anchor_file(self) -> Path:
        return self.data_dir / "anchors.log"

    def run(self, *argv: str) -> tuple[int, str]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = main(list(argv))
        return code, out.getvalue()


def make_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db: TestDatabase) -> Cli:
    """Point WORKCELL_* at ``db`` and a private data directory (its own anchor file)."""
    monkeypatch.setenv("WORKCELL_DATABASE_URL", db.station)
    monkeypatch.setenv("WORKCELL_ADMIN_DATABASE_URL", db.admin)
    monkeypatch.setenv("WORKCELL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WORKCELL_CONFIG", str(tmp_path / "no-station.toml"))
    monkeypatch.setenv("WORKCELL_STATION", "pytest")
    return Cli(db, tmp_path / "data")
