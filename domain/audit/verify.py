"""Verify the audit trail in the database: set-based SQL, no row-by-row walk in Python.

Checks (docs/audit.md#verify): every entry's hash recomputed from its content; every chain
row's link, position and entry; entries of ended transactions missing from the chain;
entries left unsealed longer than the grace time; seal rows against the chain; anchors
kept outside the database; the audit triggers of every regulated table (ENABLE ALWAYS);
every regulated row against the after-image of its latest entry (verify_rows.py).

Alarms (not integrity failures, printed beside the verdict): sealing blocked now or in the
last 24 hours, the station watchdog ending transactions or unable to run, a large seal lag.

Verify is a read-only report: READ ONLY transaction, statement time-out raised to the
policy's report limit (the station watchdog allows a read-only transaction that long).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, text

from domain.audit.anchors import Anchor
from domain.audit.machinery import check_guards, check_machinery
from domain.audit.verify_meta import (
    GENESIS,
    LIMIT,
    Problem,
    check_anchors,
    check_seals,
    check_triggers,
    current_timeline,
    own_anchors,
)
from domain.audit.verify_rows import check_rows
from domain.watchdog import sealing_alarm


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    chained: int
    pending: int
    anchors_checked: int
    seconds: float
    problems: tuple[Problem, ...]
    warnings: tuple[str, ...] = field(default=())
    alarms: tuple[str, ...] = field(default=())
    full: bool = True  # every row compared (else: rows touched since ``since_entry``, xmin)
    last_entry_id: int = 0  # the newest entry this run saw (the next incremental pass's start)
    installation: str = ""
    at: datetime | None = None  # the database's time of the snapshot
    epoch: int = 1
    snapshot_xmin: str = "0"  # every transaction not ended at the snapshot has an id >= this

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return min(self.problems, key=lambda p: p.order) if self.problems else None


Progress = Callable[[float, str], None]  # (fraction done, what is being checked)


def verify(
    engine: Engine,
    anchors: Sequence[Anchor] = (),
    grace_s: float = 60.0,
    progress: Progress | None = None,
    full: bool = True,
    since_entry: int = 0,
    since_xmin: str = "0",
) -> VerifyReport:
    """Run every check in one REPEATABLE READ snapshot, so they agree with each other.

    ``progress`` (optional) is called before each check; the fractions are the measured
    shares of the run time (hashing every entry dominates). ``full=False`` compares the
    content of only those regulated rows touched by entries after ``since_entry`` or whose
    xmin is not their latest entry's transaction (docs/audit.md#rows-versus-trail), and
    recomputes the hash only of entries after ``since_entry``, of transactions from
    ``since_xmin`` (the last verify's snapshot xmin) on, or whose xmin is not their own
    transaction's (docs/audit.md#verify).
    """
    report = progress or (lambda fraction, message: None)
    started = time.perf_counter()
    problems: list[Problem] = []
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.execute(text("SET TRANSACTION READ ONLY"))
            report_limit(conn)
            # Hashing is CPU-bound: let both cores work, and keep the join's hash in memory.
            conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 2"))
            conn.execute(text("SET LOCAL work_mem = '256MB'"))
            report(0.02, "Checking the audit triggers and functions")
            problems += check_triggers(conn)
            problems += check_machinery(conn)
            problems += check_guards(conn)
            report(0.05, "Recomputing the hash of every entry")
            problems += check_entry_hashes(conn, full, since_entry, since_xmin)
            report(0.45, "Checking every link of the chain")
            sealed = _sealed(conn)
            entries, chained = _counts(conn, sealed)
            # an incremental chain check needs the counts to agree: a chain row whose entry
            # was deleted leaves no changed row behind, only one entry too few
            incremental = not full and entries["below"] == chained
            chain_problems = check_chain(conn, not incremental, since_xmin, sealed)
            problems += chain_problems
            report(0.70, "Looking for entries missing from the chain")
            if chain_problems:  # rows may point at deleted entries: do not trust the count
                entries["below"] = -1
            problems += check_unchained(conn, sealed, entries, chained)
            pending, late = check_pending(conn, sealed, grace_s)
            problems += late
            report(0.75, "Checking seals and anchors")
            problems += check_seals(conn)
            report(0.80, "Comparing the regulated rows with the trail")
            problems += check_rows(conn, full, since_entry)
            last_entry, installation, snapshot_at, snapshot_xmin = conn.execute(
                text(
                    "SELECT (SELECT coalesce(max(id), 0) FROM audit.entry),"
                    " (SELECT id::text FROM audit.installation), now(),"
                    " pg_snapshot_xmin(pg_current_snapshot())::text"
                )
            ).one()
            others = len(anchors)
            anchors = own_anchors(conn, anchors)
            others -= len(anchors)
            anchors, abandoned = current_timeline(conn, anchors)
            problems += check_anchors(conn, anchors)
            alarms = sealing_alarms(conn, sealed.low, grace_s)
    report(1.0, "Done")
    warnings = []
    if others:
        warnings.append(f"{others} anchors of other installations (other databases) ignored.")
    warnings += abandoned
    if not anchors:
        warnings.append(
            "No anchors given: a consistent rewrite of the chain by a superuser cannot be "
            "detected without the chain heads kept outside the database."
        )
    return VerifyReport(
        entries=entries["all"],
        chained=chained,
        pending=pending,
        anchors_checked=len(anchors),
        seconds=time.perf_counter() - started,
        problems=tuple(sorted(problems, key=lambda p: p.order)),
        warnings=tuple(warnings),
        alarms=tuple(alarms),
        full=full,
        last_entry_id=int(last_entry),
        installation=str(installation or ""),
        at=snapshot_at,
        epoch=sealed.epoch,
        snapshot_xmin=str(snapshot_xmin),
    )


_REPORT_LIMIT = text(
    "SELECT set_config('statement_timeout', (report_limit_s * 1000)::text, true)"
    " FROM workcell.station_limits WHERE id = 1"
)
_HAS_LIMITS = text("SELECT to_regclass('workcell.station_limits') IS NOT NULL")


def report_limit(conn: Connection) -> None:
    """A read-only report may run as long as the policy's report limit (the station role's
    statement_timeout is meant for writes); the watchdog enforces that limit."""
    if conn.execute(_HAS_LIMITS).scalar():
        conn.execute(_REPORT_LIMIT)


_OLDEST_UNSEALED = text("""
    SELECT extract(epoch FROM now() - min(e.at)) FROM audit.entry e
     WHERE e.tx_id >= CAST(:low AS xid8)
       AND NOT EXISTS (SELECT 1 FROM audit.chain c WHERE c.entry_id = e.id)
""")


def sealing_alarms(conn: Connection, low_water: str, grace_s: float) -> list[str]:
    """Blocked sealing, the watchdog's work, and a seal lag past half the grace time."""
    alarm = sealing_alarm(conn)
    lines = alarm.lines() if alarm else []
    lag = conn.execute(_OLDEST_UNSEALED, {"low": low_water}).scalar()
    if lag is not None and float(lag) > grace_s / 2:
        lines.append(
            f"Seal lag {float(lag):.0f} s (an entry waits that long to be sealed; "
            f"verify fails past {grace_s:.0f} s): is a sealer running, or is sealing blocked?"
        )
    return lines


_BAD_ENTRY_HASH = text("""
    SELECT e.id FROM audit.entry e
     WHERE audit.entry_hash(e) IS DISTINCT FROM e.entry_hash
     ORDER BY e.id LIMIT :limit
""")
# An incremental pass (full = false) recomputes the hash only of entries newer than the last
# verified entry (:since), of transactions that had not ended when that verify took its
# snapshot (tx_id >= :since_xmin), or whose row version was not written by their own
# transaction (xmin <> tx_id mod 2^32). Entries are never updated, so an untouched entry
# still carries the xmin of the transaction that wrote it, and any later edit gives it a new
# xmin — also the edit of a superuser who sets tx_id to their own transaction's id, since
# that id is at least the last verify's snapshot xmin. What it cannot see (an xid equal mod
# 2^32 after wraparound) the daily full pass does; after a restore every entry carries the
# restore's xmin and is rehashed. The chain is checked incrementally too (check_chain).
_TO_HASH = """
    (:full OR e.id > :since OR e.tx_id >= CAST(:since_xmin AS xid8)
     OR e.xmin::text::bigint <> e.tx_id::text::bigint % 4294967296)
"""
_EVERY = {"full": True, "since": 0, "since_xmin": "0"}
_POSITIONS = text("SELECT entry_id, position FROM audit.chain WHERE entry_id = ANY(:ids)")


# CASE, not AND: the planner orders a WHERE clause's terms by its own cost guess, and it
# guessed the inlined hash cheaper than the tests that make it needless, so an incremental
# pass rehashed every entry (3.6 s of a 1,000,000-entry trail instead of 0.2 s).
_COUNT_BAD_ENTRY_HASH = text(f"""
    SELECT count(*) FROM audit.entry e
     WHERE CASE WHEN {_TO_HASH} THEN audit.entry_hash(e) IS DISTINCT FROM e.entry_hash
                ELSE false END
""")


def check_entry_hashes(
    conn: Connection, full: bool = True, since_entry: int = 0, since_xmin: str = "0"
) -> list[Problem]:
    """Recompute every entry's SHA-256 from its content (an incremental pass: only the
    entries after ``since_entry``, of transactions from ``since_xmin`` on, or whose xmin is
    not their own transaction's).

    An aggregate first (it runs as a parallel scan; ORDER BY ... LIMIT would not), and the
    ordered list (of every entry) only when something is wrong.
    """
    params = {"full": full, "since": since_entry, "since_xmin": since_xmin}
    if not conn.execute(_COUNT_BAD_ENTRY_HASH, params).scalar():
        return []
    ids = [row[0] for row in conn.execute(_BAD_ENTRY_HASH, {"limit": LIMIT})]
    if not ids:
        return []
    positions: dict[int, int] = {int(e): int(p) for e, p in conn.execute(_POSITIONS, {"ids": ids})}
    return [
        Problem(
            "entry-hash",
            f"entry {i} was changed after it was written (its content no longer matches its hash)",
            positions.get(i),
            i,
        )
        for i in ids
    ]


# The previous hash each chain row must carry: the row before's chain hash, or genesis; the
# first row of an epoch after the first links through audit.epoch_link (epochs never go back).
_LINKS = """
    WITH c AS (
        SELECT position, entry_id, entry_hash, prev_hash, chain_hash, epoch,
               lag(chain_hash) OVER w AS lag_hash, lag(position) OVER w AS prev_position,
               lag(epoch) OVER w AS prev_epoch
          FROM audit.chain WINDOW w AS (ORDER BY position)),
    x AS (
        SELECT c.*, CASE WHEN c.epoch > coalesce(c.prev_epoch, 1)
                         THEN audit.epoch_link(coalesce(c.lag_hash, :genesis), c.epoch,
                                               ep.after_entry_id)
                         ELSE coalesce(c.lag_hash, :genesis) END AS expected_prev
          FROM c LEFT JOIN audit.epoch ep ON ep.epoch = c.epoch)
"""
_CHAIN = text(
    _LINKS
    + """
    SELECT c.position, c.entry_id, e.id IS NULL AS missing,
           e.entry_hash IS DISTINCT FROM c.entry_hash AS hash_differs,
           c.position <> coalesce(c.prev_position, 0) + 1 AS gap,
           c.prev_hash IS DISTINCT FROM c.expected_prev
               OR c.epoch < coalesce(c.prev_epoch, 1) AS bad_prev,
           audit.link_hash(c.prev_hash, c.position, c.entry_hash)
               IS DISTINCT FROM c.chain_hash AS bad_link
      FROM x c LEFT JOIN audit.entry e ON e.id = c.entry_id
     WHERE e.id IS NULL OR e.entry_hash IS DISTINCT FROM c.entry_hash
        OR c.position <> coalesce(c.prev_position, 0) + 1
        OR c.prev_hash IS DISTINCT FROM c.expected_prev OR c.epoch < coalesce(c.prev_epoch, 1)
        OR audit.link_hash(c.prev_hash, c.position, c.entry_hash) IS DISTINCT FROM c.chain_hash
     ORDER BY c.position LIMIT :limit
"""
)


_COUNT_BAD_LINKS = text("""
    SELECT count(*) FROM audit.chain c LEFT JOIN audit.entry e ON e.id = c.entry_id
     WHERE e.id IS NULL OR e.entry_hash IS DISTINCT FROM c.entry_hash
        OR audit.link_hash(c.prev_hash, c.position, c.entry_hash) IS DISTINCT FROM c.chain_hash
""")
_COUNT_BAD_ORDER = text(
    _LINKS
    + """
    SELECT count(*) FROM x c
     WHERE c.position <> coalesce(c.prev_position, 0) + 1
        OR c.prev_hash IS DISTINCT FROM c.expected_prev OR c.epoch < coalesce(c.prev_epoch, 1)
"""
)


# An incremental pass checks the chain rows that any transaction from :since_xmin (the last
# verify's snapshot xmin) on wrote or changed — new seals and any edit alike, whatever it
# sets in the row: a row's xmin is the transaction that wrote its version — and the rows
# of entries so changed, each with the row after it (whose link names it) and the first
# row of any epoch whose row changed; plus the counts: positions 1..n with none missing, no
# changed entry of a sealed transaction left out of the chain (and, in verify(), as many
# sealed entries as chain rows: a deleted entry leaves no changed row). Everything else
# is as the last verify found it. A row's xmin is 32 bits: its distance from the
# snapshot's xmax is taken mod 2^32, exact while verify runs at least once per 2^32
# transactions (a full pass every 24 hours, watermark.py); a row frozen long ago only looks
# recent, which costs a check.
_RECENT = """(((CAST(:cur AS bigint) - {xmin}::text::bigint) % 4294967296 + 4294967296)
              % 4294967296 <= CAST(:cur AS bigint) - CAST(:since_xmin AS bigint))"""
# The changed rows are gathered into arrays first: the planner cannot estimate the xmin
# test, and guessing a third of the trail it would hash-join the whole chain; a few
# thousand changed rows are probed by index instead.
_COUNT_BAD_RECENT = text(f"""
    WITH k AS MATERIALIZED (
        SELECT array(SELECT c.position FROM audit.chain c
                      WHERE {_RECENT.format(xmin="c.xmin")}) AS pos,
               array(SELECT e.id FROM audit.entry e WHERE {_RECENT.format(xmin="e.xmin")}) AS ids,
               array(SELECT ep.epoch FROM audit.epoch ep
                      WHERE {_RECENT.format(xmin="ep.xmin")}) AS epochs),
    touched AS (
        SELECT unnest(k.pos) AS position FROM k
        UNION SELECT c.position FROM k, unnest(k.ids) AS x(id)
                JOIN audit.chain c ON c.entry_id = x.id
        UNION SELECT (SELECT min(c.position) FROM audit.chain c WHERE c.epoch = x.epoch)
                FROM k, unnest(k.epochs) AS x(epoch)),
    checked AS (SELECT position FROM touched UNION SELECT position + 1 FROM touched)
    SELECT (SELECT count(*) FROM checked k
              JOIN audit.chain c ON c.position = k.position
              LEFT JOIN audit.chain p ON p.position = c.position - 1
              LEFT JOIN audit.epoch ep ON ep.epoch = c.epoch
              LEFT JOIN audit.entry e ON e.id = c.entry_id
             WHERE e.id IS NULL OR e.entry_hash IS DISTINCT FROM c.entry_hash
                OR (p.position IS NULL AND c.position <> 1) OR c.epoch < coalesce(p.epoch, 1)
                OR c.prev_hash IS DISTINCT FROM
                   CASE WHEN c.epoch > coalesce(p.epoch, 1)
                        THEN audit.epoch_link(coalesce(p.chain_hash, :genesis), c.epoch,
                                              ep.after_entry_id)
                        ELSE coalesce(p.chain_hash, :genesis) END
                OR audit.link_hash(c.prev_hash, c.position, c.entry_hash)
                   IS DISTINCT FROM c.chain_hash)
         + (SELECT count(*) FROM k, unnest(k.ids) AS x(id) JOIN audit.entry e ON e.id = x.id
             WHERE (e.id <= :after OR e.tx_id < CAST(:low AS xid8))
               AND NOT EXISTS (SELECT 1 FROM audit.chain c WHERE c.entry_id = e.id))
         + (SELECT CASE WHEN count(*) = coalesce(max(position), 0)
                         AND coalesce(min(position), 1) = 1 THEN 0 ELSE 1 END
              FROM audit.chain)
""")
_CUR = text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")


def check_chain(
    conn: Connection, full: bool = True, since_xmin: str = "0", sealed: Sealed | None = None
) -> list[Problem]:
    """Walk the chain set-based: each row links to the previous one and to its entry.

    Two cheap counts first (a parallel hash join, and a window over the primary key) — or,
    incrementally (``full=False``, a ``since_xmin`` and where sealing stood), one count over
    the rows changed since the last verify; the detailed, ordered query over the whole
    chain runs only when a count finds something.
    """
    cur = int(conn.execute(_CUR).scalar() or 0)
    # a mark ahead of this cluster's transaction counter was not made on this database's
    # history (a restore by hand, a copy): nothing would look changed, so check it all
    if not full and sealed is not None and 0 < int(since_xmin) <= cur:
        params = {"cur": cur, "since_xmin": since_xmin,
                  "genesis": GENESIS, "after": sealed.after, "low": sealed.low}  # fmt: skip
        if not conn.execute(_COUNT_BAD_RECENT, params).scalar():
            return []
    elif (
        not conn.execute(_COUNT_BAD_LINKS).scalar()
        and not conn.execute(_COUNT_BAD_ORDER, {"genesis": GENESIS}).scalar()
    ):
        return []
    problems = []
    params = {"genesis": GENESIS, "limit": LIMIT}
    for pos, entry_id, missing, differs, gap, bad_prev, _bad_link in conn.execute(_CHAIN, params):
        where = f"chain position {pos} (entry {entry_id})"
        if missing:
            msg = f"{where}: the entry was deleted"
        elif differs:
            msg = f"{where}: the entry's hash differs from the sealed one (entry rewritten)"
        elif gap:
            msg = f"{where}: positions are not consecutive (chain rows removed or moved)"
        elif bad_prev:
            msg = f"{where}: does not link to the previous position (chain reordered or cut)"
        else:
            msg = f"{where}: its chain hash does not match its content (chain row altered)"
        problems.append(Problem("chain", msg, pos, entry_id))
    return problems


@dataclass(frozen=True)
class Sealed:
    """Where sealing stands: every entry with ``id <= after`` (earlier epochs) or with
    ``tx_id < low`` (this epoch) is in the chain."""

    low: str
    after: int
    epoch: int


_SEALED = text("""
    SELECT CASE WHEN s.epoch = ep.epoch THEN s.low_water::text ELSE '0' END,
           ep.after_entry_id, ep.epoch
      FROM (SELECT * FROM audit.epoch ORDER BY epoch DESC LIMIT 1) ep
      LEFT JOIN LATERAL (SELECT * FROM audit.seal ORDER BY id DESC LIMIT 1) s ON true
""")


def _sealed(conn: Connection) -> Sealed:
    row = conn.execute(_SEALED).first()
    if row is None:  # no epoch row: a database before migration 0011's epochs
        return Sealed("0", 0, 1)
    return Sealed(str(row[0]), int(row[1]), int(row[2]))


def _counts(conn: Connection, sealed: Sealed) -> tuple[dict[str, int], int]:
    row = conn.execute(
        text(
            "SELECT (SELECT count(*) FROM audit.entry),"
            " (SELECT count(*) FROM audit.entry"
            "   WHERE id <= :after OR tx_id < CAST(:low AS xid8)),"
            " (SELECT count(*) FROM audit.chain)"
        ),
        {"low": sealed.low, "after": sealed.after},
    ).one()
    return {"all": int(row[0]), "below": int(row[1])}, int(row[2])


_UNCHAINED = text("""
    SELECT e.id FROM audit.entry e
     WHERE (e.id <= :after OR e.tx_id < CAST(:low AS xid8))
       AND NOT EXISTS (SELECT 1 FROM audit.chain c WHERE c.entry_id = e.id)
     ORDER BY e.id LIMIT :limit
""")


def check_unchained(
    conn: Connection, sealed: Sealed, entries: dict[str, int], chained: int
) -> list[Problem]:
    """Entries of sealed transactions that are not in the chain (inserted afterwards).

    Counting first avoids an anti-join of the whole table when the counts agree: the sealer
    chains every entry below the low-water mark, chain entry ids are unique, and (when the
    chain check found nothing) every chain row points at an existing entry.
    """
    if entries["below"] == chained:
        return []
    rows = conn.execute(_UNCHAINED, {"low": sealed.low, "after": sealed.after, "limit": LIMIT})
    return [
        Problem(
            "not-sealed",
            f"entry {i} belongs to a transaction that was already sealed but is not in the "
            "chain (inserted afterwards)",
            None,
            i,
        )
        for (i,) in rows
    ]


_PENDING = text("""
    SELECT count(*), count(*) FILTER (WHERE e.at < now() - make_interval(secs => :grace))
      FROM audit.entry e
     WHERE e.id > :after AND e.tx_id >= CAST(:low AS xid8)
       AND NOT EXISTS (SELECT 1 FROM audit.chain c WHERE c.entry_id = e.id)
""")
_LATE = text("""
    SELECT e.id, extract(epoch FROM now() - e.at)::float8
      FROM audit.entry e
     WHERE e.id > :after AND e.tx_id >= CAST(:low AS xid8)
       AND e.at < now() - make_interval(secs => :grace)
       AND NOT EXISTS (SELECT 1 FROM audit.chain c WHERE c.entry_id = e.id)
     ORDER BY e.id LIMIT :limit
""")


def check_pending(conn: Connection, sealed: Sealed, grace_s: float) -> tuple[int, list[Problem]]:
    """Entries not yet sealed; older than the grace time they are a failure (sealer down).

    Counted in SQL: after a long sealer outage there may be millions of them.
    """
    params = {"low": sealed.low, "after": sealed.after, "grace": grace_s, "limit": LIMIT}
    pending, late_count = conn.execute(_PENDING, params).one()
    if not late_count:
        return int(pending), []
    return int(pending), [
        Problem(
            "unsealed",
            f"entry {entry_id} has been waiting {age:.0f} s to be sealed (limit "
            f"{grace_s:.0f} s): is the sealer running?",
            None,
            entry_id,
        )
        for entry_id, age in conn.execute(_LATE, params)
    ]


__all__ = [
    "GENESIS",
    "Problem",
    "Progress",
    "VerifyReport",
    "check_anchors",
    "check_chain",
    "check_entry_hashes",
    "check_machinery",
    "check_pending",
    "check_rows",
    "check_seals",
    "check_triggers",
    "check_unchained",
    "verify",
]
