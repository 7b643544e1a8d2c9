"""Anchors: chain heads written outside the database.

A superuser can rewrite the chain consistently after editing an entry; the heads recorded
here (and in every export, EBR/DHR) cannot be reached from the database. File format, one
anchor per line, '#' starts a comment:

    <position> <chain hash (64 hex)> [<recorded at, ISO 8601>] [<station>] [<installation>]
        [<epoch>]

The installation (audit.installation, an id created with the database) keeps the anchors of
two databases sealed from one machine apart: verify checks its own installation's anchors
and those that name none (written before migration 0008), and ignores the others. The epoch
(migration 0011; 0 = not named) tells an anchor of history a restore abandoned from a
rewrite (verify_meta.current_timeline).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from domain.errors import InvalidInput

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Anchor:
    position: int
    chain_hash: str
    source: str  # "file:line", for messages
    recorded_at: str = ""
    installation: str = ""
    epoch: int = 0

    def belongs_to(self, installation: str) -> bool:
        return not self.installation or not installation or self.installation == installation


def parse_anchors(content: str, source: str) -> list[Anchor]:
    """Parse anchor lines; a malformed line is refused (a silently skipped anchor is no anchor)."""
    anchors: list[Anchor] = []
    for number, raw in enumerate(content.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) < 2 or not parts[0].isdigit() or not _HEX64.match(parts[1]):
            raise InvalidInput(f"{source}:{number} is not an anchor line: {raw.strip()!r}")
        recorded = parts[2] if len(parts) > 2 else ""
        installation = parts[4] if len(parts) > 4 and parts[4] != "-" else ""
        if len(parts) > 5 and not parts[5].isdigit():
            raise InvalidInput(f"{source}:{number} names no epoch: {raw.strip()!r}")
        epoch = int(parts[5]) if len(parts) > 5 else 0
        anchors.append(
            Anchor(int(parts[0]), parts[1], f"{source}:{number}", recorded, installation, epoch)
        )
    return anchors


def read_anchors(path: Path) -> list[Anchor]:
    """Anchors from a file; a missing file gives none."""
    if not path.exists():
        return []
    return parse_anchors(path.read_text(encoding="utf-8"), str(path))


def format_anchor(
    position: int,
    chain_hash: str,
    at: datetime,
    station: str,
    installation: str = "",
    epoch: int = 0,
) -> str:
    tail = f"{installation or '-'} {epoch}" if epoch else installation
    return f"{position} {chain_hash} {at.isoformat()} {station or '-'} {tail}".rstrip() + "\n"


def append_anchor(
    path: Path,
    position: int,
    chain_hash: str,
    at: datetime,
    station: str,
    installation: str = "",
    epoch: int = 0,
) -> None:
    """Append one head and force it to disk: an anchor lost in a crash anchors nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = format_anchor(position, chain_hash, at, station, installation, epoch)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def last_anchor(path: Path, installation: str = "") -> Anchor | None:
    """The newest anchor (of ``installation``, when given), reading only the file's tail (the
    file grows for years; an installation whose last anchor is further back is anchored anew,
    which is harmless)."""
    if not path.exists():
        return None
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        fh.seek(max(0, fh.tell() - 4096))
        tail = fh.read().decode("utf-8", errors="replace").splitlines()[-20:]
    for raw in reversed(tail):
        try:
            found = parse_anchors(raw, str(path))
        except InvalidInput:
            continue  # a partial first line of the tail, or a torn last write
        if found and found[0].belongs_to(installation):
            return found[0]
    return None
