"""A bounded soak over the whole demo flow: N simulated stations (default 50) against one
database for a fixed time, then the integrity checks (issue 14's benchmark, issue 17 item 2).

    .venv/bin/python -m bench.soak [--stations 50] [--seconds 60] [--baseline-seconds 20]
                                   [--think LO HI]

Each station is its own registered station login with its own database sessions and its
own crew, who sign in with badge + PIN through the real challenge/response and sign every
step as the routing demands (bench/soak_station.py). One cycle: receive a cap lot, inspect
it, QA releases it, kit it, the planner releases a work order, the operator runs its three
steps (scans — caps of the station's own lot, resin from one lot every station shares —
values, output, signatures by the operator, the supervisor and QA at the operator's
station), completes it, QA reviews it and releases its output, the operator picks it and
the supervisor confirms the shipment. A sealer seals the trail every second, as on a floor.

Baseline, in the same run and database: one station alone, back to back, for
``--baseline-seconds`` (each operation's latency without contention); then all N together,
each person taking ``--think`` seconds before each operation (default none: saturation).
Latencies exclude the station's argon2id (timed separately: the test database's cheap
cost, m=64 KiB t=1 — a plant's cost is its own choice); "step completion" is a step's last
entry plus its "performed" signature, each committed; "SQL" is the mean number of
statements the station sent for the operation (round trips, commits not counted).
Afterwards every check of bench/soak_checks.py runs over both phases; the exit status is 1
if any fails or a station met an error. Uses a scratch database on the test server
(dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time

from bench.scratch import scratch_database
from bench.soak_checks import Check, check_all
from bench.soak_plant import SoakPlant, build_soak_plant
from bench.soak_station import Tally, run_stations
from domain.audit.seal import seal
from domain.db import make_engine, make_session_factory
from tests.conftest import drop_test_database

ORDER = (
    "sign-in", "receive", "inspect", "release lot", "move", "work order release",
    "open work order", "scan, own lot", "scan, shared lot", "value", "output", "entry",
    "signature", "step completion", "finish step",
    "complete work order", "review", "release output", "pick", "confirm shipment",
)  # fmt: skip


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def _sealer(engine: object, stop: threading.Event) -> threading.Thread:
    def loop() -> None:
        while not stop.wait(1.0):
            seal(engine)  # type: ignore[arg-type]

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def phase(
    plant: SoakPlant, stations: int, seconds: float, sealer_engine: object,
    think: tuple[float, float] = (0.0, 0.0),
) -> Tally:  # fmt: skip
    stop = threading.Event()
    thread = _sealer(sealer_engine, stop)
    try:
        return run_stations(plant, plant.crews[:stations], seconds, think=think)
    finally:
        stop.set()
        thread.join()


def report(base: Tally, load: Tally, base_s: float, load_s: float, stations: int) -> list[str]:
    out = [
        f"{'operation':<20} {'n':>6} {'per s':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
        f" {'1 stn p95':>9} {'ratio':>6} {'SQL':>4}"
    ]
    for op in ORDER:
        ms, ms1 = load.ms.get(op, []), base.ms.get(op, [])
        if not ms:
            continue
        ratio = p95(ms) / p95(ms1) if ms1 else float("nan")
        sql = load.statements.get(op)
        out.append(
            f"{op:<20} {len(ms):>6} {len(ms) / load_s:>7.1f} {statistics.median(ms):>8.1f}"
            f" {p95(ms):>8.1f} {max(ms):>8.1f} {p95(ms1):>9.1f} {ratio:>6.2f}"
            f" {statistics.fmean(sql) if sql else 0:>4.0f}"
        )
    derived = ("step completion", "entry")  # sums and copies of other operations
    ops = sum(len(v) for k, v in load.ms.items() if k not in derived)
    ops1 = sum(len(v) for k, v in base.ms.items() if k not in derived)
    argon = [x for v in load.argon2_ms.values() for x in v if x > 0]
    per_station = (ops / load_s / stations) / (ops1 / base_s) if ops1 else float("nan")
    out += [
        f"throughput: {ops / load_s:.1f} operations/s with {stations} stations "
        f"({ops1 / base_s:.1f}/s one station alone: {ops / load_s / (ops1 / base_s):.2f}x; "
        f"per station {per_station:.2f} of the lone station's rate)",
        f"cycles (received → shipped): {load.cycles} in {load_s:.0f} s "
        f"({base.cycles} in {base_s:.0f} s alone); work orders started {len(load.work_orders)}",
        f"argon2id at the station (excluded above): {len(argon)} PIN hashes, "
        f"mean {statistics.fmean(argon) if argon else 0:.2f} ms",
    ]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--stations", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--baseline-seconds", type=float, default=20.0)
    ap.add_argument(
        "--think", type=float, nargs=2, default=(0.0, 0.0), metavar=("LO", "HI"),
        help="seconds each person takes before an operation, uniform (default 0 0: back to back)",
    )  # fmt: skip
    args = ap.parse_args(argv)
    think = (args.think[0], args.think[1])
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    db = scratch_database("wcsoak")
    engine = make_engine(db.station, pool_size=2)
    try:
        factory = make_session_factory(engine)
        t0 = time.perf_counter()
        plant = build_soak_plant(db, factory, args.stations)
        print(
            f"plant: {args.stations} stations and crews set up in {time.perf_counter() - t0:.0f} s"
        )
        # the uncontended latency of each operation: one station, back to back
        base = phase(plant, 1, args.baseline_seconds, engine)
        print(f"baseline: 1 station, {args.baseline_seconds:.0f} s, {base.cycles} cycles")
        cpu = time.process_time()
        load = phase(plant, args.stations, args.seconds, engine, think)
        cpu = time.process_time() - cpu
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(
            f"the simulated stations' own Python used {cpu:.0f} CPU s in {args.seconds:.0f} s"
            f" ({cpu / args.seconds:.2f} of the host's 2 cores; real stations are other machines)"
        )
        print("\n".join(report(base, load, args.baseline_seconds, args.seconds, args.stations)))
        both = Tally()
        both.merge(base)
        both.merge(load)
        t0 = time.perf_counter()
        checks: list[Check] = check_all(db.dsn("admin"), engine, factory, both)
        print(f"checks ({time.perf_counter() - t0:.1f} s):")
        for c in checks:
            print(f"  {'PASS' if c.ok else 'FAIL'} {c.name} [{c.checked} checked]")
            for problem in c.problems[:10]:
                print(f"       {problem}")
        for error in both.errors[:10]:
            print(f"station error: {error}")
        print(f"station errors: {len(both.errors)}")
        return 0 if all(c.ok for c in checks) and not both.errors else 1
    finally:
        engine.dispose()
        drop_test_database(db)


if __name__ == "__main__":
    sys.exit(main())
