"""Verify checks around the chain: audit triggers, seal rows, anchors (see verify.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

from domain.audit.anchors import Anchor

GENESIS = "0" * 64
LIMIT = 100  # problems reported per check; the first one is what matters

# Tables whose append-only guards must exist and be ENABLE ALWAYS ('A').
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


_TRIGGERS = text("""
    WITH wanted (table_name, trigger_name) AS (
        SELECT table_name, 'audit_row' FROM audit.regulated_table
        UNION ALL SELECT table_name, 'audit_no_truncate' FROM audit.regulated_table
        UNION ALL SELECT t, n FROM unnest(CAST(:append_only AS text[])) AS t,
                                   unnest(ARRAY['append_only', 'append_only_truncate']) AS n)
    -- by catalogue name, not to_regclass: a station has no USAGE on schema auth
    -- (auth.pin_verifier is regulated), and to_regclass refuses it
    , rel AS (
        SELECT w.table_name, w.trigger_name, c.oid
          FROM wanted w
          LEFT JOIN (pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace)
                 ON n.nspname || '.' || c.relname = w.table_name)
    SELECT w.table_name, w.trigger_name, w.oid IS NOT NULL, tg.tgenabled
      FROM rel w
      LEFT JOIN pg_trigger tg ON tg.tgrelid = w.oid
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
    for seal_id, last, entry_id, no_head, bad_head, _gap in conn.execute(_SEALS, {"limit": LIMIT}):
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


def own_anchors(conn: Connection, anchors: Sequence[Anchor]) -> list[Anchor]:
    """This installation's anchors and those that name none (written before migration 0008);
    another installation's anchors are about another database."""
    mine = str(conn.execute(text("SELECT id::text FROM audit.installation")).scalar() or "")
    return [a for a in anchors if a.belongs_to(mine)]


def current_timeline(conn: Connection, anchors: Sequence[Anchor]) -> tuple[list[Anchor], list[str]]:
    """Anchors of an earlier epoch at positions the next epoch took over describe history
    that a restore from an older backup abandoned: the positions now hold the restored
    timeline's entries. They are not compared; verify says how many there are and where the
    epoch began (the epoch itself is hashed into the chain, audit.epoch_link)."""
    starts = {
        int(e): int(p)
        for e, p in conn.execute(text("SELECT epoch, start_position FROM audit.epoch"))
    }
    kept: list[Anchor] = []
    lost: dict[int, list[Anchor]] = {}
    for anchor in anchors:
        later = [starts[e] for e in starts if anchor.epoch and e > anchor.epoch]
        if later and anchor.position >= min(later):
            lost.setdefault(anchor.epoch, []).append(anchor)
        else:
            kept.append(anchor)
    warnings = [
        f"{len(found)} anchors of epoch {epoch} lie at or beyond position "
        f"{min(s for e, s in starts.items() if e > epoch)}, where a later epoch (a restore) "
        "began: the entries they anchored were not in the restored backup"
        for epoch, found in sorted(lost.items())
    ]
    return kept, warnings


def check_anchors(conn: Connection, anchors: Sequence[Anchor]) -> list[Problem]:
    """Compare the chain with heads recorded outside the database (see own_anchors)."""
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
