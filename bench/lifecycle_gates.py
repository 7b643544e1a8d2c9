"""Lifecycle gates: what the transition guard (migration 0009) costs a station's writes.

The same pgbench workloads with the guard triggers on and off (switched by the superuser
between alternating slices, in one run on one scratch database), 4 clients:

- create: one item per transaction (the creation rule: rule look-up, item.create checked);
- park+discard: a kiosk draft parked and discarded by its owner (a creation rule, then a
  move with a condition and its row in workcell.status_transition).

    .venv/bin/python -m bench.lifecycle_gates [--seconds 20] [--rounds 4] [--clients 4]

Audited either way: the ratio is the guard's cost on top of the audit trail's.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile

from sqlalchemy.engine import make_url

from bench.audit_overhead import pgbench_binary
from bench.scratch import scratch_database
from domain.db import make_engine, make_session_factory
from tests.conftest import STATION_ROLE, TestDatabase, drop_test_database
from tests.sessions import token_of

ACTOR = "bench_admin"

OPEN = """BEGIN;
SELECT set_config('workcell.session', '{token}', true),
       set_config('workcell.reason', 'bench', true), workcell.touch_session();
"""
WORKLOADS = {
    "create": OPEN
    + """INSERT INTO workcell.item (item_number, description, item_type, unit)
    VALUES ('G' || nextval('bench_gate.number'), 'bench item', 'raw', 'kg');
COMMIT;
""",
    "park+discard": OPEN
    + """WITH d AS (
    INSERT INTO workcell.kiosk_draft (owner_id, station, screen, summary, payload)
    SELECT id, 'bench', 'items', 'bench draft', '{{}}' FROM workcell.users
     WHERE username = '{actor}' RETURNING id)
SELECT id FROM d \\gset
UPDATE workcell.kiosk_draft SET status = 'discarded', version = version + 1 WHERE id = :id;
COMMIT;
""",
}
GUARDS = {
    "create": [("workcell.item", "item_created")],
    "park+discard": [
        ("workcell.kiosk_draft", "kiosk_draft_created"),
        ("workcell.kiosk_draft", "kiosk_draft_transition"),
    ],
}


def prepare(db: TestDatabase) -> str:
    with db.connect("admin") as conn:
        conn.execute(
            "CREATE SCHEMA bench_gate; CREATE SEQUENCE bench_gate.number;"
            " GRANT USAGE ON SCHEMA bench_gate TO workcell_app;"
            " GRANT USAGE ON SEQUENCE bench_gate.number TO workcell_app;"
        )
        conn.commit()
    engine = make_engine(db.station)
    try:
        return token_of(make_session_factory(engine), ACTOR)
    finally:
        engine.dispose()


def switch(db: TestDatabase, workload: str, on: bool) -> None:
    with db.connect("admin") as conn:
        for table, trigger in GUARDS[workload]:
            mode = "ENABLE ALWAYS" if on else "DISABLE"
            conn.execute(f"ALTER TABLE {table} {mode} TRIGGER {trigger}")
        conn.commit()


def run_pgbench(db: TestDatabase, script: str, clients: int, seconds: int) -> float:
    url = make_url(db.station)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as fh:
        fh.write(script)
    cmd = [
        pgbench_binary(), "-n", "-M", "prepared", "-c", str(clients), "-j", "2",
        "-T", str(seconds), "-f", fh.name, "-h", str(url.query.get("host") or url.host),
        "-p", str(url.port or 5432), "-U", STATION_ROLE, str(url.database),
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    os.unlink(fh.name)
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
    if not match:
        raise SystemExit(f"unexpected pgbench output:\n{out}")
    return float(match.group(1))


def measure(db: TestDatabase, token: str, workload: str, clients: int, seconds: int,
            rounds: int) -> None:  # fmt: skip
    script = WORKLOADS[workload].format(token=token, actor=ACTOR)
    off: list[float] = []
    on: list[float] = []
    slice_s = max(2, seconds // rounds)
    try:
        for _ in range(rounds):
            switch(db, workload, False)
            off.append(run_pgbench(db, script, clients, slice_s))
            switch(db, workload, True)
            on.append(run_pgbench(db, script, clients, slice_s))
    finally:
        switch(db, workload, True)
    o, g = sum(off) / rounds, sum(on) / rounds
    slices = " ".join(f"{x / y:.2f}" for x, y in zip(on, off, strict=True))
    print(
        f"{workload:>13}, {clients} clients: without guard {o:7.0f} tx/s  guarded {g:7.0f} tx/s"
        f"  ratio {g / o:4.2f} (per slice {slices})",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, nargs="+", default=[4])
    parser.add_argument("--rounds", type=int, default=4, help="alternating slices per side")
    args = parser.parse_args(argv)
    db = scratch_database("wcgate", admin=ACTOR)
    try:
        token = prepare(db)
        for clients in args.clients:
            for workload in WORKLOADS:
                measure(db, token, workload, clients, args.seconds, args.rounds)
    finally:
        drop_test_database(db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
