"""`workcell db restore FILE`: checksum first, then into a new, empty database only.

Order (docs/operations.md#restore): the dump's size and SHA-256 against its manifest (a
changed byte refuses the restore before anything is created); the target must hold no
WorkCell schema (a restore never overwrites a plant); the roles are created by the caller
(kiosk.dbadmin); pg_restore writes a script that psql runs in ONE transaction with
ON_ERROR_STOP, so a failed restore leaves an empty database, never a half-restored one. Then
the trail is sealed — which opens a new epoch when this cluster's transaction ids are behind
the backup's (migration 0011, docs/audit.md#epochs) — and verified in full against the head
the manifest recorded (an anchor kept with the backup) and any anchor files given.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import Engine, text

from domain.audit.anchors import Anchor
from domain.audit.seal import seal
from domain.audit.verify import VerifyReport, verify
from domain.errors import InvalidInput, NotFound, WorkCellError
from domain.operations import oplog, pgtools
from domain.operations.backup import BackupManifest, client_env, file_sha256, manifest_path
from domain.operations.oplog import OperationEvent

# PostgreSQL 15 as packaged on these machines sets a column option pg_attver on every column,
# which other majors refuse; the option carries no data (docs/operations.md).
_FOREIGN_OPTION = b"SET (pg_attver"


class BackupCorrupt(WorkCellError):
    title = "Backup refused"


class RestoreFailed(WorkCellError):
    title = "Restore failed"


def check_backup(dump: Path) -> BackupManifest:
    """The backup's manifest, after checking the dump is the one it describes."""
    mpath = manifest_path(dump)
    if not dump.is_file():
        raise NotFound(f"No backup file {dump}.")
    if not mpath.is_file():
        raise BackupCorrupt(
            f"{dump} has no manifest {mpath.name} beside it: its integrity cannot be checked."
        )
    manifest = BackupManifest.from_json(mpath.read_text("utf-8"), str(mpath))
    if manifest.dump_file != dump.name:
        raise BackupCorrupt(f"{mpath.name} describes {manifest.dump_file}, not {dump.name}.")
    size = dump.stat().st_size
    if size != manifest.dump_bytes:
        raise BackupCorrupt(
            f"{dump.name} has {size} bytes, its manifest says {manifest.dump_bytes}: "
            "the file was changed or cut short. Nothing was restored."
        )
    actual = file_sha256(dump)
    if actual != manifest.dump_sha256:
        raise BackupCorrupt(
            f"{dump.name} has SHA-256 {actual}, its manifest says {manifest.dump_sha256}: "
            "the file was changed. Nothing was restored."
        )
    return manifest


def require_empty(dsn: str) -> int:
    """The target's server major version; refuses a database that holds WorkCell already."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT current_setting('server_version_num')::int / 10000,"
            " EXISTS (SELECT 1 FROM pg_namespace WHERE nspname IN ('workcell', 'audit', 'auth'))"
        ).fetchone()
    assert row is not None
    if row[1]:
        raise InvalidInput(
            "The target database holds a WorkCell schema already: a restore goes into a new, "
            "empty database only (name another one). Nothing was changed."
        )
    return int(row[0])


def load(dsn: str, dump: Path, manifest: BackupManifest, server_major: int) -> None:
    """pg_restore → script → psql, one transaction; nothing is left behind on failure."""
    tools = pgtools.for_server(server_major, at_least=manifest.pg_dump_major)
    env = client_env(dsn)
    with tempfile.TemporaryFile() as errors:
        restore = subprocess.Popen(
            [tools.tool("pg_restore"), "-f", "-", str(dump)],
            stdout=subprocess.PIPE,
            stderr=errors,
        )
        psql = subprocess.Popen(
            [tools.tool("psql"), "-X", "-q", "--no-password", "-1", "-v", "ON_ERROR_STOP=1",
             "-o", "/dev/null"],
            stdin=subprocess.PIPE,
            stderr=errors,
            env=env,
        )  # fmt: skip
        assert restore.stdout is not None and psql.stdin is not None
        try:
            for line in restore.stdout:
                if server_major != manifest.server_major and _FOREIGN_OPTION in line:
                    continue
                psql.stdin.write(line)
        except BrokenPipeError:
            pass  # psql stopped at an error: its message is in ``errors``
        finally:
            psql.stdin.close()
            restore.stdout.close()
        codes = restore.wait(), psql.wait()
        if any(codes):
            errors.seek(0)
            detail = errors.read().decode("utf-8", "replace").strip()[-2000:]
            raise RestoreFailed(
                f"the restore stopped (pg_restore {codes[0]}, psql {codes[1]}); the database "
                f"was left empty: {detail}"
            )


@dataclass(frozen=True)
class RestoreReport:
    installation: str
    same_installation: bool
    system_identifier: str
    new_cluster: bool
    epoch_before: int
    epoch_after: int
    sealed: int
    verify: VerifyReport
    missing_station_logins: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.same_installation and self.verify.ok

    def lines(self, manifest: BackupManifest) -> list[str]:
        """What the restore says about the installation it restored."""
        out = []
        if self.same_installation:
            out.append(
                f"installation {self.installation} restored: the same installation as the "
                f"backup's (taken {manifest.taken_at} from {manifest.database})"
            )
        else:
            out.append(
                f"installation id {self.installation} differs from the backup's "
                f"{manifest.installation}: this is not the backup's installation"
            )
        if self.new_cluster:
            out.append(
                f"restored into another PostgreSQL cluster (system identifier "
                f"{manifest.system_identifier} -> {self.system_identifier})"
            )
        if self.epoch_after > self.epoch_before:
            out.append(
                f"audit chain epoch {self.epoch_after} opened (this cluster's transaction ids "
                f"are behind the backup's); epoch {self.epoch_before} closed with the entries "
                "that awaited sealing at the backup"
            )
        else:
            out.append(f"audit chain continues in epoch {self.epoch_after}")
        out.append(
            f"chain head of the backup (position {manifest.head_position}) "
            + ("matches" if self.verify.ok else "checked: see the problems below")
        )
        for login in self.missing_station_logins:
            out.append(
                f"station login {login} is registered but does not exist on this server: "
                f"`workcell station add` it before that station starts"
            )
        return out


def after_restore(
    engine: Engine, manifest: BackupManifest, anchors: Sequence[Anchor] = ()
) -> RestoreReport:
    """Seal (opening an epoch when needed) and verify the restored trail in full."""
    with engine.connect() as conn:
        before = int(
            conn.execute(text("SELECT coalesce(max(epoch), 1) FROM audit.epoch")).scalar_one()
        )
    sealed = seal(engine)
    kept = Anchor(
        manifest.head_position,
        manifest.head_hash,
        "backup manifest",
        manifest.taken_at,
        manifest.installation,
        manifest.epoch,
    )
    report = verify(engine, [*anchors, *([kept] if manifest.head_position else [])], full=True)
    with engine.connect() as conn:
        installation, system_id = conn.execute(
            text(
                "SELECT (SELECT id::text FROM audit.installation),"
                " (SELECT system_identifier::text FROM pg_control_system())"
            )
        ).one()
        missing = conn.execute(
            text(
                "SELECT s.login_role FROM workcell.station s WHERE NOT EXISTS"
                " (SELECT 1 FROM pg_roles r WHERE r.rolname = s.login_role) ORDER BY 1"
            )
        ).scalars()
        missing_logins = tuple(str(m) for m in missing)
    return RestoreReport(
        installation=str(installation),
        same_installation=str(installation) == manifest.installation,
        system_identifier=str(system_id),
        new_cluster=str(system_id) != manifest.system_identifier,
        epoch_before=before,
        epoch_after=sealed.epoch or before,
        sealed=sealed.sealed,
        verify=report,
        missing_station_logins=missing_logins,
    )


def record_restore(
    dsn: str, dump: Path, manifest: BackupManifest, report: RestoreReport
) -> OperationEvent:
    """The restore in the operations log of the restored database: what it was restored
    from and what the restore found."""
    detail = {
        "file": str(dump.resolve()),
        "dump_sha256": manifest.dump_sha256,
        "taken_at": manifest.taken_at,
        "source_database": manifest.database,
        "source_installation": manifest.installation,
        "same_installation": report.same_installation,
        "new_cluster": report.new_cluster,
        "epoch_before": report.epoch_before,
        "epoch_after": report.epoch_after,
        "sealed": report.sealed,
        "verify_ok": report.verify.ok,
        "verify_entries": report.verify.entries,
        "problems": len(report.verify.problems),
    }
    return oplog.record(dsn, "restore", detail, f"restored from {dump.name}")
