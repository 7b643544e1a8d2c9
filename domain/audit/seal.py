"""Sealing: chain committed audit entries (the work is done by audit.seal() in SQL).

The database function is SECURITY DEFINER and granted to the app role, so a station can
seal without any privilege on the audit tables. It takes an advisory lock (one sealer at a
time) and chains only entries of transactions that have ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, text

_SEAL = text(
    "SELECT s.sealed, s.head_position, s.head_hash, s.low_water::text, s.seal_id, "
    "clock_timestamp(), (SELECT i.id::text FROM audit.installation i),"
    " (SELECT max(epoch) FROM audit.epoch) FROM audit.seal() s"
)


@dataclass(frozen=True)
class SealResult:
    """One sealing run: how many entries it chained and the chain head afterwards."""

    sealed: int
    head_position: int
    head_hash: str
    low_water: str
    seal_id: int | None
    at: datetime
    installation: str = ""  # the id every anchor of this database names
    epoch: int = 0  # the chain's epoch after this run (a restore opens one)

    @property
    def is_empty_chain(self) -> bool:
        return self.head_position == 0


def seal(engine: Engine) -> SealResult:
    """Run one sealing pass in its own READ COMMITTED transaction and commit it."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="READ COMMITTED")
        with conn.begin():
            row = conn.execute(_SEAL).one()
    return SealResult(
        sealed=int(row[0]),
        head_position=int(row[1]),
        head_hash=str(row[2]),
        low_water=str(row[3]),
        seal_id=None if row[4] is None else int(row[4]),
        at=row[5],
        installation=str(row[6] or ""),
        epoch=int(row[7] or 0),
    )
