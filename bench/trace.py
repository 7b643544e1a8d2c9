"""Trace both ways over a generated plant history, against a bare recursive CTE over the
same edge table as the floor (issue 12).

Shape (the LOAD comment below has the arithmetic): raw-material lots (10 %), sub-assembly
lots (30 %) made from 3 raw lots and 1 bulk lot, finished lots (60 %) made from 3
sub-assembly lots and 1 raw lot, 10 % of them serialized, a quarter shipped to one of 50
customers, 1 in 1,000 lots held. Bulk raw lots (an adhesive drum, a resin silo; one every
lots/50 ids) feed thousands of sub-assemblies: their recall sets are the large ones (about
3,300 lots at 100,000 lots, about 30,000 at the issue's 1,000,000). About 3.5 edges per lot.

Run: ``.venv/bin/python -m bench.trace [--lots 50000] [--repeat 200]``; the issue's plant is
``--lots 1000000`` (3.5 M edges, loads in a few minutes: every parent id is arithmetic).
Creates its own database on the local server (127.0.0.1:5432), runs the real migrations,
loads the data owner-side with the tables' user triggers off (a throwaway database),
switches them back on, VACUUM ANALYZE, measures, drops it (``--keep`` keeps it). Both
statements run without JIT, as every connection of the app does (domain/db.py).

Backward: a finished serial's lot with the serial narrowing the first level. Forward: a
bulk lot's recall set.

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
from collections.abc import Mapping, Sequence

import psycopg

from domain.db import JIT_OFF
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
TABLES = ("item", "supplier", "customer", "site", "zone", "bin", "lot", "serial", "hold", "inventory_txn",
          "on_hand", "genealogy_edge", "shipment", "shipment_line")  # fmt: skip

# The ledger: one receipt or production row per lot and one shipping row per shipment line
# (a plant's real ledger has more: moves, consumptions; what matters here is that the trace's
# shipped-line postings are found among the whole history, not in a one-row table).
# The plant (ids are time order; a lot's kind follows from its id, so every parent is found by
# arithmetic instead of a join, and 4 M edges load in about a minute):
#   id % BULK = 7        bulk raw lot (an adhesive drum, a resin silo): feeds every sub-assembly
#                        made in the next 2 * BULK ids with probability 1/2 -> the large recall sets
#   id % 100 <  10       raw lot (received, supplier lot kept)
#   id % 100 in 10..39   sub-assembly lot: 3 raw lots from the last `window` blocks + 1 bulk lot
#   id % 100 >= 40       finished lot: 3 sub-assembly lots from the last `window` blocks + 1 raw;
#                        a quarter shipped (confirmed), the rest released with stock on hand;
#                        id % 100 >= 90 serialized (one serial per lot here); 1 in 1,000 held
LOAD = """
INSERT INTO workcell.item (item_number, description, item_type, unit, status) VALUES
  ('B-RAW', 'raw', 'raw', 'kg', 'approved'), ('B-SUB', 'sub', 'subassembly', 'ea', 'approved'),
  ('B-FG', 'finished', 'finished', 'ea', 'approved');
INSERT INTO workcell.supplier (code, name) VALUES ('BSUP', 'bench supplier');
INSERT INTO workcell.customer (code, name) SELECT 'C' || g, 'Customer ' || g FROM generate_series(1, 50) g;
INSERT INTO workcell.site (code, name) VALUES ('B', 'bench');
INSERT INTO workcell.zone (site_id, code, name, zone_type) SELECT id, 'SHIP', 'ship', 'shipping' FROM workcell.site;
INSERT INTO workcell.bin (zone_id, code) SELECT id, 'B-SHIP' FROM workcell.zone;
INSERT INTO workcell.lot (id, lot_number, item_id, origin, supplier_id, supplier_lot, quantity, unit, status)
OVERRIDING SYSTEM VALUE
SELECT g, 'B' || g,
       (SELECT id FROM workcell.item WHERE item_number = CASE WHEN g % 100 < 10 OR g % {bulk} = 7 THEN 'B-RAW' WHEN g % 100 < 40 THEN 'B-SUB' ELSE 'B-FG' END),
       CASE WHEN g % 100 < 10 OR g % {bulk} = 7 THEN 'received' ELSE 'produced' END,
       CASE WHEN g % 100 < 10 OR g % {bulk} = 7 THEN (SELECT id FROM workcell.supplier) END,
       CASE WHEN g % 100 < 10 OR g % {bulk} = 7 THEN 'S' || g END, 100,
       CASE WHEN g % 100 < 10 OR g % {bulk} = 7 THEN 'kg' ELSE 'ea' END,
       CASE WHEN g % 100 < 40 OR g % {bulk} = 7 THEN 'consumed' WHEN g % 4 = 0 THEN 'shipped' ELSE 'released' END
  FROM generate_series(1, {lots}) g;
SELECT setval(pg_get_serial_sequence('workcell.lot', 'id'), {lots});
INSERT INTO workcell.serial (item_id, lot_id, serial_number, status)
SELECT l.item_id, l.id, 'SN' || l.id, CASE WHEN l.status = 'shipped' THEN 'shipped' ELSE 'in_stock' END
  FROM workcell.lot l WHERE l.id % 100 >= 90 AND l.id % {bulk} <> 7;
INSERT INTO workcell.inventory_txn (kind, lot_id, to_bin_id, quantity, unit)
SELECT CASE WHEN l.origin = 'received' THEN 'receipt' ELSE 'produce' END, l.id, (SELECT id FROM workcell.bin), 100, l.unit
  FROM workcell.lot l;
INSERT INTO workcell.on_hand (lot_id, bin_id, quantity, last_txn_id)
SELECT l.id, (SELECT id FROM workcell.bin), 100, (SELECT min(id) FROM workcell.inventory_txn)
  FROM workcell.lot l WHERE l.status = 'released';
INSERT INTO workcell.hold (lot_id, source, reason) SELECT id, 'qa', 'bench hold' FROM workcell.lot WHERE id % 1000 = 41;
INSERT INTO workcell.genealogy_edge (parent_lot_id, child_lot_id, quantity, unit, consume_txn_id)
SELECT DISTINCT p.parent, p.child, 1, CASE WHEN p.parent % 100 < 10 OR p.parent % {bulk} = 7 THEN 'kg' ELSE 'ea' END,
       (SELECT min(id) FROM workcell.inventory_txn)
  FROM (
    SELECT c AS child, CASE
             WHEN j < 4 AND c % 100 < 40 THEN (c / 100 - abs(hashint8(c * 8 + j)) % {window}) * 100 + abs(hashint8(c * 8 + j + 4)) % 10
             WHEN j < 4 THEN (c / 100 - abs(hashint8(c * 8 + j)) % {window}) * 100 + 10 + abs(hashint8(c * 8 + j + 4)) % 30
             WHEN c % 100 < 40 THEN ((c - 7) / {bulk} - abs(hashint8(c * 8 + j)) % 2) * {bulk} + 7
             ELSE (c / 100 - abs(hashint8(c * 8 + j)) % {window}) * 100 + abs(hashint8(c * 8 + j + 4)) % 10 END AS parent
      FROM generate_series(1, {lots}) c, generate_series(1, 4) j
     WHERE c % 100 >= 10 AND c % {bulk} <> 7) p
 WHERE p.parent >= 1 AND p.parent < p.child;
INSERT INTO workcell.shipment (customer_id, status) SELECT id, 'confirmed' FROM workcell.customer;
INSERT INTO workcell.shipment_line (shipment_id, lot_id, serial_id, bin_id, quantity)
SELECT (SELECT min(id) FROM workcell.shipment) + (l.id % 50), l.id, s.id, (SELECT id FROM workcell.bin), 1
  FROM workcell.lot l LEFT JOIN workcell.serial s ON s.lot_id = l.id WHERE l.status = 'shipped';
INSERT INTO workcell.inventory_txn (kind, lot_id, serial_id, from_bin_id, quantity, unit, shipment_line_id)
SELECT 'ship', sl.lot_id, sl.serial_id, sl.bin_id, sl.quantity, 'ea', sl.id FROM workcell.shipment_line sl;
"""


def _load(conn: psycopg.Connection, lots: int, window: int, bulk: int = 0) -> None:
    bulk = bulk or max(1000, lots // 50)
    for t in TABLES:
        conn.execute(f"ALTER TABLE workcell.{t} DISABLE TRIGGER USER")
    conn.execute("SET ROLE workcell_owner")
    conn.execute("SELECT set_config('workcell.system_actor', 'system', false),"
                 " set_config('workcell.reason', 'bench load', false)")  # fmt: skip
    conn.execute(LOAD.format(lots=lots, window=window, bulk=bulk))
    conn.execute("RESET ROLE")
    for t in TABLES:
        conn.execute(f"ALTER TABLE workcell.{t} ENABLE TRIGGER USER")
    conn.execute("VACUUM ANALYZE")


def _sample(conn: psycopg.Connection, sql: str, params: Mapping[str, object]) -> float:
    start = time.perf_counter()
    conn.execute(sql, params).fetchall()
    return (time.perf_counter() - start) * 1000


def _measure(
    conn: psycopg.Connection, direction: str, roots: Sequence[tuple[int, int | None]]
) -> tuple[list[float], list[float]]:
    ours: list[float] = []
    floor: list[float] = []
    service = SQL[direction].replace(":root", "%(root)s").replace(":serial", "%(serial)s")
    for root, serial in roots:
        params = {"root": root, "serial": serial}
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
    ap.add_argument("--window", type=int, default=50, help="input window in blocks of 100 lots")
    ap.add_argument(
        "--bulk", type=int, default=0, help="one bulk raw lot every N ids (default lots/50)"
    )
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--recalls", type=int, default=20)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument(
        "--without-ship-index", action="store_true",
        help="drop ix_inventory_txn_shipment_line (migration 0028) after the load: the before",
    )  # fmt: skip
    args = ap.parse_args()
    bulk = args.bulk or max(1000, args.lots // 50)
    db = create_test_database("wcbenchtrace")
    try:
        with psycopg.connect(  # the app's connections run without JIT (domain/db.py)
            db.admin.replace("postgresql+psycopg", "postgresql"), autocommit=True, options=JIT_OFF
        ) as conn:
            started = time.perf_counter()
            _load(conn, args.lots, args.window, bulk)
            if args.without_ship_index:
                conn.execute("DROP INDEX workcell.ix_inventory_txn_shipment_line")
            lots, edges = conn.execute("SELECT (SELECT count(*) FROM workcell.lot),"
                                       " (SELECT count(*) FROM workcell.genealogy_edge)").fetchone() or (0, 0)  # fmt: skip
            print(f"loaded {lots} lots, {edges} edges in {time.perf_counter() - started:.0f} s")
            rng = random.Random(12)
            serials = [(r[0], r[1]) for r in conn.execute(
                "SELECT lot_id, id FROM workcell.serial WHERE lot_id > %s", (lots // 2,)).fetchall()]  # fmt: skip
            bulk_lots = [(r[0], None) for r in conn.execute(
                "SELECT id FROM workcell.lot WHERE id %% %s = 7 AND id < %s", (bulk, lots - 2 * bulk)).fetchall()]  # fmt: skip
            _measure(conn, "backward", rng.sample(serials, 20))  # warm-up
            ours, floor = _measure(
                conn, "backward", [rng.choice(serials) for _ in range(args.repeat)]
            )
            print(f"backward trace of a finished serial: ours p50 {_pct(ours, 50):.2f} ms p95 {_pct(ours, 95):.2f} ms;"
                  f" floor p50 {_pct(floor, 50):.2f} ms p95 {_pct(floor, 95):.2f} ms;"
                  f" ratio p95 {_pct(ours, 95) / _pct(floor, 95):.2f}")  # fmt: skip
            roots = [rng.choice(bulk_lots) for _ in range(args.recalls)]
            sizes = [conn.execute(FLOOR["forward"], {"root": r}).fetchone()[0] for r, _ in roots]  # type: ignore[index]
            _measure(conn, "forward", roots[:2])  # warm-up
            ours, floor = _measure(conn, "forward", roots)
            print(f"forward recall set of a bulk raw lot ({min(sizes)}-{max(sizes)} lots, median {statistics.median(sizes):.0f}):"
                  f" ours median {statistics.median(ours):.1f} ms, floor median {statistics.median(floor):.1f} ms;"
                  f" ratio {statistics.median(ours) / statistics.median(floor):.2f}")  # fmt: skip
    finally:
        if not args.keep:
            drop_test_database(db)


if __name__ == "__main__":
    main()
