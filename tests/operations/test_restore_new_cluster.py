"""A restore into another PostgreSQL cluster (a new server, here the embedded PostgreSQL 18)
keeps the installation's identity, opens a new audit epoch and says so (docs/operations.md,
docs/audit.md#epochs)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import STATION_ROLE
from tests.integration.audit_fixtures import fresh_database, make_cli, write_items
from tests.integration.test_audit_epoch import move_xids_on, second_cluster

__all__ = ["second_cluster"]  # the fixture, used by name
pytestmark = pytest.mark.requirement("11.10(c)", "Annex 11 §7.2", "Annex 11 §16")


def test_restore_into_a_new_cluster_keeps_identity_and_opens_an_epoch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, second_cluster: str
) -> None:
    """PostgreSQL 15 dump into a PostgreSQL 18 cluster: same installation, another system
    identifier, epoch 2 opened, missing station logins named, verify intact afterwards."""
    dump = tmp_path / "plant.dump"
    with fresh_database("wcbnc") as source:
        move_xids_on(source)  # the new cluster's ids must be behind the backup's
        cli = make_cli(monkeypatch, tmp_path, source)
        write_items(source, 3, "A", updates=1)
        assert cli.run("audit", "seal")[0] == 0
        write_items(source, 2, "P")
        code, out = cli.run("db", "backup", str(dump))
        assert code == 0, out
        with source.connect("admin") as conn:
            row = conn.execute("SELECT id::text FROM audit.installation").fetchone()
            assert row is not None
            installation = row[0]
        name = source.name
    admin = make_url(second_cluster).set(database=name)
    monkeypatch.setenv("WORKCELL_ADMIN_DATABASE_URL", admin.render_as_string(hide_password=False))
    monkeypatch.setenv(
        "WORKCELL_DATABASE_URL",
        admin.set(username=STATION_ROLE, password=None).render_as_string(hide_password=False),
    )
    code, out = cli.run("db", "restore", str(dump))
    assert code == 0, out
    assert f"installation {installation} restored: the same installation" in out
    assert "restored into another PostgreSQL cluster (system identifier" in out
    assert "audit chain epoch 2 opened" in out, out
    assert f"station login {STATION_ROLE} is registered but does not exist" in out
    plain = make_url(second_cluster).set(drivername="postgresql")
    with psycopg.connect(plain.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {STATION_ROLE} LOGIN IN ROLE workcell_app")
    code, out = cli.run("audit", "verify", "--full")  # as the station, with the old anchors
    assert code == 0, out
