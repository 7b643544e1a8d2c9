"""As-of explosion of a 5-level BOM: ~2,000 distinct components among 100,000 items, every
assembly with 10 revisions (9 superseded, 1 released; ranges one day apart).

Run: ``.venv/bin/python -m bench.bom_explosion [--repeat 30] [--keep]``. Creates its own
database on WORKCELL_BENCH_DATABASE_URL (a superuser URL), else the local server on
127.0.0.1:5432, else the embedded PostgreSQL; runs the real migrations, loads the data
owner-side (the 'system' actor) with the tables' user triggers switched off (a throwaway
database: audit, draft and cycle guards cost ~1 ms a row on a busy 2-core machine and do
not touch the measured query), then switches them back on; the database is dropped at the
end unless ``--keep``. The explosion goes through the domain service (the path the CLI
and screens use); the baseline, measured in the same run, is the single-level lookup of
the top item's revision in effect (one level, same session, same instant).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
import uuid
from decimal import Decimal

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from domain.db import make_engine, make_session_factory
from domain.services import explosion
from domain.services.explosion import SINGLE_LEVEL_SQL
from domain.uow import UnitOfWork
from kiosk import dbadmin

ITEMS = 100_000
REVISIONS = 10
FAN_OUT = (6, 6, 5, 5)  # top → L1 → L2 → L3 → L4 assemblies
LEAVES_PER_L4 = 4  # L5: raw materials drawn from a shared pool
LEAF_POOL = 900
FILLER_ASSEMBLIES = 10_000  # other products' BOMs, so the tables are not just our tree
FILLER_LINES = 3

STATION = "station_bench"
TABLES = ("item", "bom_revision", "bom_line")


def server_url() -> str:
    configured = os.environ.get("WORKCELL_BENCH_DATABASE_URL", "").strip()
    if configured:
        return configured
    try:
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2).close()
        return "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    except psycopg.OperationalError:
        from pathlib import Path

        from kiosk.database import start_embedded

        return start_embedded(Path("~/.wc-bench-pg").expanduser()).render_as_string(
            hide_password=False
        )


def plain(url: str, database: str | None = None) -> str:
    u = make_url(url).set(drivername="postgresql")
    if database:
        u = u.set(database=database)
    return u.render_as_string(hide_password=False)


def create_database(base: str) -> tuple[str, str]:
    name = f"wcbom_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(plain(base, "postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    admin = make_url(base).set(database=name).render_as_string(hide_password=False)
    dbadmin.upgrade(admin)
    dbadmin.add_station(admin, STATION)
    return name, admin


def tree_edges() -> tuple[list[tuple[int, int]], int]:
    """(parent item no, child item no) of the 5-level tree; item numbers 1..N."""
    edges: list[tuple[int, int]] = []
    level = [1]
    next_no = 2
    for fan in FAN_OUT:
        children = []
        for parent in level:
            for _ in range(fan):
                edges.append((parent, next_no))
                children.append(next_no)
                next_no += 1
        level = children
    pool = list(range(next_no, next_no + LEAF_POOL))
    for k, parent in enumerate(level):
        for j in range(LEAVES_PER_L4):
            edges.append((parent, pool[(k * 7 + j * 131) % LEAF_POOL]))
    return edges, next_no + LEAF_POOL


LOAD_ITEMS = """
INSERT INTO workcell.item (item_number, description, item_type, unit)
SELECT 'BI-' || lpad(n::text, 6, '0'), 'Bench item ' || n,
       CASE WHEN n <= %(assemblies)s THEN 'subassembly' ELSE 'component' END, 'ea'
  FROM generate_series(1, %(items)s) AS n
"""
LOAD_REVISIONS = """
INSERT INTO workcell.bom_revision (item_id, revision)
SELECT i.id, chr(64 + k) FROM workcell.item i, generate_series(1, %(revs)s) AS k
 WHERE i.item_number = ANY(%(parents)s)
"""
LOAD_LINES = """
INSERT INTO workcell.bom_line (bom_revision_id, position, component_id, quantity_per, unit,
                               scrap_factor)
SELECT r.id, 10 * e.ord, c.id, 1 + (ascii(r.revision) - 64) %% 3, 'ea', 0.01 * (e.ord %% 4)
  FROM unnest(%(parents)s::text[], %(children)s::text[], %(ords)s::int[]) AS e(p, ch, ord)
  JOIN workcell.item p ON p.item_number = e.p
  JOIN workcell.item c ON c.item_number = e.ch
  JOIN workcell.bom_revision r ON r.item_id = p.id
"""
RELEASE = """
UPDATE workcell.bom_revision SET status = 'in_review', version = version + 1;
UPDATE workcell.bom_revision
   SET status = 'released', version = version + 1,
       effective = tstzrange(now() + (ascii(revision) - 64) * interval '1 day',
                             CASE WHEN revision = chr(64 + %(revs)s) THEN NULL
                                  ELSE now() + (ascii(revision) - 63) * interval '1 day' END);
UPDATE workcell.bom_revision SET status = 'superseded', version = version + 1
 WHERE revision <> chr(64 + %(revs)s);
"""


def number(n: int) -> str:
    return f"BI-{n:06d}"


def load(admin: str) -> tuple[int, float]:
    """Bulk load with user triggers off (superuser, throwaway database), then ANALYZE."""
    edges, first_filler = tree_edges()
    filler = [
        (first_filler + a, first_filler + FILLER_ASSEMBLIES + (a * 17 + j * 101) % 50_000)
        for a in range(FILLER_ASSEMBLIES)
        for j in range(FILLER_LINES)
    ]
    parents = sorted({p for p, _ in edges + filler})
    started = time.perf_counter()
    with psycopg.connect(plain(admin), autocommit=True) as conn:
        conn.execute("SET plan_cache_mode = force_custom_plan")
        # owner-side system work for the whole (autocommit) session: the owner role and the
        # 'system' actor, which the rows' created_by defaults name
        conn.execute("SET ROLE workcell_owner")
        conn.execute("SELECT set_config('workcell.system_actor', 'system', false)")
        conn.execute("SELECT set_config('workcell.reason', 'benchmark load', false)")
        for table in TABLES:
            conn.execute(f"ALTER TABLE workcell.{table} DISABLE TRIGGER USER")
        conn.execute(LOAD_ITEMS, {"assemblies": first_filler - 1, "items": ITEMS})
        conn.execute(LOAD_REVISIONS, {"revs": REVISIONS, "parents": [number(p) for p in parents]})
        conn.execute("ANALYZE workcell.item, workcell.bom_revision")
        for n, batch in enumerate(_batches(filler + list(reversed(edges)))):
            conn.execute(
                LOAD_LINES,
                {
                    "parents": [number(p) for p, _, _ in batch],
                    "children": [number(c) for _, c, _ in batch],
                    "ords": [o for _, _, o in batch],
                },
            )
            if n == 0:
                conn.execute("ANALYZE workcell.bom_line")
        with conn.transaction():
            for statement in RELEASE.strip().split(";"):
                if statement.strip():
                    conn.execute(statement, {"revs": REVISIONS})
        for table in TABLES:
            conn.execute(f"ALTER TABLE workcell.{table} ENABLE TRIGGER USER")
            conn.execute(f"ALTER TABLE workcell.{table} ENABLE ALWAYS TRIGGER audit_row")
        conn.execute("VACUUM ANALYZE workcell.bom_revision, workcell.bom_line, workcell.item")
    return (len(edges) + len(filler)) * REVISIONS, time.perf_counter() - started


def _batches(edges: list[tuple[int, int]], size: int = 50_000) -> list[list[tuple[int, int, int]]]:
    """Edges with their line ordinal per parent, in batches (each batch one statement)."""
    ords: dict[int, int] = {}
    rows = []
    for p, c in edges:
        ords[p] = ords.get(p, 0) + 1
        rows.append((p, c, ords[p]))
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def timed(fn: object, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def measure(admin: str, repeat: int) -> None:
    station = make_url(admin).set(username=STATION, password=None)
    engine = make_engine(station.render_as_string(hide_password=False))
    factory = make_session_factory(engine)
    with UnitOfWork(factory, None) as uow:  # reads only: no session needed
        at = uow.session.scalar(text("SELECT now() + interval '5 days 12 hours'"))
        assert isinstance(at, dt.datetime)
        top = uow.session.scalar(
            text("SELECT id FROM workcell.item WHERE item_number = 'BI-000001'")
        )
        ex = explosion.explode(uow, number(1), at, Decimal(1))  # warm-up + figures
        single = lambda: uow.session.execute(text(SINGLE_LEVEL_SQL), {"top": top, "at": at}).all()  # noqa: E731
        base = timed(single, repeat)
        full = timed(lambda: explosion.explode(uow, number(1), at, Decimal(1)), repeat)
        totals = timed(lambda: explosion.rolled_up(uow, number(1), at, Decimal(1)), repeat)
    engine.dispose()
    distinct = len({x.component for x in ex.lines})
    b50, f50 = statistics.median(base), statistics.median(full)
    f95 = sorted(full)[max(0, round(0.95 * len(full)) - 1)]
    print(f"explosion as of {at:%Y-%m-%d %H:%M} UTC: rev {ex.revision}, {len(ex.lines)} rows, "
          f"{max(x.level for x in ex.lines)} levels, {distinct} distinct components, "
          f"{len(ex.totals)} rolled-up items")  # fmt: skip
    t50 = statistics.median(totals)
    t95 = sorted(totals)[max(0, round(0.95 * len(totals)) - 1)]
    print(f"rolled-up as-of explosion (totals, SQL): p50 {t50:.1f} ms, p95 {t95:.1f} ms, "
          f"min {min(totals):.1f} ms (target < 50 ms)")  # fmt: skip
    print(f"full indented tree + totals (explode): p50 {f50:.1f} ms, p95 {f95:.1f} ms, "
          f"min {min(full):.1f} ms")  # fmt: skip
    print(f"baseline single-level lookup: p50 {b50:.2f} ms, min {min(base):.2f} ms; ratios "
          f"{t50 / b50:.0f}x (totals), {f50 / b50:.0f}x (tree)")  # fmt: skip
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--reuse", metavar="DATABASE", help="measure a kept database again")
    args = parser.parse_args()
    base = server_url()
    if args.reuse:
        measure(
            make_url(base).set(database=args.reuse).render_as_string(hide_password=False),
            args.repeat,
        )
        return
    name, admin = create_database(base)
    try:
        lines, seconds = load(admin)
        print(f"loaded {ITEMS} items, {lines} BOM lines over {REVISIONS} revisions per "
              f"assembly in {seconds:.0f} s")  # fmt: skip
        measure(admin, args.repeat)
    finally:
        if not args.keep:
            with psycopg.connect(plain(base, "postgres"), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print(f"kept database {name}")


if __name__ == "__main__":
    main()
