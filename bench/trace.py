"""Trace both ways over a generated plant history, against a bare recursive CTE over the
same edge table as the floor (issue 12).

Shape: raw-material lots (20 %) each feeding many sub-assembly lots; sub-assembly lots
(30 %) made from 3 raw lots; finished lots (50 %) made from 2 sub-assembly lots and 1 raw
lot (~4 edges per produced lot, 3.2 edges per lot overall); a quarter of the finished lots
shipped to one of 50 customers. Inputs are drawn from a window of recent lots, so a raw
lot's recall set is a few hundred to tens of thousands of lots depending on the scale.

Run: ``.venv/bin/python -m bench.trace [--lots 50000] [--repeat 200]``; the issue's plant is
``--lots 1000000`` (about 3.2 M edges; loading takes tens of minutes on 2 cores). Creates
its own database on the local server (127.0.0.1:5432), runs the real migrations, loads the
data owner-side with the tables' user triggers off (a throwaway database), switches them
back on, measures, drops it (``--keep`` keeps it).

Measured, alternating per sample: the service's statement (workcell trace: lots with status,
holds, on-hand, supplier, edges with quantities, confirmed shipments and customers) and the
floor, ``WITH RECURSIVE reach ... SELECT count(*)`` over the same edges.
"""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

import argparse
import random
import statistics
import time

import psycopg

from domain.services.materials.trace import SQL
from tests.conftest import create_test_database, drop_test_database

FLOOR = {
    "backward": "WITH RECURSIVE reach(lot_id) AS (SELECT parent_lot_id FROM workcell.genealogy_edge"
    " WHERE child_lot_id = %(root)s UNION SELECT e.parent_lot_id FROM workcell.genealogy_edge e"
    " JOIN reach r ON e.child_lot_id = r.lot_id) SELECT count(*) FROM reach",
    "forward": "WITH RECURSIVE reach(lot_id) AS (SELECT child_lot_id FROM workcell.genealogy_edge"
    " WHERE parent_lot_id = %(root)s UNION SELECT e.child_lot_id FROM workcell.genealogy_edge e"
    " JOIN reach r ON e.parent_lot_id = r.lot_id) SELECT count(*) FROM reach",
}
TABLES = ("item", "supplier", "customer", "site", "zone", "bin", "lot", "inventory_txn",
          "genealogy_edge", "shipment", "shipment_line")  # fmt: skip

LOAD = """
INSERT INTO workcell.item (item_number, description, item_type, unit, status) VALUES
  ('B-RAW', 'raw', 'raw', 'kg', 'approved'), ('B-SUB', 'sub', 'subassembly', 'ea', 'approved'),
  ('B-FG', 'finished', 'finished', 'ea', 'approved');
INSERT INTO workcell.supplier (code, name) VALUES ('BSUP', 'bench supplier');
INSERT INTO workcell.customer (code, name) SELECT 'C' || g, 'Customer ' || g FROM generate_series(1, 50) g;
INSERT INTO workcell.site (code, name) VALUES ('B', 'bench');
INSERT INTO workcell.zone (site_id, code, name, zone_type) SELECT id, 'SHIP', 'ship', 'shipping' FROM workcell.site;
INSERT INTO workcell.bin (zone_id, code) SELECT id, 'B-SHIP' FROM workcell.zone;
-- lot i: raw when i % 10 < 2, sub when < 5, else finished
INSERT INTO workcell.lot (lot_number, item_id, origin, supplier_id, supplier_lot, quantity, unit, status)
SELECT 'B' || g,
       (SELECT id FROM workcell.item WHERE item_number = CASE WHEN g % 10 < 2 THEN 'B-RAW' WHEN g % 10 < 5 THEN 'B-SUB' ELSE 'B-FG' END),
       CASE WHEN g % 10 < 2 THEN 'received' ELSE 'produced' END,
       CASE WHEN g % 10 < 2 THEN (SELECT id FROM workcell.supplier) END,
       CASE WHEN g % 10 < 2 THEN 'S' || g END, 100, CASE WHEN g % 10 < 2 THEN 'kg' ELSE 'ea' END,
       CASE WHEN g % 10 < 5 THEN 'consumed' ELSE 'released' END
  FROM generate_series(1, %(lots)s) g;
INSERT INTO workcell.inventory_txn (kind, lot_id, to_bin_id, quantity, unit)
SELECT 'receipt', min(id), (SELECT id FROM workcell.bin), 1, 'kg' FROM workcell.lot;
"""


def _load(conn: psycopg.Connection, lots: int, window: int) -> None:
    for t in TABLES:
        conn.execute(f"ALTER TABLE workcell.{t} DISABLE TRIGGER USER")
    conn.execute("SET ROLE workcell_owner")
    conn.execute("SELECT set_config('workcell.system_actor', 'system', false),"
                 " set_config('workcell.reason', 'bench load', false)")  # fmt: skip
    conn.execute(LOAD.replace("%(lots)s", str(lots)))
    conn.execute(EDGES_FAST, {"window": window})
    conn.execute(
        "INSERT INTO workcell.shipment (customer_id, status) SELECT id, 'confirmed' FROM workcell.customer"
    )
    conn.execute(
        "INSERT INTO workcell.shipment_line (shipment_id, lot_id, bin_id, quantity)"
        " SELECT (SELECT min(id) FROM workcell.shipment) + (l.id % 50), l.id,"
        " (SELECT id FROM workcell.bin), 1 FROM workcell.lot l WHERE l.id % 10 >= 5 AND l.id % 4 = 0"
    )
    conn.execute("RESET ROLE")
    for t in TABLES:
        conn.execute(f"ALTER TABLE workcell.{t} ENABLE TRIGGER USER")
    conn.execute("ANALYZE")


# Inputs drawn from the previous `window` lots of the right kind (id order = time order).
EDGES_FAST = """
WITH ranked AS (
  SELECT id, id %% 10 AS k,
         count(*) FILTER (WHERE id %% 10 < 2) OVER (ORDER BY id) AS raw_before,
         count(*) FILTER (WHERE id %% 10 BETWEEN 2 AND 4) OVER (ORDER BY id) AS sub_before
    FROM workcell.lot),
raw AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM ranked WHERE k < 2),
sub AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM ranked WHERE k BETWEEN 2 AND 4),
wants AS (
  SELECT r.id AS child, 'raw' AS kind, r.raw_before AS before FROM ranked r, generate_series(1, 3) WHERE r.k BETWEEN 2 AND 4
  UNION ALL SELECT r.id, 'sub', r.sub_before FROM ranked r, generate_series(1, 2) WHERE r.k >= 5
  UNION ALL SELECT r.id, 'raw', r.raw_before FROM ranked r WHERE r.k >= 5),
picked AS (
  SELECT w.child, w.kind, greatest(1, w.before - floor(random() * %(window)s)::int) AS n FROM wants w WHERE w.before > 0)
INSERT INTO workcell.genealogy_edge (parent_lot_id, child_lot_id, quantity, unit, consume_txn_id)
SELECT DISTINCT p.id, x.child, 1, 'ea', (SELECT min(id) FROM workcell.inventory_txn)
  FROM picked x
  JOIN LATERAL (SELECT id FROM raw WHERE x.kind = 'raw' AND raw.n = x.n
                UNION ALL SELECT id FROM sub WHERE x.kind = 'sub' AND sub.n = x.n) p ON true
 WHERE p.id < x.child
"""


def _sample(conn: psycopg.Connection, sql: str, params: dict[str, object]) -> float:
    start = time.perf_counter()
    conn.execute(sql, params).fetchall()
    return (time.perf_counter() - start) * 1000


def _measure(
    conn: psycopg.Connection, direction: str, roots: list[int]
) -> tuple[list[float], list[float]]:
    ours, floor = [], []
    service = SQL[direction].replace(":root", "%(root)s").replace(":serial", "%(serial)s")
    for root in roots:
        params = {"root": root, "serial": None}
        if len(ours) % 2:
            floor.append(_sample(conn, FLOOR[direction], params))
            ours.append(_sample(conn, service, params))
        else:
            ours.append(_sample(conn, service, params))
            floor.append(_sample(conn, FLOOR[direction], params))
    return ours, floor


def _pct(xs: list[float], p: float) -> float:
    return statistics.quantiles(xs, n=100)[int(p) - 1] if len(xs) > 1 else xs[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lots", type=int, default=50_000)
    ap.add_argument("--window", type=int, default=0, help="input window (default lots/200)")
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--recalls", type=int, default=20)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    window = args.window or max(20, args.lots // 200)
    db = create_test_database("wcbenchtrace")
    try:
        with psycopg.connect(
            db.admin.replace("postgresql+psycopg", "postgresql"), autocommit=True
        ) as conn:
            started = time.perf_counter()
            _load(conn, args.lots, window)
            lots, edges = conn.execute("SELECT (SELECT count(*) FROM workcell.lot),"
                                       " (SELECT count(*) FROM workcell.genealogy_edge)").fetchone() or (0, 0)  # fmt: skip
            print(f"loaded {lots} lots, {edges} edges in {time.perf_counter() - started:.0f} s")
            rng = random.Random(12)
            finished = [r[0] for r in conn.execute("SELECT id FROM workcell.lot WHERE id %% 10 >= 5 AND id > %s",
                                                    (lots // 2,)).fetchall()]  # fmt: skip
            raw = [r[0] for r in conn.execute("SELECT id FROM workcell.lot WHERE id %% 10 < 2 AND id < %s",
                                               (lots // 2,)).fetchall()]  # fmt: skip
            _measure(conn, "backward", rng.sample(finished, 20))  # warm-up
            ours, floor = _measure(
                conn, "backward", [rng.choice(finished) for _ in range(args.repeat)]
            )
            print(f"backward trace of a finished lot: ours p50 {_pct(ours, 50):.2f} ms p95 {_pct(ours, 95):.2f} ms;"
                  f" floor p50 {_pct(floor, 50):.2f} ms p95 {_pct(floor, 95):.2f} ms;"
                  f" ratio p95 {_pct(ours, 95) / _pct(floor, 95):.2f}")  # fmt: skip
            roots = [rng.choice(raw) for _ in range(args.recalls)]
            sizes = [conn.execute(FLOOR["forward"], {"root": r}).fetchone()[0] for r in roots]  # type: ignore[index]
            ours, floor = _measure(conn, "forward", roots)
            print(f"forward recall set of a raw lot ({min(sizes)}-{max(sizes)} lots, median {statistics.median(sizes):.0f}):"
                  f" ours median {statistics.median(ours):.1f} ms, floor median {statistics.median(floor):.1f} ms;"
                  f" ratio {statistics.median(ours) / statistics.median(floor):.2f}")  # fmt: skip
    finally:
        if not args.keep:
            drop_test_database(db)


if __name__ == "__main__":
    main()
