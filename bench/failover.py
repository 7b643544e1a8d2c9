"""Failover time: from the primary's loss to the first signature accepted on the new primary.

Each run builds a pg_auto_failover formation of its own (tests/reliability/ha.py: monitor,
primary, synchronous standby, as Debian's ``postgres`` user on free local ports), migrates a
WorkCell database on the primary, starts three stations signing work order steps through the
real services on the multi-host URL (tests/reliability/ha_floor.py), SIGKILLs the primary's
keeper and Postgres, and times until a station's signature is acknowledged by the new
primary. The manager's timings are the tuned ones the failover test uses (printed), or its
defaults with ``--defaults``.

    .venv/bin/python -m bench.failover [--runs 3] [--defaults]

Figures in docs/BENCHMARKS.md ("Failover").
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from domain.db import make_engine, make_session_factory
from tests.integration.work_order_helpers import build_line
from tests.reliability import ha
from tests.reliability.ha_floor import (
    extra_signer,
    migrated_database,
    ready_steps,
    start_stations,
)

STEPS_PER_STATION = 8


def one_run(*, tuned: bool) -> tuple[float, int, int]:
    """(seconds from the loss to the first signature on the new primary, signatures saved,
    taps told 'unreachable' meanwhile)."""
    formation = ha.make_formation(tuned=tuned)
    stations = None
    try:
        db = migrated_database(formation)
        engine = make_engine(db.station)
        try:
            factory = make_session_factory(engine)
            line = build_line(db, factory)
            signers = [line.op1, line.op2, extra_signer(db, factory)]
            steps = ready_steps(line, len(signers) * STEPS_PER_STATION)
            stations = start_stations(db, line, signers, steps)
            floor = stations.floor
            ha.wait_for(lambda: len(floor.saved()) >= 2 * len(signers), 60, "signing")
            floor.lost_at = time.monotonic()
            formation.kill(formation.node("node1"))
            stations.join(180)
            if floor.crashed:
                raise RuntimeError("\n".join(floor.crashed))
            port = formation.node("node2").port
            on_new = [a.ended for a in floor.saved() if a.port == port]
            if not on_new:
                raise RuntimeError("no signature was accepted on the new primary")
            offline = sum(1 for a in floor.attempts if a.outcome == "offline")
            return min(on_new) - floor.lost_at, len(floor.saved()), offline
        finally:
            if stations is not None:
                stations.close()
            engine.dispose()
    finally:
        formation.destroy()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--defaults", action="store_true", help="pg_auto_failover's own timings")
    args = ap.parse_args(argv)
    why = ha.available()
    if why:
        print(f"failover bench skipped: {why}")
        return 0
    tuned = not args.defaults
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if tuned:
        print("monitor: " + ", ".join(f"{k} = {v}" for k, v in ha.MONITOR_TIMINGS.items()))
        print("keepers: " + ", ".join(f"{k} = {v}" for k, v in ha.KEEPER_TIMINGS.items()))
    else:
        print("pg_auto_failover's default timings")
    times = []
    for run in range(1, args.runs + 1):
        took, saved, offline = one_run(tuned=tuned)
        times.append(took)
        print(
            f"run {run}: primary lost → first signature on the new primary {took:.1f} s "
            f"({saved} signatures saved, {offline} taps told 'unreachable' meanwhile)"
        )
    print(
        f"failover over {len(times)} runs: median {statistics.median(times):.1f} s, "
        f"min {min(times):.1f} s, max {max(times):.1f} s"
    )
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
