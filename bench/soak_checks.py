"""What must hold after a soak, checked against what the stations were told was committed:
every acknowledged consumption in the database exactly once (nothing lost, nothing
duplicated) with its ledger transaction and its genealogy edge into the work order's output
lot; on-hand equal to the ledger (`workcell inventory verify`); every acknowledged value and
signature there exactly once; every done step with the signatures its routing step demands,
on its current content, each binding valid; every guarded status move allowed by its rule,
signed where the rule demands it, the moves of each record a continuous chain ending in its
current status; and `workcell audit verify` intact after the sealer has caught up.

Reads only: the domain's own checks where they exist (inventory verify, signatures with
their bindings re-verified, the step's sign-offs, audit verify); the guard and ledger
cross-checks are plain SELECTs on the owner connection, as an auditor would run them.
"""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

import psycopg
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bench.soak_station import Tally
from domain.audit.seal import seal
from domain.audit.verify import verify
from domain.services.materials import inventory
from domain.services.signatures import RecordRef, signatures_for
from domain.services.work_orders import execution
from domain.uow import UnitOfWork

K = TypeVar("K")


@dataclass(frozen=True)
class Check:
    name: str
    checked: int  # how many things were looked at
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


_SCANS = """
SELECT w.number, l.lot_number, e.quantity, e.inventory_txn_id, t.kind, t.lot_id = e.lot_id AND t.quantity = e.quantity,
       (SELECT count(*) FROM workcell.genealogy_edge g WHERE g.consume_txn_id = e.inventory_txn_id),
       (SELECT count(*) FROM workcell.genealogy_edge g WHERE g.consume_txn_id = e.inventory_txn_id
           AND g.parent_lot_id = e.lot_id AND g.quantity = e.quantity AND g.child_lot_id = w.output_lot_id)
  FROM workcell.step_entry e JOIN workcell.step_instance si ON si.id = e.step_instance_id
  JOIN workcell.work_order w ON w.id = si.work_order_id JOIN workcell.lot l ON l.id = e.lot_id
  LEFT JOIN workcell.inventory_txn t ON t.id = e.inventory_txn_id
 WHERE e.kind = 'scan' AND w.number = ANY(%s)
"""
# consumption ledger lines of these work orders that no step entry accounts for
_STRAY = """
SELECT count(*) FROM workcell.inventory_txn t JOIN workcell.work_order w ON w.production_record_id = t.production_record_id
 WHERE t.kind = 'consume' AND w.number = ANY(%s)
   AND NOT EXISTS (SELECT 1 FROM workcell.step_entry e WHERE e.inventory_txn_id = t.id)
"""
_VALUES = """
SELECT e.step_instance_id, d.code FROM workcell.step_entry e
  JOIN workcell.step_instance si ON si.id = e.step_instance_id JOIN workcell.work_order w ON w.id = si.work_order_id
  JOIN workcell.routing_step_data d ON d.id = e.step_data_id
 WHERE e.kind = 'value' AND w.number = ANY(%s)
"""
_SIGNATURES = """
SELECT s.record_type, s.record_id, s.meaning FROM workcell.signature s
 WHERE (s.record_type = 'step_instance' AND s.record_id IN (
          SELECT si.id FROM workcell.step_instance si JOIN workcell.work_order w ON w.id = si.work_order_id WHERE w.number = ANY(%s)))
    OR (s.record_type = 'work_order' AND s.record_id IN (SELECT id FROM workcell.work_order WHERE number = ANY(%s)))
"""
_STEPS = """
SELECT si.id, si.status, w.number FROM workcell.step_instance si JOIN workcell.work_order w ON w.id = si.work_order_id
 WHERE w.number = ANY(%s) ORDER BY si.id
"""
_CLOSED = """
SELECT w.number, w.status, l.status,
       (SELECT count(*) FROM workcell.step_instance si WHERE si.work_order_id = w.id AND si.status <> 'done')
  FROM workcell.work_order w LEFT JOIN workcell.lot l ON l.id = w.output_lot_id
 WHERE w.number = ANY(%s) AND w.status IN ('complete', 'reviewed', 'closed')
"""
_GUARDED = """
SELECT t.tgrelid::regclass::text, rtrim(encode(t.tgargs, 'escape'), '\\000')
  FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
 WHERE p.proname = 'transition_guard' AND t.tgname LIKE '%%\\_transition' ORDER BY 1
"""
# Each query counts the violations of one guard invariant for a record type (%(rt)s) whose
# table is {table}; moves are in workcell.status_transition, rules in transition_rule. The
# one record a migration writes in its final status (the default NCR risk matrix, released
# by migrations/sql/quality/rules.sql as the shipped reference) is the stated exception.
_MOVES = """
WITH m AS (SELECT t.*, lag(t.to_status) OVER w AS prev_to, row_number() OVER (PARTITION BY t.record_id ORDER BY t.id DESC) AS rn
             FROM workcell.status_transition t WHERE t.record_type = %(rt)s WINDOW w AS (PARTITION BY t.record_id ORDER BY t.id))
"""
_EXEMPT = {
    "risk_matrix": "NOT (r.revision = 1 AND r.title = 'Default NCR risk matrix (WorkCell)') AND"
}
_GUARD_INVARIANTS = {
    "a move no rule allows": _MOVES
    + """SELECT count(*) FROM m WHERE NOT EXISTS (SELECT 1 FROM workcell.transition_rule x
        WHERE x.record_type = %(rt)s AND x.from_status = m.from_status AND x.to_status = m.to_status)""",
    "a move not starting where the previous one ended": _MOVES
    + "SELECT count(*) FROM m WHERE m.prev_to IS DISTINCT FROM m.from_status AND m.prev_to IS NOT NULL",
    "a first move not from a status the record can start in": _MOVES
    + """SELECT count(*) FROM m WHERE m.prev_to IS NULL
        AND NOT EXISTS (SELECT 1 FROM workcell.transition_rule x WHERE x.record_type = %(rt)s AND x.from_status IS NULL AND x.to_status = m.from_status)""",
    "a current status other than the last move's": _MOVES
    + "SELECT count(*) FROM m JOIN {table} r ON r.id = m.record_id WHERE m.rn = 1 AND r.status <> m.to_status",
    "a move without the signature its rule demands": _MOVES
    + """SELECT count(*) FROM m JOIN workcell.transition_rule x
        ON x.record_type = %(rt)s AND x.from_status = m.from_status AND x.to_status = m.to_status
        WHERE cardinality(x.signatures) > 0 AND NOT EXISTS (SELECT 1 FROM workcell.signature s WHERE s.id = m.signature_id
          AND s.record_type = %(rt)s AND s.record_id = m.record_id AND s.meaning = x.signatures[cardinality(x.signatures)])""",
    "a record never moved, in a status it cannot start in": """SELECT count(*) FROM {table} r
        WHERE {exempt} NOT EXISTS (SELECT 1 FROM workcell.status_transition t WHERE t.record_type = %(rt)s AND t.record_id = r.id)
          AND NOT EXISTS (SELECT 1 FROM workcell.transition_rule x WHERE x.record_type = %(rt)s AND x.from_status IS NULL AND x.to_status = r.status)""",
}


def _consumption(conn: psycopg.Connection, tally: Tally) -> list[Check]:
    rows = conn.execute(_SCANS, (tally.work_orders,)).fetchall()
    told = Counter((wo, lot, Decimal(q)) for wo, lot, q in tally.consumed)
    stored = Counter((wo, lot, Decimal(q)) for wo, lot, q, *_ in rows)
    lost = [f"lost: {k} ×{n}" for k, n in (told - stored).items()]
    extra = [f"not acknowledged or duplicated: {k} ×{n}" for k, n in (stored - told).items()]
    ledger = [
        f"{r[0]} {r[1]}: ledger line missing or different"
        for r in rows
        if r[4] != "consume" or not r[5]
    ]
    stray = conn.execute(_STRAY, (tally.work_orders,)).fetchone()
    assert stray is not None
    if stray[0]:
        ledger.append(f"{stray[0]} consumption ledger lines without their step entry")
    edges = [
        f"{r[0]} {r[1]} × {r[2]}: {r[6]} genealogy edges, {r[7]} matching"
        for r in rows
        if (r[6], r[7]) != (1, 1)
    ]
    return [
        Check(
            "consumption: acknowledged = stored (none lost, none duplicated)",
            len(tally.consumed),
            tuple(lost + extra),
        ),
        Check("consumption: each with its ledger line", len(rows), tuple(ledger)),
        Check(
            "consumption: each with its genealogy edge into the output lot", len(rows), tuple(edges)
        ),
    ]


def _entries(conn: psycopg.Connection, tally: Tally) -> list[Check]:
    told_v = Counter(tally.values)
    stored_v = Counter((int(a), str(b)) for a, b in conn.execute(_VALUES, (tally.work_orders,)))
    told_s = Counter(tally.signatures)
    stored_s = Counter(
        (str(a), int(b), str(c))
        for a, b, c in conn.execute(_SIGNATURES, (tally.work_orders, tally.work_orders))
    )

    def diff(told: Counter[K], stored: Counter[K]) -> tuple[str, ...]:
        return tuple([f"lost: {k} ×{n}" for k, n in (told - stored).items()]
                     + [f"not acknowledged or duplicated: {k} ×{n}" for k, n in (stored - told).items()])  # fmt: skip

    return [
        Check("values: acknowledged = stored", len(tally.values), diff(told_v, stored_v)),
        Check("signatures: acknowledged = stored", len(tally.signatures), diff(told_s, stored_s)),
    ]


def _steps(conn: psycopg.Connection, factory: sessionmaker[Session], tally: Tally) -> list[Check]:
    steps = conn.execute(_STEPS, (tally.work_orders,)).fetchall()
    missing: list[str] = []
    invalid: list[str] = []
    signed = 0
    with UnitOfWork(factory, None) as uow:
        for step_id, status, wo in steps:
            view = execution.step_view(uow, step_id)
            if status == "done":
                missing += [
                    f"{wo} step {view.seq}: no valid {s.meaning!r} on its content"
                    for s in view.signoffs
                    if not s.present
                ]
            for s in signatures_for(uow, RecordRef("step_instance", step_id)):
                signed += 1
                if not s.valid:
                    invalid.append(f"{wo} step {view.seq}: signature {s.id} invalid ({s.reason})")
    closed = conn.execute(_CLOSED, (tally.work_orders,)).fetchall()
    orders = [f"{n} {st}: {open_} steps not done" for n, st, _, open_ in closed if open_]
    orders += [
        f"{n} closed with its output lot {lot}"
        for n, st, lot, _ in closed
        if st == "closed" and lot not in ("released", "shipped")
    ]
    done = sum(1 for s in steps if s[1] == "done")
    return [
        Check("steps: every done step signed as its routing step demands", done, tuple(missing)),
        Check("signatures: every binding on the steps valid", signed, tuple(invalid)),
        Check(
            "work orders: complete ones have every step done, closed ones their output released (or shipped)",
            len(closed),
            tuple(orders),
        ),
    ]


def _guards(conn: psycopg.Connection) -> Check:
    problems: list[str] = []
    moves = 0
    for table, record_type in conn.execute(_GUARDED).fetchall():
        count = conn.execute(
            "SELECT count(*) FROM workcell.status_transition WHERE record_type = %s", (record_type,)
        ).fetchone()
        moves += int(count[0]) if count else 0
        for invariant, sql in _GUARD_INVARIANTS.items():
            exempt = _EXEMPT.get(record_type, "")
            row = conn.execute(
                sql.format(table=table, exempt=exempt), {"rt": record_type}
            ).fetchone()
            if row and row[0]:
                problems.append(f"{record_type}: {row[0]} × {invariant}")
    return Check(
        "guards: every status move allowed, signed, chained, current", moves, tuple(problems)
    )


def _inventory(factory: sessionmaker[Session]) -> Check:
    with UnitOfWork(factory, None) as uow:
        bad = inventory.verify_inventory(uow)
        txns, rows = inventory.ledger_counts(uow)
    return Check(
        f"inventory verify: on-hand = ledger ({txns} ledger lines)", rows,
        tuple(f"{d.lot_number} in {d.bin_code}: on hand {d.on_hand}, ledger {d.ledger}" for d in bad),
    )  # fmt: skip


def _audit(engine: Engine) -> Check:
    while seal(engine).sealed:  # the sealer catches up with the run
        pass
    report = verify(engine, (), grace_s=600.0)
    return Check(
        "audit verify: trail intact", report.entries, tuple(p.message for p in report.problems)
    )


def check_tally(admin_dsn: str, tally: Tally) -> list[Check]:
    """Only the acknowledged-versus-stored checks (consumption, ledger lines, genealogy,
    values, signatures)."""
    with psycopg.connect(admin_dsn) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return _consumption(conn, tally) + _entries(conn, tally)


def check_all(
    admin_dsn: str, engine: Engine, factory: sessionmaker[Session], tally: Tally
) -> list[Check]:
    """``engine``/``factory``: a station login (the domain's checks run as a station would);
    ``admin_dsn``: the owner, for the cross-checks of tables a station may not read."""
    with psycopg.connect(admin_dsn) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        checks = _consumption(conn, tally) + _entries(conn, tally)
        checks += _steps(conn, factory, tally)
        checks.append(_guards(conn))
        conn.rollback()
    checks.append(_inventory(factory))
    checks.append(_audit(engine))
    return checks
