"""What the last successful verify covered, kept outside the database beside the anchors.

An incremental verify starts from it (docs/audit.md#rows-versus-trail): rows touched by
entries up to ``entry_id`` were compared then, and a row written since without the trigger
shows by its ``xmin``. A full pass runs at least every ``FULL_EVERY`` (or on ``--full``):
an edit in the very transaction of a row's latest entry keeps that xmin, so only a full
pass compares it. The mark is per installation: another database's mark is ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

FULL_EVERY = dt.timedelta(hours=24)


@dataclass(frozen=True)
class VerifiedMark:
    installation: str
    entry_id: int  # every entry up to this id was verified, and the rows it touched
    full_at: dt.datetime  # when the last full pass (every row compared) ran
    epoch: int = 1
    # the snapshot xmin of that verify: entries of transactions from here on are rehashed
    # (an old mark without it rehashes every entry)
    tx_horizon: str = "0"

    def starts(self, installation: str, epoch: int, now: dt.datetime) -> bool:
        """Whether an incremental pass may start from this mark."""
        return (
            self.installation == installation
            and self.epoch == epoch
            and now - self.full_at < FULL_EVERY
        )


def read_mark(path: Path) -> VerifiedMark | None:
    """The mark in ``path``; a missing or unreadable one gives None (a full pass)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return VerifiedMark(
            installation=str(raw["installation"]),
            entry_id=int(raw["entry_id"]),
            full_at=dt.datetime.fromisoformat(raw["full_at"]),
            epoch=int(raw.get("epoch", 1)),
            tx_horizon=str(int(raw.get("tx_horizon", 0))),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_mark(path: Path, mark: VerifiedMark) -> None:
    """Replace the mark atomically (a torn mark would start the next pass wrongly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    record = asdict(mark)
    record["full_at"] = mark.full_at.isoformat()
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(record, fh)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
