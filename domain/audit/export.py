"""Write an export bundle (format: domain/audit/bundle.py) from one consistent snapshot.

Rows are streamed with a server-side cursor, so a trail of millions of entries is written
without loading it into memory.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from domain.audit import bundle
from domain.audit.anchors import Anchor
from domain.errors import InvalidInput
from domain.files import not_written

_ENTRIES = text("""
    SELECT e.id, e.tx_id::text,
           to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           e.actor, e.actor_id, e.station, e.table_name, e.record_key, e.operation,
           e.before::text, e.after::text, e.reason, e.entry_hash, audit.canonical(e)
      FROM audit.entry e ORDER BY e.id
""")
_CHAIN = text(
    "SELECT position, entry_id, entry_hash, prev_hash, chain_hash, seal_id"
    " FROM audit.chain ORDER BY position"
)
_SEALS = text(
    "SELECT id, to_char(sealed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    " sealed_by, first_position, last_position, entry_count, head_hash, low_water::text"
    " FROM audit.seal ORDER BY id"
)
_EPOCHS = text(
    "SELECT epoch, after_entry_id, start_position,"
    " to_char(opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), reason"
    " FROM audit.epoch ORDER BY epoch"
)
_HEAD = text("SELECT position, chain_hash FROM audit.chain ORDER BY position DESC LIMIT 1")


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    entries: int
    chained: int
    head_position: int
    head_hash: str
    manifest_sha256: str  # record this digest outside the bundle (it anchors the bundle)


def export_bundle(
    engine: Engine, out: Path, anchors: Sequence[Anchor] = (), station: str = ""
) -> ExportResult:
    """Write the whole trail to ``out`` (created; must be empty) in one REPEATABLE READ snapshot.
    Whole or not at all: when a file cannot be written (a full disk), every file of the
    bundle written so far is removed, so no partial bundle is left looking complete."""
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise InvalidInput(f"{out} is not empty: export into a new directory.")
    try:
        return _export(engine, out, anchors, station)
    except OSError as exc:
        for name in (*bundle.FILES, *bundle.OPTIONAL_FILES, bundle.MANIFEST):
            (out / name).unlink(missing_ok=True)
        raise not_written(out, exc) from exc


def _export(engine: Engine, out: Path, anchors: Sequence[Anchor], station: str) -> ExportResult:
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            entries = _write_entries(conn, out / bundle.ENTRIES)
            chained = _write_csv(conn, _CHAIN, bundle.CHAIN_COLUMNS, out / bundle.CHAIN)
            _write_csv(conn, _SEALS, bundle.SEAL_COLUMNS, out / bundle.SEALS)
            _write_csv(conn, _EPOCHS, bundle.EPOCH_COLUMNS, out / bundle.EPOCHS)
            head = conn.execute(_HEAD).first()
    position, head_hash = (int(head[0]), str(head[1])) if head else (0, bundle.GENESIS)
    _write_anchors(out / bundle.ANCHORS, anchors, position, head_hash, station)
    (out / bundle.README).write_text(readme(position, head_hash), encoding="utf-8")
    files = (*bundle.FILES, *bundle.OPTIONAL_FILES)
    manifest = "".join(f"{bundle.file_sha256(out / name)}  {name}\n" for name in files)
    (out / bundle.MANIFEST).write_text(manifest, encoding="utf-8")
    return ExportResult(
        out, entries, chained, position, head_hash, bundle.sha256_hex(manifest.encode())
    )


def _write_entries(conn: Connection, path: Path) -> int:
    count = 0
    stream = conn.execution_options(stream_results=True, max_row_buffer=5000).execute(_ENTRIES)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for r in stream:
            values = list(r[:12])
            values[9] = None if values[9] is None else json.loads(values[9])
            values[10] = None if values[10] is None else json.loads(values[10])
            record = dict(zip(bundle.CANONICAL_FIELDS, values, strict=True))
            record["entry_hash"] = r[12]
            record["canonical"] = r[13]
            fh.write(bundle.entry_record(record))
            count += 1
    return count


def _write_csv(conn: Connection, query: object, columns: tuple[str, ...], path: Path) -> int:
    count = 0
    stream = conn.execution_options(stream_results=True, max_row_buffer=5000).execute(query)  # type: ignore[call-overload]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in stream:
            writer.writerow(row)
            count += 1
    return count


def _write_anchors(
    path: Path, anchors: Sequence[Anchor], position: int, head_hash: str, station: str
) -> None:
    now = datetime.now(UTC).isoformat()
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("# Chain heads recorded outside the database (station anchor file).\n")
        for a in anchors:
            fh.write(f"{a.position} {a.chain_hash} {a.recorded_at or '-'} # {a.source}\n")
        fh.write("# Head of the chain at export time.\n")
        if position:
            fh.write(f"{position} {head_hash} {now} {station or '-'}\n")


def readme(position: int, head_hash: str) -> str:
    return README_TEXT.format(position=position, head_hash=head_hash)


README_TEXT = """WorkCell audit trail export
===========================

Chain head at export: position {position}, hash {head_hash}

Check this bundle without WorkCell's database:  workcell audit verify --bundle <this dir>
or by hand, following the recipes below (any SHA-256 tool and a JSON parser suffice).

1. Files. MANIFEST.sha256 lists the SHA-256 of every other file:  sha256sum -c MANIFEST.sha256
   Record the SHA-256 of MANIFEST.sha256 itself (printed by the export) outside the bundle.

2. Entries (entries.jsonl, one JSON object per line). "canonical" is the string that was
   hashed when the entry was written: entry_hash = hex(SHA-256(UTF-8 bytes of canonical)).
   canonical is the text form of a PostgreSQL jsonb array (elements separated by ", ",
   object keys sorted by length then bytes, as jsonb prints them) of, in order:
     id, tx_id (text), at (UTC, "YYYY-MM-DDTHH:MM:SS.ffffffZ"), actor, actor_id, station,
     table_name, record_key, operation, before, after, reason
   before/after are the row as jsonb (timestamps rendered in UTC). A secret column (badge
   digest, PIN verifier) holds "hmac-sha256:<hex>", a keyed digest of its value under a
   key only the database holds (entries written before migration 0011 hold "***").
   operation BASELINE records a row as it was when the trail began to cover its table.
   Parsing canonical as JSON gives exactly the entry's other fields.

3. Chain (chain.csv), in position order from 1: prev_hash of position 1 is 64 zeros; each
   later prev_hash is the previous row's chain_hash;
     chain_hash = hex(SHA-256("<prev_hash>:<position>:<entry_hash>"))
   and entry_hash must equal the entry's entry_hash. Entries not in the chain had not been
   sealed when the export was taken.
   Epochs (epochs.csv; a restore into a new database cluster opens one): at an epoch's
   start_position (epoch > 1), the previous chain_hash is first replaced by
     hex(SHA-256("<previous chain_hash>:epoch:<epoch>:<after_entry_id>"))
   and the row's prev_hash must equal that (of epochs opened at one position, the last).

4. Seals (seals.csv): head_hash equals the chain_hash at last_position.

5. Anchors (anchors.txt): "<position> <chain hash> ..." lines; the chain must have that
   hash at that position. Compare them with heads printed elsewhere (EBR/DHR, station
   anchor files, earlier exports): a superuser who rewrote history and recomputed the
   chain cannot change those copies.
"""
