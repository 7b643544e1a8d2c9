"""`workcell db backup FILE`: pg_dump of one consistent snapshot, with a SHA-256 manifest.

The dump (pg_dump's custom format) is taken in a snapshot exported by a REPEATABLE READ
transaction that also reads what the manifest records about it (installation, epoch, chain
head, schema revision, server): so the head in the manifest is exactly the head inside the
dump, and the restore can verify the restored chain against it (an anchor kept with the
backup). Written to a temporary name, fsync'd, then renamed: a file under FILE's name is
always a complete backup. The manifest ``FILE.manifest.json`` lists the dump's SHA-256 and
size; `workcell db restore` refuses a dump that does not match it. Its own SHA-256 is printed
so it can be recorded elsewhere (a changed manifest is then noticed too).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from domain.errors import InvalidInput, WorkCellError
from domain.operations import oplog, pgtools
from domain.operations.oplog import OperationEvent

FORMAT = "workcell-backup-1"
MANIFEST_SUFFIX = ".manifest.json"

# libpq connection keywords → the environment variables the client tools read: the password
# never appears on a command line (visible to every user of the machine in `ps`).
_ENV = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class BackupFailed(WorkCellError):
    title = "Backup failed"


@dataclass(frozen=True)
class BackupManifest:
    """What a backup holds, as read in the dump's own snapshot."""

    format: str
    dump_file: str
    dump_sha256: str
    dump_bytes: int
    taken_at: str
    database: str
    server_version: str
    server_major: int
    pg_dump_version: str
    pg_dump_major: int
    system_identifier: str
    schema_revision: str
    installation: str
    epoch: int
    head_position: int
    head_hash: str
    entries: int

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, data: str, source: str) -> BackupManifest:
        try:
            raw: dict[str, Any] = json.loads(data)
            if raw.get("format") != FORMAT:
                raise InvalidInput(f"{source} is not a WorkCell backup manifest ({FORMAT}).")
            return cls(**raw)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"{source} is not a readable backup manifest: {exc}") from exc


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + MANIFEST_SUFFIX)


def client_env(dsn: str) -> dict[str, str]:
    """The environment for a client tool connecting to ``dsn`` (no secret in argv)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, value in conninfo_to_dict(dsn).items():
        if key in _ENV and value is not None:
            env[_ENV[key]] = str(value)
    return env


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_FACTS = """
SELECT now()::text, current_database(), current_setting('server_version'),
       current_setting('server_version_num')::int / 10000,
       (SELECT system_identifier::text FROM pg_control_system()),
       (SELECT version_num FROM workcell.alembic_version),
       (SELECT id::text FROM audit.installation),
       coalesce((SELECT max(epoch) FROM audit.epoch), 1),
       coalesce((SELECT position FROM audit.chain ORDER BY position DESC LIMIT 1), 0),
       coalesce((SELECT chain_hash FROM audit.chain ORDER BY position DESC LIMIT 1), ''),
       (SELECT count(*) FROM audit.entry)
"""


def backup(dsn: str, target: Path) -> BackupManifest:
    """Dump the database at ``dsn`` (a superuser or the owner) to ``target`` and write its
    manifest beside it. Refuses to overwrite anything."""
    mpath = manifest_path(target)
    for path in (target, mpath):
        if path.exists():
            raise InvalidInput(f"{path} exists already; a backup never overwrites a file.")
    if not target.parent.is_dir():
        raise InvalidInput(f"Directory {target.parent} does not exist.")
    partial = target.with_name(f".{target.name}.partial")
    with psycopg.connect(dsn) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        facts = conn.execute(_FACTS).fetchone()
        assert row is not None and facts is not None
        tools = pgtools.for_server(int(facts[3]))
        try:
            result = subprocess.run(
                [tools.tool("pg_dump"), "--format=custom", f"--snapshot={row[0]}",
                 "--no-password", "-f", str(partial)],
                env=client_env(dsn),
                capture_output=True,
                text=True,
                check=False,
            )  # fmt: skip
            if result.returncode != 0:
                raise BackupFailed(f"pg_dump failed: {result.stderr.strip()[-2000:]}")
            _fsync(partial)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    manifest = BackupManifest(
        format=FORMAT,
        dump_file=target.name,
        dump_sha256=file_sha256(partial),
        dump_bytes=partial.stat().st_size,
        taken_at=str(facts[0]),
        database=str(facts[1]),
        server_version=str(facts[2]),
        server_major=int(facts[3]),
        pg_dump_version=tools.version,
        pg_dump_major=tools.major,
        system_identifier=str(facts[4]),
        schema_revision=str(facts[5]),
        installation=str(facts[6]),
        epoch=int(facts[7]),
        head_position=int(facts[8]),
        head_hash=str(facts[9]),
        entries=int(facts[10]),
    )
    os.replace(partial, target)
    tmp = mpath.with_name(f".{mpath.name}.partial")
    tmp.write_text(manifest.to_json(), "utf-8")
    _fsync(tmp)
    os.replace(tmp, mpath)
    _fsync(target.parent)
    return manifest


def record_backup(dsn: str, target: Path, manifest: BackupManifest) -> OperationEvent:
    """The backup in the operations log of the database it was taken from."""
    detail = {
        "file": str(target.resolve()),
        "dump_sha256": manifest.dump_sha256,
        "dump_bytes": manifest.dump_bytes,
        "manifest_sha256": file_sha256(manifest_path(target)),
        "taken_at": manifest.taken_at,
        "schema_revision": manifest.schema_revision,
        "epoch": manifest.epoch,
        "head_position": manifest.head_position,
        "head_hash": manifest.head_hash,
        "entries": manifest.entries,
        "pg_dump_version": manifest.pg_dump_version,
    }
    return oplog.record(dsn, "backup", detail, f"backup written to {target.name}")
