"""The sealer killed mid-seal: the station's background sealer (a process of its own, the
real kiosk code) is SIGKILLed while audit.seal() runs, and in another run its database backend
is terminated by the server. Nothing half-sealed is left: the next run resumes from the last
committed seal, the chain stays whole, and `workcell audit verify` passes with the anchors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TestDatabase
from tests.integration.audit_fixtures import act_with, fresh_database, make_cli, token
from tests.reliability import processes

ENTRIES = 4_000  # enough that one seal takes long enough to be caught running


@pytest.fixture
def audit_db() -> Iterator[TestDatabase]:
    with fresh_database("wcfseal") as db:
        yield db


def _bulk(db: TestDatabase, prefix: str) -> None:
    with db.connect() as conn:
        act_with(conn, token(db))
        conn.execute(
            "INSERT INTO workcell.item (item_number, description, item_type, unit)"
            " SELECT %s || g, 'bulk', 'raw', 'kg' FROM generate_series(1, %s) g",
            (prefix, ENTRIES),
        )
        conn.commit()


def _seal_state(db: TestDatabase) -> tuple[int, int]:
    """(seals, chained entries) as committed."""
    with db.connect("admin") as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM audit.seal), (SELECT count(*) FROM audit.chain)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _sealing_backend(db: TestDatabase, timeout_s: float = 20.0) -> int:
    """The pid of the backend running audit.seal() (caught while it runs)."""
    deadline = time.monotonic() + timeout_s
    with db.connect("admin", autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND state = 'active' AND query LIKE '%%audit.seal()%%'"
                " AND pid <> pg_backend_pid()"
            ).fetchone()
            if row:
                return int(row[0])
            time.sleep(0.005)
    raise AssertionError("audit.seal() was never seen running")


@pytest.mark.slow
@pytest.mark.parametrize("how", ["sigkill-station", "terminate-backend"])
def test_sealer_killed_mid_seal_resumes_and_verifies(
    audit_db: TestDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Killed while sealing: no seal and no chain position of that run is committed; the next
    run seals everything; the chain and the anchors verify."""
    cli = make_cli(monkeypatch, tmp_path, audit_db)
    assert cli.run("audit", "seal")[0] == 0
    before = _seal_state(audit_db)
    _bulk(audit_db, f"K{how[:3].upper()}-")

    anchors = tmp_path / "data" / "anchors.log"
    proc = processes.start("seal", audit_db.station, str(anchors))
    pid = _sealing_backend(audit_db)
    if how == "sigkill-station":
        processes.kill(proc)
    else:
        with audit_db.connect("admin", autocommit=True) as conn:
            assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        out, err = proc.communicate(timeout=60)
        assert "ok=False" in out, out + err  # the sealer said it failed, and did not crash
    processes.wait_backend_gone(audit_db, pid)
    assert _seal_state(audit_db) == before  # nothing of the killed run committed

    code, out = cli.run("audit", "seal")
    assert code == 0, out
    seals, chained = _seal_state(audit_db)
    assert seals == before[0] + 1 and chained >= before[1] + ENTRIES
    code, out = cli.run("audit", "verify", "--full")
    assert code == 0, out
    assert "problem" not in out.lower() or "0 problems" in out.lower(), out
