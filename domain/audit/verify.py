"""Verify the audit trail in the database: set-based SQL, no row-by-row walk in Python.

Checks (docs/audit.md#verify): every entry's hash recomputed from its content; every chain
row's link, position and entry; entries of ended transactions missing from the chain;
entries left unsealed longer than the grace time; seal rows against the chain; anchors
kept outside the database; the audit triggers of every regulated table (ENABLE ALWAYS).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, text

from domain.audit.anchors import Anchor

GENESIS = "0" * 64
_LIMIT = 100  # problems reported per check; the first one is what matters

# Triggers that must exist and be ENABLE ALWAYS ('A'), by table.
APPEND_ONLY_TABLES = ("audit.entry", "audit.chain", "audit.seal")


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str
    position: int | None = None
    entry_id: int | None = None

    @property
    def order(self) -> tuple[int, int]:
        """Chain order first, then entries not in the chain by id, then the rest."""
        if self.position is not None:
            return (0, self.position)
        if self.entry_id is not None:
            return (1, self.entry_id)
        return (2, 0)


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    chained: int
    pending: int
    anchors_checked: int
    seconds: float
    problems: tuple[Problem, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return min(self.problems, key=lambda p: p.order) if self.problems else None


def verify(engine: Engine, anchors: Sequence[Anchor] = (), grace_s: float = 60.0) -> VerifyReport:
    """Run every check in one REPEATABLE READ snapshot, so they agree with each other."""
    started = time.perf_counter()
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            # Hashing is CPU-bound: let both cores work, and keep the join's hash in memory.
            conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 2"))
            conn.execute(text("SET LOCAL work_mem = '256MB'"))
            problems: list[Problem] = []
            warnings: list[str] = []
            problems += check_triggers(conn)
            problems += check_entry_hashes(conn)
            chain_problems = check_chain(conn)
            problems += chain_problems
            low_water = _low_water(conn)
            entries, chained = _counts(conn, low_water)
            if chain_problems:  # rows may point at deleted entries: do not trust the count
                entries["below"] = -1
            problems += check_unchained(conn, low_water, entries, chained)
            pending, late = check_pending(conn, low_water, grace_s)
            problems += late
            problems += check_seals(conn)
            problems += check_anchors(conn, anchors)
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
    )


_TRIGGERS = text("""
    WITH wanted (table_name, trigger_name) AS (
        SELECT table_name, 'audit_row' FROM audit.regulated_table
        UNION ALL SELECT table_name, 'audit_no_truncate' FROM audit.regulated_table
        UNION ALL SELECT t, n FROM unnest(CAST(:append_only AS text[])) AS t,
                                   unnest(ARRAY['append_only', 'append_only_truncate']) AS n)
    SELECT w.table_name, w.trigger_name, to_regclass(w.table_name) IS NOT NULL, tg.tgenabled
      FROM wanted w
      LEFT JOIN pg_trigger tg ON tg.tgrelid = to_regclass(w.table_name)
                             AND tg.tgname = w.trigger_name AND NOT tg.tgisinternal
     WHERE tg.tgenabled IS DISTINCT FROM 'A'
     ORDER BY w.table_name, w.trigger_name
""")

_STATE = {
    "O": "plain ENABLE (skipped under session_replication_role = replica)",
    "D": "DISABLED",
    "R": "ENABLE REPLICA (skipped in normal sessions)",
}


def check_triggers(conn: Connection) -> list[Problem]:
    """Every regulated table keeps audit_row ENABLE ALWAYS; audit tables stay append-only."""
    problems = []
    rows = conn.execute(_TRIGGERS, {"append_only": list(APPEND_ONLY_TABLES)})
    for table, trigger, exists, state in rows:
        if not exists:
            what = f"regulated table {table} no longer exists"
        elif state is None:
            what = f"trigger {trigger} on {table} is missing"
        else:
            what = f"trigger {trigger} on {table} is {_STATE.get(state, state)}, not ENABLE ALWAYS"
        problems.append(Problem("trigger", what + ": changes may go unrecorded."))
    return problems


_BAD_ENTRY_HASH = text("""
    SELECT e.id FROM audit.entry e
     WHERE audit.entry_hash(e) IS DISTINCT FROM e.entry_hash
     ORDER BY e.id LIMIT :limit
""")
_POSITIONS = text("SELECT entry_id, position FROM audit.chain WHERE entry_id = ANY(:ids)")


_COUNT_BAD_ENTRY_HASH = text("""
    SELECT count(*) FROM audit.entry e WHERE audit.entry_hash(e) IS DISTINCT FROM e.entry_hash
""")


def check_entry_hashes(conn: Connection) -> list[Problem]:
    """Recompute every entry's SHA-256 from its content.

    An aggregate first (it runs as a parallel scan; ORDER BY ... LIMIT would not), and the
    ordered list only when something is wrong.
    """
    if not conn.execute(_COUNT_BAD_ENTRY_HASH).scalar():
        return []
    ids = [row[0] for row in conn.execute(_BAD_ENTRY_HASH, {"limit": _LIMIT})]
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


_CHAIN = text("""
    WITH c AS (
        SELECT position, entry_id, entry_hash, prev_hash, chain_hash,
               lag(chain_hash) OVER w AS expected_prev, lag(position) OVER w AS prev_position
          FROM audit.chain WINDOW w AS (ORDER BY position))
    SELECT c.position, c.entry_id, e.id IS NULL AS missing,
           e.entry_hash IS DISTINCT FROM c.entry_hash AS hash_differs,
           c.position <> coalesce(c.prev_position, 0) + 1 AS gap,
           c.prev_hash IS DISTINCT FROM coalesce(c.expected_prev, :genesis) AS bad_prev,
           audit.link_hash(c.prev_hash, c.position, c.entry_hash)
               IS DISTINCT FROM c.chain_hash AS bad_link
      FROM c LEFT JOIN audit.entry e ON e.id = c.entry_id
     WHERE e.id IS NULL OR e.entry_hash IS DISTINCT FROM c.entry_hash
        OR c.position <> coalesce(c.prev_position, 0) + 1
        OR c.prev_hash IS DISTINCT FROM coalesce(c.expected_prev, :genesis)
        OR audit.link_hash(c.prev_hash, c.position, c.entry_hash) IS DISTINCT FROM c.chain_hash
     ORDER BY c.position LIMIT :limit
""")


_COUNT_BAD_LINKS = text("""
    SELECT count(*) FROM audit.chain c LEFT JOIN audit.entry e ON e.id = c.entry_id
     WHERE e.id IS NULL OR e.entry_hash IS DISTINCT FROM c.entry_hash
        OR audit.link_hash(c.prev_hash, c.position, c.entry_hash) IS DISTINCT FROM c.chain_hash
""")
_COUNT_BAD_ORDER = text("""
    SELECT count(*) FROM (
        SELECT position, prev_hash, lag(chain_hash) OVER w AS expected_prev,
               lag(position) OVER w AS prev_position
          FROM audit.chain WINDOW w AS (ORDER BY position)) c
     WHERE c.position <> coalesce(c.prev_position, 0) + 1
        OR c.prev_hash IS DISTINCT FROM coalesce(c.expected_prev, :genesis)
""")


def check_chain(conn: Connection) -> list[Problem]:
    """Walk the chain set-based: each row links to the previous one and to its entry.

    Two cheap counts first (a parallel hash join, and a window over the primary key); the
    detailed, ordered query runs only when one of them finds something.
    """
    if (
        not conn.execute(_COUNT_BAD_LINKS).scalar()
        and not conn.execute(_COUNT_BAD_ORDER, {"genesis": GENESIS}).scalar()
    ):
        return []
    problems = []
    params = {"genesis": GENESIS, "limit": _LIMIT}
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


def _low_water(conn: Connection) -> str:
    row = conn.execute(
        text("SELECT low_water::text FROM audit.seal ORDER BY id DESC LIMIT 1")
    ).first()
    return row[0] if row else "0"


def _counts(conn: Connection, low_water: str) -> tuple[dict[str, int], int]:
    row = conn.execute(
        text(
            "SELECT (SELECT count(*) FROM audit.entry),"
            " (SELECT count(*) FROM audit.entry WHERE tx_id < CAST(:low AS xid8)),"
            " (SELECT count(*) FROM audit.chain)"
        ),
        {"low": low_water},
    ).one()
    return {"all": int(row[0]), "below": int(row[1])}, int(row[2])


_UNCHAINED = text("""
    SELECT e.id FROM audit.entry e
     WHERE e.tx_id < CAST(:low AS xid8)
       AND NOT EXISTS (SELECT 1 FROM audit.chain c WHERE c.entry_id = e.id)
     ORDER BY e.id LIMIT :limit
""")


def check_unchained(
    conn: Connection, low_water: str, entries: dict[str, int], chained: int
) -> list[Problem]:
    """Entries of sealed transactions that are not in the chain (inserted afterwards).

    Counting first avoids an anti-join of the whole table when the counts agree: the sealer
    chains every entry below the low-water mark, chain entry ids are unique, and (when the
    chain check found nothing) every chain row points at an existing entry.
    """
    if entries["below"] == chained:
        return []
    rows = conn.execute(_UNCHAINED, {"low": low_water, "limit": _LIMIT})
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
    SELECT e.id, extract(epoch FROM now() - e.at)::float8 AS age
      FROM audit.entry e
     WHERE e.tx_id >= CAST(:low AS xid8)
       AND NOT EXISTS (SELECT 1 FROM audit.chain c WHERE c.entry_id = e.id)
     ORDER BY e.id
""")


def check_pending(conn: Connection, low_water: str, grace_s: float) -> tuple[int, list[Problem]]:
    """Entries not yet sealed; older than the grace time they are a failure (sealer down)."""
    pending = 0
    late: list[Problem] = []
    for entry_id, age in conn.execute(_PENDING, {"low": low_water}):
        pending += 1
        if age > grace_s and len(late) < _LIMIT:
            late.append(
                Problem(
                    "unsealed",
                    f"entry {entry_id} has been waiting {age:.0f} s to be sealed (limit "
                    f"{grace_s:.0f} s): is the sealer running?",
                    None,
                    entry_id,
                )
            )
    return pending, late


_SEALS = text("""
    WITH s AS (
        SELECT id, first_position, last_position, head_hash,
               lag(last_position) OVER (ORDER BY id) AS prev_last,
               lag(id) OVER (ORDER BY id) AS prev_id
          FROM audit.seal)
    SELECT s.id, s.last_position, c.entry_id,
           c.position IS NULL AS no_head, c.chain_hash IS DISTINCT FROM s.head_hash AS bad_head,
           s.first_position <> coalesce(s.prev_last, 0) + 1 OR s.id <> coalesce(s.prev_id, 0) + 1
               AS not_contiguous
      FROM s LEFT JOIN audit.chain c ON c.position = s.last_position
     WHERE c.position IS NULL OR c.chain_hash IS DISTINCT FROM s.head_hash
        OR s.first_position <> coalesce(s.prev_last, 0) + 1 OR s.id <> coalesce(s.prev_id, 0) + 1
     ORDER BY s.id LIMIT :limit
""")


def check_seals(conn: Connection) -> list[Problem]:
    """Each seal's recorded head matches the chain; seals cover the chain without gaps."""
    problems = []
    for seal_id, last, entry_id, no_head, bad_head, _gap in conn.execute(_SEALS, {"limit": _LIMIT}):
        if no_head:
            msg = f"seal {seal_id} ends at position {last}, which is missing from the chain"
        elif bad_head:
            msg = f"seal {seal_id}: the chain head at position {last} differs from the sealed one"
        else:
            msg = f"seal {seal_id} does not follow the previous seal (seal rows removed)"
        problems.append(Problem("seal", msg, last, entry_id))
    row = conn.execute(
        text(
            "SELECT (SELECT max(position) FROM audit.chain),"
            " (SELECT last_position FROM audit.seal ORDER BY id DESC LIMIT 1)"
        )
    ).one()
    if (row[0] or 0) != (row[1] or 0):
        problems.append(
            Problem("seal", f"the chain ends at {row[0]} but the last seal at {row[1]}", row[1])
        )
    return problems


def check_anchors(conn: Connection, anchors: Sequence[Anchor]) -> list[Problem]:
    """Compare the chain with heads recorded outside the database."""
    if not anchors:
        return []
    positions = sorted({a.position for a in anchors})
    chain = {
        pos: (entry_id, chain_hash)
        for pos, entry_id, chain_hash in conn.execute(
            text("SELECT position, entry_id, chain_hash FROM audit.chain WHERE position = ANY(:p)"),
            {"p": positions},
        )
    }
    good = sorted(a.position for a in anchors if chain.get(a.position, (0, ""))[1] == a.chain_hash)
    problems = []
    for anchor in sorted(anchors, key=lambda a: a.position):
        found = chain.get(anchor.position)
        if found is not None and found[1] == anchor.chain_hash:
            continue
        problems.append(_anchor_problem(conn, anchor, found, good))
    return problems


def _anchor_problem(
    conn: Connection, anchor: Anchor, found: tuple[int, str] | None, good: list[int]
) -> Problem:
    if found is None:
        return Problem(
            "anchor",
            f"anchored position {anchor.position} ({anchor.source}) is missing from the chain "
            "(the chain was cut back)",
            anchor.position,
        )
    # The change lies after the last anchor that still matches and at or before this one.
    start = max((p for p in good if p < anchor.position), default=0) + 1
    first = conn.execute(
        text("SELECT entry_id FROM audit.chain WHERE position = :p"), {"p": start}
    ).scalar()
    return Problem(
        "anchor",
        f"chain hash at position {anchor.position} (entry {found[0]}) differs from the anchor "
        f"{anchor.source}: history was rewritten; the altered entry lies between position "
        f"{start} (entry {first}) and {anchor.position} (entry {found[0]})",
        start,
        first,
    )
