"""`workcell db backup` / `workcell db restore` (issue 17 item 4, docs/operations.md).

Real PostgreSQL: a plant database with an approved item (a signature), sealed entries and
entries still awaiting a seal is backed up, restored into a fresh database, and the restored
trail, anchors and signature verify. A changed byte in the backup is refused before anything
is created. The restore into another cluster (a new epoch) is in test_restore_new_cluster.py.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from domain.db import make_engine, make_session_factory
from domain.services import item_approval, items
from domain.services.signatures import verify
from tests.conftest import TestDatabase, drop_test_database, unique
from tests.identity_helpers import POLICY, STATION, admin_for, enrol
from tests.integration.audit_fixtures import Cli, fresh_database, make_cli, write_items
from tests.integration.identity_fixtures import as_person
from tests.sessions import pin_of, remember_pin

pytestmark = pytest.mark.requirement("11.10(c)", "Annex 11 §7.2")


def approved_item(db: TestDatabase) -> tuple[str, int]:
    """An item approved by QA (a signature), authored by an engineer: number, signature id."""
    engine = make_engine(db.station)
    factory = make_session_factory(engine)
    try:
        admin = admin_for(db)
        engineer = enrol(factory, admin, roles=("engineer",), prefix="eng")
        qa = enrol(factory, admin, roles=("qa",), prefix="qa")
        number = unique("BK").upper()
        with as_person(factory, engineer.username) as uow:
            items.create_item(uow, items.NewItem(number, "Backed up", "component", "ea"))
            uow.commit()
        with as_person(factory, qa.username) as uow:
            sig = item_approval.approve_item(
                uow, number, qa.creds(), station=STATION, policy=POLICY
            )
            uow.commit()
        return qa.username, sig.id
    finally:
        engine.dispose()


def twin(db: TestDatabase) -> TestDatabase:
    """A database name beside ``db`` on the same server (not created: the restore does)."""
    name = f"wcrst_{uuid.uuid4().hex[:10]}"
    admin = make_url(db.admin).set(database=name)
    station = make_url(db.station).set(database=name)
    return TestDatabase(
        name,
        admin.render_as_string(hide_password=False),
        station.render_as_string(hide_password=False),
        db.embedded,
    )


@pytest.fixture
def plant(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[Cli, str, int]]:
    with fresh_database("wcbak") as source:
        qa, sig_id = approved_item(source)
        cli = make_cli(monkeypatch, tmp_path, source)
        write_items(source, 3, "S", updates=1)
        assert cli.run("audit", "seal")[0] == 0
        write_items(source, 2, "P")  # still awaiting a seal when the backup is taken
        yield cli, qa, sig_id


def restore_target(monkeypatch: pytest.MonkeyPatch, cli: Cli) -> TestDatabase:
    target = twin(cli.db)
    monkeypatch.setenv("WORKCELL_DATABASE_URL", target.station)
    monkeypatch.setenv("WORKCELL_ADMIN_DATABASE_URL", target.admin)
    return target


def test_round_trip_keeps_trail_anchors_and_signatures_verifiable(
    plant: tuple[Cli, str, int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Backup, restore into a fresh database: same installation, the pending entries sealed,
    audit verify intact (with the station's anchors), the QA signature still valid."""
    cli, qa, sig_id = plant
    dump = tmp_path / "plant.dump"
    code, out = cli.run("db", "backup", str(dump))
    assert code == 0, out
    assert dump.is_file() and (tmp_path / "plant.dump.manifest.json").is_file()
    assert "SHA-256" in out
    assert "recorded in the operations log as event" in out
    manifest = json.loads((tmp_path / "plant.dump.manifest.json").read_text())
    with cli.db.connect("admin") as conn:
        installation = conn.execute("SELECT id::text FROM audit.installation").fetchone()
        taken = conn.execute(
            "SELECT kind, detail->>'dump_sha256', detail->>'file', (SELECT count(*)"
            " FROM audit.entry e WHERE e.table_name = 'workcell.operation_event'"
            " AND e.record_key = o.id::text) FROM workcell.operation_event o"
        ).fetchall()
    assert installation is not None
    # the backup is a record of the database it was taken from, in its audit trail
    assert taken == [("backup", manifest["dump_sha256"], str(dump.resolve()), 1)]
    code, out = cli.run("db", "history", "--format", "json")
    assert code == 0, out
    history = json.loads(out)
    assert [(e["kind"], e["detail"]["dump_sha256"]) for e in history] == [
        ("backup", manifest["dump_sha256"])
    ]
    target = restore_target(monkeypatch, cli)
    try:
        code, out = cli.run("db", "restore", str(dump))
        assert code == 0, out
        assert "SHA-256 and size match" in out
        assert f"installation {installation[0]} restored: the same installation" in out
        assert "audit trail INTACT" in out
        with target.connect("admin") as conn:
            pending = conn.execute(
                "SELECT count(*) FILTER (WHERE table_name <> 'workcell.operation_event'),"
                " count(*) FROM audit.entry e WHERE NOT EXISTS"
                " (SELECT 1 FROM audit.chain c WHERE c.entry_id = e.id)"
            ).fetchone()
        # the entries pending at the backup were sealed by the restore; the restore's own
        # record, written after, awaits the sealer like any new entry
        assert pending == (0, 1)
        with target.connect("admin") as conn:
            events = conn.execute(
                "SELECT kind, detail->>'dump_sha256', detail->>'source_installation',"
                " (detail->>'verify_ok')::boolean FROM workcell.operation_event ORDER BY id"
            ).fetchall()
        # the backup's own record came after its snapshot: the restored log holds only the
        # restore, naming what it was restored from
        assert events == [("restore", manifest["dump_sha256"], installation[0], True)]
        code, out = cli.run("audit", "verify", "--full")  # the station anchors as well
        assert code == 0, out
        assert "audit trail INTACT" in out
        # the signature still verifies on the restored copy (content hash, binding)
        engine = make_engine(target.station)
        factory = make_session_factory(engine)
        try:
            source_factory = make_session_factory(make_engine(cli.db.station))
            remember_pin(factory, qa, pin_of(source_factory, qa))
            with as_person(factory, qa) as uow:
                checked = verify(uow, sig_id)
            assert checked.valid, checked.reason
        finally:
            engine.dispose()
    finally:
        drop_test_database(target)


def test_restore_refuses_a_changed_backup_and_creates_nothing(
    plant: tuple[Cli, str, int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """One flipped bit, or a cut-short file, is refused before any database is created."""
    cli, _, _ = plant
    dump = tmp_path / "plant.dump"
    assert cli.run("db", "backup", str(dump))[0] == 0
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit in the middle of the data
    dump.write_bytes(bytes(data))
    target = restore_target(monkeypatch, cli)
    try:
        code, out = cli.run("db", "restore", str(dump))
        assert code == 4, out
        assert "the file was changed. Nothing was restored." in out
        with psycopg.connect(
            make_url(target.admin)
            .set(drivername="postgresql", database="postgres")
            .render_as_string(hide_password=False)
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (target.name,)
            ).fetchone()
        assert exists is None
        dump.write_bytes(bytes(data[:-10]))  # and cut short
        code, out = cli.run("db", "restore", str(dump))
        assert code == 4 and "cut short" in out, out
    finally:
        drop_test_database(target)


def test_backup_never_overwrites_and_restore_never_into_a_plant(
    plant: tuple[Cli, str, int], tmp_path: Path
) -> None:
    """An existing file is never overwritten; a restore into the live plant is refused."""
    cli, _, _ = plant
    dump = tmp_path / "plant.dump"
    dump.write_text("something else")
    code, out = cli.run("db", "backup", str(dump))
    assert code == 4 and "never overwrites" in out, out
    assert dump.read_text() == "something else"
    fresh = tmp_path / "fresh.dump"
    assert cli.run("db", "backup", str(fresh))[0] == 0
    # the configured admin URL is the source plant itself: refused, nothing changed
    with cli.db.connect("admin") as conn:
        before = conn.execute("SELECT count(*) FROM audit.entry").fetchone()
    code, out = cli.run("db", "restore", str(fresh))
    assert code == 4 and "new, empty database only" in out, out
    with cli.db.connect("admin") as conn:
        assert conn.execute("SELECT count(*) FROM audit.entry").fetchone() == before
