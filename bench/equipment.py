"""The equipment usable check a step makes when a unit is scanned (issue 14 item 7), against
a bare look-up of the same unit by its asset tag, in one run on one database.

Loads ``--units`` units (half balances, half torque drivers; 5 % overdue) owner-side with
the registry's guard off (a throwaway database), then measures from a plain station login,
in a shuffled order per sample, on random units:

- floor: ``SELECT id FROM workcell.equipment WHERE asset_id = $1`` (the index look-up);
- usable: ``SELECT workcell.equipment_usable($1, $2)`` on a usable unit (class, status,
  calibration and cleaning checked, SECURITY DEFINER);
- refused: the same on an overdue unit (the refusal raised and caught by the client).

    .venv/bin/python -m bench.equipment [--units 5000] [--samples 3000]
"""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import psycopg

from tests.conftest import create_test_database, drop_test_database

LOAD = """
SELECT set_config('role', 'workcell_owner', true), set_config('workcell.system_actor', 'system', true),
       set_config('workcell.reason', 'bench: equipment load', true);
INSERT INTO workcell.equipment_class (name, description, calibration_interval_days, cleaning_interval_days, weighing)
VALUES ('B-BAL', 'bench balance', 365, 30, true), ('B-TQ', 'bench torque driver', 180, NULL, false);
ALTER TABLE workcell.equipment DISABLE TRIGGER equipment_equipment_guard;
INSERT INTO workcell.equipment (asset_id, class_code, description, device_serial, readability, capacity,
                                weighing_unit, calibration_due, cleaning_due, last_cleaned_at)
SELECT 'B-' || g, CASE WHEN g % 2 = 0 THEN 'B-BAL' ELSE 'B-TQ' END, 'bench unit',
       CASE WHEN g % 2 = 0 THEN 'SN' || g END, CASE WHEN g % 2 = 0 THEN 0.0001 END,
       CASE WHEN g % 2 = 0 THEN 220 END, CASE WHEN g % 2 = 0 THEN 'g' END,
       CASE WHEN g % 20 = 0 THEN current_date - 1 ELSE current_date + 100 END,
       current_date + 10, now()
  FROM generate_series(1, %(units)s) g;
ALTER TABLE workcell.equipment ENABLE ALWAYS TRIGGER equipment_equipment_guard;
"""


def _timed(action: Callable[..., Any], *args: Any) -> float:
    start = time.perf_counter()
    action(*args)
    return (time.perf_counter() - start) * 1000


def _floor(conn: psycopg.Connection[Any], asset: str, cls: str) -> None:
    conn.execute("SELECT id FROM workcell.equipment WHERE asset_id = %s", (asset,)).fetchone()


def _usable(conn: psycopg.Connection[Any], asset: str, cls: str) -> None:
    conn.execute("SELECT workcell.equipment_usable(%s, %s)", (asset, cls)).fetchone()


def _refused(conn: psycopg.Connection[Any], asset: str, cls: str) -> None:
    try:
        _usable(conn, asset, cls)
    except psycopg.Error as exc:
        assert exc.sqlstate == "WC103", exc
    else:
        raise AssertionError(f"{asset} should be out of calibration")


def _unit(number: int) -> tuple[str, str]:
    return f"B-{number}", "B-BAL" if number % 2 == 0 else "B-TQ"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--samples", type=int, default=3000)
    args = parser.parse_args()
    db = create_test_database("wcbencheq")
    try:
        with psycopg.connect(db.dsn("admin")) as owner:
            owner.execute(LOAD.replace("%(units)s", str(int(args.units))))
            owner.execute("ANALYZE workcell.equipment")
            owner.commit()
        rng = random.Random(14)
        times: dict[str, list[float]] = {"floor": [], "usable": [], "refused": []}
        with psycopg.connect(db.dsn("station"), autocommit=True) as conn:
            for n in range(args.samples + 200):
                good = rng.randrange(1, args.units)
                good += 1 if good % 20 == 0 else 0  # every 20th unit is overdue
                unit, overdue = _unit(good), _unit(rng.randrange(20, args.units + 1, 20))
                runs = [("floor", _floor, unit), ("usable", _usable, unit),
                        ("refused", _refused, overdue)]  # fmt: skip
                rng.shuffle(runs)  # no variant always first after the previous sample
                sample = {key: _timed(action, conn, *target) for key, action, target in runs}
                if n >= 200:  # warm-up
                    for key, value in sample.items():
                        times[key].append(value)
        floor50 = statistics.median(times["floor"])
        floor95 = statistics.quantiles(times["floor"], n=20)[18]
        print(f"equipment usable check, {args.units} units, {args.samples} samples each (ms)")
        for key, values in times.items():
            p50, p95 = statistics.median(values), statistics.quantiles(values, n=20)[18]
            print(f"  {key:8s} p50 {p50:6.3f}  p95 {p95:6.3f}   vs floor: p50 x{p50 / floor50:4.2f}"
                  f"  p95 x{p95 / floor95:4.2f}")  # fmt: skip
    finally:
        drop_test_database(db)


if __name__ == "__main__":
    main()
