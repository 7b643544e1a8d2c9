"""Sealing: chain committed audit entries (the work is done by audit.seal() in SQL).

The database function is SECURITY DEFINER and granted to the app role, so a station can
seal without any privilege on the audit tables. It takes an advisory lock (one sealer at a
time) and chains only entries of transactions that have ended.

The sealer never waits for that lock (issue 11 item 4): a station could hold it in an open
transaction and stop every sealer. ``seal`` tries it first, in the same transaction (the
function's own try is then re-entrant), and when someone else holds it returns a result
with ``blocked`` set (who holds it, for how long) instead of waiting; held past the policy's
seal_alarm_s, the database records a 'sealing_blocked' security event. The station watchdog
(domain/watchdog.py, run by every sealer loop first) ends a holder past its time limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, text

SEAL_LOCK_KEY = 1464030021  # 0x57435345 "WCSE", migration 0002
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(:k)")
_BLOCKED = text("SELECT holder_pid, holder_station, held_s, alarm FROM audit.report_seal_blocked()")
_HEAD = text(
    "SELECT coalesce(s.last_position, 0), coalesce(s.head_hash, repeat('0', 64)),"
    " coalesce(s.low_water::text, '0'), s.id, clock_timestamp(),"
    " (SELECT i.id::text FROM audit.installation i), (SELECT max(epoch) FROM audit.epoch)"
    " FROM (SELECT 1) AS one LEFT JOIN LATERAL"
    " (SELECT * FROM audit.seal ORDER BY id DESC LIMIT 1) AS s ON true"
)
_SEAL = text(
    "SELECT s.sealed, s.head_position, s.head_hash, s.low_water::text, s.seal_id, "
    "clock_timestamp(), (SELECT i.id::text FROM audit.installation i) FROM audit.seal() s"
)
# A statement does not see rows the function it calls inserted: the epoch a run opened (after
# a restore) is read by the next statement of the same transaction, so the anchor of that
# run names the new epoch.
_EPOCH = text("SELECT max(epoch) FROM audit.epoch")


@dataclass(frozen=True)
class SealBlocked:
    """Someone else held the sealer's lock: nothing was sealed, and nobody waited."""

    holder_pid: int | None
    holder_station: str | None
    held_s: int
    alarm: bool  # held past seal_alarm_s: a 'sealing_blocked' security event was recorded

    def describe(self) -> str:
        if self.holder_pid is None:
            return "Sealing blocked for a moment (the sealer's lock was just released)."
        return (
            f"Sealing blocked: the sealer's lock is held by {self.holder_station or 'unknown'}"
            f" (pid {self.holder_pid}) for {self.held_s} s"
            + ("; alarm raised" if self.alarm else "")
            + ". Not waiting; the station watchdog ends it at the time limit."
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
    blocked: SealBlocked | None = None  # set when another session held the sealer's lock
    epoch: int = 0  # the chain's epoch after this run (a restore opens one)

    @property
    def is_empty_chain(self) -> bool:
        return self.head_position == 0


def seal(engine: Engine) -> SealResult:
    """Run one sealing pass in its own READ COMMITTED transaction and commit it; if another
    session holds the sealer's lock, report who (``blocked``) and return without waiting."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="READ COMMITTED")
        with conn.begin():
            got = bool(conn.execute(_TRY_LOCK, {"k": SEAL_LOCK_KEY}).scalar())
            if got:
                row = (*conn.execute(_SEAL).one(), conn.execute(_EPOCH).scalar())
        if not got:
            with conn.begin():
                b = conn.execute(_BLOCKED).one()
                row = conn.execute(_HEAD).one()
            blocked = SealBlocked(b[0], b[1], int(b[2] or 0), bool(b[3]))
            return SealResult(
                0, int(row[0]), str(row[1]), str(row[2]), row[3], row[4], str(row[5] or ""),
                blocked, int(row[6] or 0),
            )  # fmt: skip
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
