"""The soak's invariants in CI (issue 17 item 2; the timed run is bench/soak.py): four
stations, each its own station login and crew signing in with badge + PIN, run the whole
flow at once against one database — one whole cycle each (receive → ship), then a few
seconds more that stop mid-work-order — and afterwards nothing is lost or duplicated, the
ledger, genealogy, signatures, guards and audit trail all hold. The checks themselves are
shown to see damage: a tally that disagrees with the database, and an on-hand quantity and
a work order status changed behind the guards' back by the superuser."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bench.scratch import scratch_database
from bench.soak import phase
from bench.soak_checks import Check, check_all, check_tally
from bench.soak_plant import SoakPlant, build_soak_plant
from bench.soak_station import Tally, run_stations
from domain.db import make_engine, make_session_factory
from tests.conftest import TestDatabase, drop_test_database
from tests.sessions import as_system

STATIONS = 4
# one soak per run (make test: --dist loadgroup), not one per worker that runs a test of it
pytestmark = pytest.mark.xdist_group("soak")


@dataclass(frozen=True)
class Soak:
    db: TestDatabase
    engine: Engine
    factory: sessionmaker[Session]
    plant: SoakPlant
    tally: Tally

    def checks(self) -> dict[str, Check]:
        return _named(check_all(self.db.dsn("admin"), self.engine, self.factory, self.tally))

    def tally_checks(self, tally: Tally) -> dict[str, Check]:
        return _named(check_tally(self.db.dsn("admin"), tally))


def _named(checks: list[Check]) -> dict[str, Check]:
    return {c.name.split(" (")[0]: c for c in checks}  # keyed without the counts


@pytest.fixture(scope="module")
def soak() -> Iterator[Soak]:
    db = scratch_database("wcsoakt")
    engine = make_engine(db.station, pool_size=2)
    try:
        factory = make_session_factory(engine)
        plant = build_soak_plant(db, factory, STATIONS)
        whole = run_stations(plant, plant.crews, seconds=600, max_cycles=1)
        partial = phase(plant, STATIONS, 3.0, engine)  # ends wherever each station is
        tally = Tally()
        tally.merge(whole)
        tally.merge(partial)
        yield Soak(db, engine, factory, plant, tally)
    finally:
        engine.dispose()
        drop_test_database(db)


def test_every_station_ran_the_whole_flow_and_every_invariant_holds(soak: Soak) -> None:
    t = soak.tally
    assert t.errors == []
    assert t.cycles >= STATIONS  # the first phase: one whole cycle per station
    for op in ("receive", "inspect", "release lot", "entry", "signature", "review",
               "release output", "pick", "confirm shipment"):  # fmt: skip
        assert len(t.ms[op]) >= STATIONS, op
    # the shared resin lot was consumed by every station
    assert sum(1 for _, lot, _ in t.consumed if lot == soak.plant.resin_lot) >= STATIONS
    checks = soak.checks()
    assert {name: c.problems for name, c in checks.items() if not c.ok} == {}
    assert all(c.checked > 0 for c in checks.values()), checks
    assert len(checks) == 11


def test_the_checks_see_a_lost_and_a_duplicated_write(soak: Soak) -> None:
    t = soak.tally
    wo, lot, qty = t.consumed[0]
    lost = replace(t, consumed=[*t.consumed, (wo, lot, qty + Decimal(1))])
    dup = replace(t, consumed=t.consumed[1:], values=t.values[1:], signatures=t.signatures[1:])
    checks = soak.tally_checks(lost)
    (problem,) = checks["consumption: acknowledged = stored"].problems
    assert problem.startswith("lost:") and lot in problem
    checks = soak.tally_checks(dup)
    for name in ("consumption", "values", "signatures"):
        (problem,) = checks[f"{name}: acknowledged = stored"].problems
        assert problem.startswith("not acknowledged or duplicated:"), name


@contextmanager
def _behind_the_guards(db: TestDatabase, tables: tuple[str, ...]) -> Iterator[psycopg.Connection]:
    """The superuser with the tables' triggers off (restored as they were: ALWAYS or not)."""
    with psycopg.connect(db.dsn("admin")) as conn:
        as_system(conn, reason="soak test: damage behind the guards")
        modes = conn.execute(
            "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_trigger"
            " WHERE tgrelid = ANY(%s::regclass[]) AND NOT tgisinternal",
            (list(tables),),
        ).fetchall()
        for table in tables:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield conn
        for table, name, mode in modes:
            how = {"A": "ENABLE ALWAYS", "O": "ENABLE", "R": "ENABLE REPLICA", "D": "DISABLE"}[mode]
            conn.execute(f'ALTER TABLE {table} {how} TRIGGER "{name}"')
        conn.commit()


def test_the_checks_see_damage_done_behind_the_guards(soak: Soak) -> None:
    resin = soak.plant.resin_lot
    wo = soak.tally.work_orders[0]  # closed: every station's first cycle ran to the end
    on_hand = (
        "UPDATE workcell.on_hand SET quantity = quantity + %s"
        " WHERE lot_id = (SELECT id FROM workcell.lot WHERE lot_number = %s)"
    )
    status = "UPDATE workcell.work_order SET status = %s WHERE number = %s"
    tables = ("workcell.on_hand", "workcell.work_order")
    with _behind_the_guards(soak.db, tables) as conn:
        conn.execute(on_hand, (1, resin))
        conn.execute(status, ("in_progress", wo))
    try:
        checks = soak.checks()
        assert [d for d in checks["inventory verify: on-hand = ledger"].problems if resin in d]
        assert checks["guards: every status move allowed, signed, chained, current"].problems == (
            "work_order: 1 × a current status other than the last move's",
        )
        assert not checks["audit verify: trail intact"].ok
    finally:
        with _behind_the_guards(soak.db, tables) as conn:
            conn.execute(on_hand, (-1, resin))
            conn.execute(status, ("closed", wo))
    # put back as it was: every check passes again
    assert all(c.ok for c in soak.checks().values())
