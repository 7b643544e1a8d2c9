"""Export bundle format and its offline verification (pure Python: no database needed).

A bundle is a directory an inspector can check on a laptop:

    entries.jsonl    one entry per line: its fields, its canonical string, its SHA-256
    chain.csv        position, entry_id, entry_hash, prev_hash, chain_hash, seal_id
    seals.csv        one row per sealing run, with its chain head
    anchors.txt      chain heads recorded outside the database, plus the head at export
    README.txt       the recipes below, in words
    MANIFEST.sha256  SHA-256 of every other file (``sha256sum -c MANIFEST.sha256``)
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from domain.audit.anchors import parse_anchors
from domain.errors import InvalidInput

GENESIS = "0" * 64
MANIFEST = "MANIFEST.sha256"
ENTRIES = "entries.jsonl"
CHAIN = "chain.csv"
SEALS = "seals.csv"
ANCHORS = "anchors.txt"
README = "README.txt"
EPOCHS = "epochs.csv"  # migration 0011; a bundle exported before it has none
FILES = (ENTRIES, CHAIN, SEALS, ANCHORS, README)
OPTIONAL_FILES = (EPOCHS,)

# Order of the fields inside the canonical JSON array (audit.canonical in the database).
CANONICAL_FIELDS = (
    "id",
    "tx_id",
    "at",
    "actor",
    "actor_id",
    "station",
    "table_name",
    "record_key",
    "operation",
    "before",
    "after",
    "reason",
)
CHAIN_COLUMNS = ("position", "entry_id", "entry_hash", "prev_hash", "chain_hash", "seal_id")
EPOCH_COLUMNS = ("epoch", "after_entry_id", "start_position", "opened_at", "reason")
SEAL_COLUMNS = (
    "id",
    "sealed_at",
    "sealed_by",
    "first_position",
    "last_position",
    "entry_count",
    "head_hash",
    "low_water",
)


def sha256_hex(data: str | bytes) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def epoch_link(prev_hash: str, epoch: int, after_entry_id: int) -> str:
    """The previous hash of an epoch's first chain row (audit.epoch_link):
    SHA-256 of "<prev_hash>:epoch:<epoch>:<after_entry_id>"."""
    return sha256_hex(f"{prev_hash}:epoch:{epoch}:{after_entry_id}")


def link_hash(prev_hash: str, position: int, entry_hash: str) -> str:
    """One chain link: SHA-256 of "<prev_hash>:<position>:<entry_hash>" (audit.link_hash)."""
    return sha256_hex(f"{prev_hash}:{position}:{entry_hash}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class BundleReport:
    entries: int = 0
    chained: int = 0
    unsealed: list[int] = field(default_factory=list)
    anchors_checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_bundle(directory: Path) -> BundleReport:
    """Check a bundle without a database; every problem is described, the first one first."""
    report = BundleReport()
    if not (directory / MANIFEST).exists():
        report.problems.append(f"{directory} has no {MANIFEST}: not an audit bundle")
        return report
    _check_manifest(directory, report)
    hashes = _check_entries(directory / ENTRIES, report)
    starts = _read_epochs(directory / EPOCHS, report) if (directory / EPOCHS).exists() else {}
    heads = _check_chain(directory / CHAIN, hashes, starts, report)
    _check_seals(directory / SEALS, heads, report)
    _check_anchors(directory / ANCHORS, heads, report)
    report.unsealed = sorted(set(hashes) - set(heads.entry_ids))
    return report


def _check_manifest(directory: Path, report: BundleReport) -> None:
    listed: dict[str, str] = {}
    for number, line in enumerate((directory / MANIFEST).read_text("utf-8").splitlines(), 1):
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            report.problems.append(f"{MANIFEST}:{number} is malformed")
            continue
        listed[name] = digest
    present = {p.name for p in directory.iterdir() if p.is_file() and p.name != MANIFEST}
    for name in sorted(set(FILES) - set(listed)):
        report.problems.append(f"{name} is not listed in {MANIFEST}")
    for name in sorted(set(OPTIONAL_FILES) & present - set(listed)):
        report.problems.append(f"{name} is not listed in {MANIFEST}")
    present -= set(OPTIONAL_FILES)
    for name in sorted(present - set(listed)):
        report.problems.append(f"{name} is not part of the bundle (not in {MANIFEST})")
    for name, digest in sorted(listed.items()):
        path = directory / name
        if "/" in name or not path.is_file():
            report.problems.append(f"{name} is listed in {MANIFEST} but missing")
        elif file_sha256(path) != digest:
            report.problems.append(f"{name} was changed: its SHA-256 differs from {MANIFEST}")


def _lines(path: Path, report: BundleReport) -> Iterator[tuple[int, str]]:
    if not path.exists():
        report.problems.append(f"{path.name} is missing")
        return
    with path.open(encoding="utf-8", errors="strict", newline="") as fh:
        try:
            yield from enumerate((line.rstrip("\n") for line in fh), 1)
        except UnicodeDecodeError as exc:
            report.problems.append(f"{path.name} is not valid UTF-8 ({exc.reason})")


def _check_entries(path: Path, report: BundleReport) -> dict[int, str]:
    """Each entry: its canonical string hashes to its entry_hash and says what its fields say."""
    hashes: dict[int, str] = {}
    for number, line in _lines(path, report):
        where = f"{ENTRIES}:{number}"
        try:
            record = json.loads(line)
            canonical = record["canonical"]
            values = json.loads(canonical)
            entry_id = int(record["id"])
        except (ValueError, KeyError, TypeError):
            report.problems.append(f"{where} is not a readable entry")
            continue
        report.entries += 1
        if sha256_hex(canonical) != record.get("entry_hash"):
            report.problems.append(
                f"entry {entry_id} ({where}): its canonical string does not hash to its entry_hash"
            )
        elif values != [record.get(name) for name in CANONICAL_FIELDS]:
            report.problems.append(
                f"entry {entry_id} ({where}): its fields differ from its canonical string"
            )
        if entry_id in hashes:
            report.problems.append(f"entry {entry_id} ({where}) appears twice")
        hashes[entry_id] = str(record.get("entry_hash"))
    return hashes


@dataclass
class _Chain:
    by_position: dict[int, str] = field(default_factory=dict)
    entry_ids: list[int] = field(default_factory=list)


def _read_epochs(path: Path, report: BundleReport) -> dict[int, tuple[int, int]]:
    """start position -> (epoch, after_entry_id) of the epoch whose first chain row it is
    (of epochs opened at one position, only the last one chained anything)."""
    starts: dict[int, tuple[int, int]] = {}
    for number, row in _csv_rows(path, EPOCH_COLUMNS, report):
        try:
            epoch, after, start = (int(row[k]) for k in EPOCH_COLUMNS[:3])
        except ValueError:
            report.problems.append(f"{EPOCHS}:{number} is not a readable epoch row")
            continue
        if epoch > 1 and epoch > starts.get(start, (0, 0))[0]:
            starts[start] = (epoch, after)
    return starts


def _check_chain(
    path: Path, hashes: dict[int, str], starts: dict[int, tuple[int, int]], report: BundleReport
) -> _Chain:
    """Walk the chain in file order: consecutive positions, links (through the epoch at each
    epoch's first row), and the entries they seal."""
    chain = _Chain()
    prev_hash, prev_position = GENESIS, 0
    for number, row in _csv_rows(path, CHAIN_COLUMNS, report):
        try:
            position, entry_id = int(row["position"]), int(row["entry_id"])
        except ValueError:
            report.problems.append(f"{CHAIN}:{number} is not a readable chain row")
            continue
        where = f"chain position {position} (entry {entry_id})"
        if position in starts:
            prev_hash = epoch_link(prev_hash, *starts[position])
        if position != prev_position + 1:
            report.problems.append(f"{where}: expected position {prev_position + 1}")
        elif row["prev_hash"] != prev_hash:
            report.problems.append(f"{where}: does not link to the previous position")
        elif link_hash(row["prev_hash"], position, row["entry_hash"]) != row["chain_hash"]:
            report.problems.append(f"{where}: chain hash does not match its content")
        elif entry_id not in hashes:
            report.problems.append(f"{where}: the entry is missing from {ENTRIES}")
        elif hashes[entry_id] != row["entry_hash"]:
            report.problems.append(f"{where}: the entry's hash differs from the sealed one")
        prev_hash, prev_position = row["chain_hash"], position
        chain.by_position[position] = row["chain_hash"]
        chain.entry_ids.append(entry_id)
    report.chained = len(chain.entry_ids)
    return chain


def _csv_rows(
    path: Path, columns: tuple[str, ...], report: BundleReport
) -> Iterator[tuple[int, dict[str, str]]]:
    lines = (line for _, line in _lines(path, report))
    reader = csv.DictReader(lines)
    if reader.fieldnames is not None and tuple(reader.fieldnames) != columns:
        report.problems.append(f"{path.name} has unexpected columns {reader.fieldnames}")
        return
    yield from enumerate(reader, 2)


def _check_seals(path: Path, chain: _Chain, report: BundleReport) -> None:
    for number, row in _csv_rows(path, SEAL_COLUMNS, report):
        try:
            last = int(row["last_position"])
        except ValueError:
            report.problems.append(f"{SEALS}:{number} is not a readable seal row")
            continue
        if chain.by_position.get(last) != row["head_hash"]:
            report.problems.append(
                f"seal {row['id']}: its head at position {last} differs from the chain"
            )


def _check_anchors(path: Path, chain: _Chain, report: BundleReport) -> None:
    if not path.exists():
        report.problems.append(f"{ANCHORS} is missing")
        return
    try:
        anchors = parse_anchors(path.read_text("utf-8"), ANCHORS)
    except (InvalidInput, UnicodeDecodeError) as exc:
        report.problems.append(str(exc))
        return
    for anchor in anchors:
        report.anchors_checked += 1
        if chain.by_position.get(anchor.position) != anchor.chain_hash:
            report.problems.append(
                f"anchor {anchor.source}: the chain at position {anchor.position} differs"
            )


def entry_record(row: dict[str, Any]) -> str:
    """One entries.jsonl line (fields in canonical order, then hash and canonical string)."""
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"
