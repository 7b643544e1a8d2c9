"""The trace screen's first level (issue 12: "the trace screen's first level in < 100 ms"),
over the generated plant of bench/trace.py, against a floor measured in the same run.

What the screen asks when a lot is scanned, through the real domain functions and a unit
of work (as the station's backend does): `floor.root` (the lot or serial with its status,
hold and on-hand) and `floor.level` (the next level: each reached lot with status, hold,
on-hand, quantity and supplier; forward also the confirmed shipments). The floor is the
bare index look-up of the same edges (``SELECT ... FROM genealogy_edge WHERE child = :root``)
in the same kind of unit of work, so the ratio shows what the statuses, holds and
quantities cost. Samples alternate between the two.

Run: ``.venv/bin/python -m bench.trace_screen [--lots 50000] [--repeat 200]``. Creates its
own database (127.0.0.1:5432), loads it like bench/trace.py, measures, drops it.
"""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

import psycopg
from sqlalchemy import text

from bench.trace import _load, _pct
from domain.db import make_engine, make_session_factory
from domain.services.materials import floor
from domain.uow import UnitOfWork
from tests.conftest import create_test_database, drop_test_database

BARE = {
    "backward": "SELECT parent_lot_id, quantity FROM workcell.genealogy_edge WHERE child_lot_id = :r",
    "forward": "SELECT child_lot_id, quantity FROM workcell.genealogy_edge WHERE parent_lot_id = :r",
}


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lots", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    db = create_test_database("wcbenchtrscr")
    engine = make_engine(db.admin)
    try:
        with psycopg.connect(
            db.admin.replace("postgresql+psycopg", "postgresql"), autocommit=True
        ) as conn:
            _load(conn, args.lots, max(20, args.lots // 200))
            finished = [r[0] for r in conn.execute(
                "SELECT lot_number FROM workcell.lot WHERE id %% 10 >= 5 AND id > %s",
                (args.lots // 2,)).fetchall()]  # fmt: skip
            raw = [r[0] for r in conn.execute(
                "SELECT lot_number FROM workcell.lot WHERE id %% 10 < 2 AND id < %s",
                (args.lots // 2,)).fetchall()]  # fmt: skip
        factory = make_session_factory(engine)
        rng = random.Random(7)

        def screen(number: str, direction: str) -> int:
            with UnitOfWork.system(factory, "system", "bench") as uow:
                node, _ = floor.root(uow, number)
                return len(floor.level(uow, (node.lot_id,), direction).links)

        def bare(number: str, direction: str) -> int:
            with UnitOfWork.system(factory, "system", "bench") as uow:
                lot = uow.session.execute(
                    text("SELECT id FROM workcell.lot WHERE lot_number = :n"), {"n": number}
                ).scalar_one()
                return len(uow.session.execute(text(BARE[direction]), {"r": lot}).all())

        for direction, pool in (("backward", finished), ("forward", raw)):
            roots = [rng.choice(pool) for _ in range(args.repeat)]
            for r in roots[:20]:  # warm-up
                screen(r, direction), bare(r, direction)
            ours, base, width = [], [], []
            for n, r in enumerate(roots):
                first = n % 2 == 0  # alternate which of the two runs first
                for turn in (first, not first):
                    if turn:
                        start = time.perf_counter()
                        width.append(screen(r, direction))
                        ours.append((time.perf_counter() - start) * 1000)
                    else:
                        base.append(_timed(lambda r=r, d=direction: bare(r, d)))
            print(f"{direction} first level ({min(width)}-{max(width)} lots, median"
                  f" {statistics.median(width):.0f}): screen p50 {_pct(ours, 50):.2f} ms"
                  f" p95 {_pct(ours, 95):.2f} ms; floor p50 {_pct(base, 50):.2f} ms"
                  f" p95 {_pct(base, 95):.2f} ms; ratio p95 {_pct(ours, 95) / _pct(base, 95):.2f};"
                  f" aim < 100 ms")  # fmt: skip
    finally:
        engine.dispose()
        drop_test_database(db)


if __name__ == "__main__":
    main()
