"""Station execution latency alone (issue 14 item 10): the work-order part of
bench/kiosk.py — switching to the work queue, and the next step shown after a step's
signature (< 150 ms p95 from the commit), each with its baseline from the same run.

    .venv/bin/python -m bench.step_ui [--repeat 20]
"""

from __future__ import annotations

import argparse
import asyncio

from bench.kiosk import line as report
from bench.kiosk_steps import SIZE, run_station
from bench.scratch import scratch_database
from tests.conftest import drop_test_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    db = scratch_database("wcstep", shipped_argon2=True)
    try:
        print(f"station step benchmark, {SIZE[0]}x{SIZE[1]} headless, repeat {args.repeat}")
        for label, ours, base, aim in asyncio.run(run_station(db, args.repeat)):
            print(report(label, ours, base, aim))
    finally:
        drop_test_database(db)


if __name__ == "__main__":
    main()
