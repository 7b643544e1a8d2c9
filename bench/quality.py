"""Every quality screen's response with a year of records (issue 16: "under 100 ms p95 with
~50,000 inspections, 5,000 NCRs, 500 CAPAs"), against a floor measured in the same run.

A scratch database gets a small real plant through the services (a released receiving
template, inspections received, completed, released and referred, an NCR, a CAPA — so every
row is one the database made itself), then a year of records is cloned from those rows by
set-based SQL (INSERT ... SELECT over generate_series; the guard and audit triggers are
disabled for the load only: this measures the reads, the write paths have their own
benchmarks). A year: 50,000 inspections (one every ~10 minutes, 4 results each), 5,000
NCRs (50 open), 500 CAPAs (100 open, 4,500 sections, some overdue); at any time 20 open
and 20 completed inspections wait at the dock and for QA.

Each screen is timed as the station calls it: the station's QualityBackend method (one
unit of work in the person's database session, the same SQL, the refusals asked of the
database before any badge). The floor is a unit of work with one indexed look-up (the
inspection by its number). Samples alternate between a screen and the floor.

Run: ``.venv/bin/python -m bench.quality [--inspections 50000] [--repeat 60]``. Creates its
own database (127.0.0.1:5432), loads it, measures, drops it (about two minutes).
"""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import text

from bench.scratch import scratch_database
from bench.trace import _pct
from domain.db import make_engine, make_session_factory
from domain.services.quality import ncr
from domain.uow import UnitOfWork
from kiosk.quality_backend import KioskQualityBackend
from kiosk.settings import StationSettings
from tests.conftest import drop_test_database
from tests.identity_helpers import STATION, Person
from tests.integration.engineering_helpers import PIN, make_signer
from tests.sessions import session_of
from tests.ui.quality_helpers import QPlant, build_quality, raise_capa, raise_ncr


class BenchBackend(KioskQualityBackend):
    """The station's backend, in a person's session made by the test helpers."""

    def uow(self, actor: str, reason: str | None = None) -> UnitOfWork:
        return UnitOfWork(self.session_factory, session_of(self.session_factory, actor), reason)


def _columns(conn: psycopg.Connection[Any], table: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'workcell'"
        " AND table_name = %s AND is_identity = 'NO' AND is_generated = 'NEVER'"
        " ORDER BY ordinal_position", (table,)).fetchall()]  # fmt: skip


def _clone(conn: psycopg.Connection[Any], table: str, source: str, **over: str) -> int:
    """INSERT INTO ``table`` SELECT its columns from ``source`` (rows aliased s), with the
    columns named in ``over`` replaced by SQL expressions."""
    cols = _columns(conn, table)
    picked = ", ".join(over.get(c, f"s.{c}") for c in cols)
    cur = conn.execute(f"INSERT INTO workcell.{table} ({', '.join(cols)}) SELECT {picked} {source}")
    return cur.rowcount


_TABLES = ("lot", "inspection", "inspection_plan", "inspection_result", "ncr", "ncr_lot", "capa",
           "capa_section")  # fmt: skip


def _seed(
    conn: psycopg.Connection[Any], n_insp: int, n_ncr: int, n_capa: int, src: dict[str, int]
) -> None:
    # the load only: no guards, no audit (a scratch database, dropped after the run)
    for table in _TABLES:
        conn.execute(f"ALTER TABLE workcell.{table} DISABLE TRIGGER ALL")
    lot, insp, ncr_id, capa = src["lot"], src["inspection"], src["ncr"], src["capa"]
    _clone(conn, "lot", f"FROM workcell.lot s CROSS JOIN generate_series(1, {n_insp}) g WHERE s.id = {lot}",
           lot_number="'BQL-' || g", supplier_lot="'BQS-' || g", created_at="now() - g * interval '10 minutes'")  # fmt: skip
    _clone(conn, "inspection",
           f"FROM workcell.inspection s CROSS JOIN generate_series(1, {n_insp}) g"
           f" JOIN workcell.lot l ON l.lot_number = 'BQL-' || g WHERE s.id = {insp}",
           number="'BQI-' || g", lot_id="l.id",
           status="CASE WHEN g <= 20 THEN 'open' WHEN g <= 40 THEN 'completed' ELSE 'released' END",
           decision="CASE WHEN g <= 20 THEN NULL ELSE s.decision END",
           created_at="now() - g * interval '10 minutes'")  # fmt: skip
    _clone(conn, "inspection_plan",
           "FROM workcell.inspection_plan s JOIN workcell.inspection i ON i.number LIKE 'BQI-%'"
           f" WHERE s.inspection_id = {insp}", inspection_id="i.id")  # fmt: skip
    _clone(conn, "inspection_result",
           "FROM workcell.inspection_result s JOIN workcell.inspection i ON i.number LIKE 'BQI-%'"
           f" WHERE s.inspection_id = {insp}", inspection_id="i.id", serial_id="NULL")  # fmt: skip
    _clone(conn, "ncr",
           f"FROM workcell.ncr s CROSS JOIN generate_series(1, {n_ncr}) g WHERE s.id = {ncr_id}",
           number="'BQN-' || g", status="CASE WHEN g <= 50 THEN 'open' ELSE 'closed' END",
           disposition="CASE WHEN g <= 50 THEN NULL ELSE 'use_as_is' END",
           created_at="now() - g * interval '105 minutes'")  # fmt: skip
    _clone(conn, "ncr_lot",
           "FROM workcell.ncr_lot s JOIN workcell.ncr n ON n.number LIKE 'BQN-%'"
           " JOIN workcell.lot l ON l.lot_number = 'BQL-' || substr(n.number, 5)"
           f" WHERE s.ncr_id = {ncr_id}", ncr_id="n.id", lot_id="l.id", hold_id="NULL")  # fmt: skip
    _clone(conn, "capa",
           f"FROM workcell.capa s CROSS JOIN generate_series(1, {n_capa}) g"
           f" JOIN workcell.ncr n ON n.number = 'BQN-' || g WHERE s.id = {capa}",
           number="'BQC-' || g", ncr_id="n.id",
           status="CASE WHEN g <= 100 THEN 'open' ELSE 'closed' END")  # fmt: skip
    _clone(conn, "capa_section",
           "FROM workcell.capa_section s JOIN workcell.capa c ON c.number LIKE 'BQC-%'"
           f" WHERE s.capa_id = {capa}", capa_id="c.id",
           status="CASE WHEN substr(c.number, 5)::int > 100 OR s.discipline < 3 THEN 'complete' ELSE 'open' END",
           due_date="CASE WHEN substr(c.number, 5)::int <= 10 THEN s.due_date - 60 ELSE s.due_date END")  # fmt: skip
    for table in _TABLES:
        conn.execute(f"ALTER TABLE workcell.{table} ENABLE TRIGGER ALL")
    conn.execute("ANALYZE")


def _sources(q: QPlant, qa: Person, inspector: Person) -> tuple[dict[str, int], dict[str, str]]:
    """Real records through the services: what the clones copy, and what the screens open."""
    lot, released = q.receive()
    q.complete(released, inspector)
    with q.plant.uow(qa.username) as uow:
        from domain.services.quality import inspections

        inspections.release_inspection(uow, released, q.signing(qa))
        uow.commit()
    lot2, open_one = q.receive()
    q.fill(open_one, inspector)
    ncr_number = raise_ncr(q, qa, lot2)
    with q.plant.uow(qa.username) as uow:
        ncr.choose_disposition(uow, ncr_number, "use_as_is", "cosmetic")
        uow.commit()
    capa_number = raise_capa(q, qa, ncr_number, qa.username, days=14)
    with q.plant.uow(qa.username) as uow:
        ids = {
            "lot": uow.session.execute(
                text("SELECT id FROM workcell.lot WHERE lot_number = :n"), {"n": lot}
            ).scalar_one(),
            "inspection": uow.session.execute(
                text("SELECT id FROM workcell.inspection WHERE number = :n"), {"n": released}
            ).scalar_one(),
            "ncr": uow.session.execute(
                text("SELECT id FROM workcell.ncr WHERE number = :n"), {"n": ncr_number}
            ).scalar_one(),
            "capa": uow.session.execute(
                text("SELECT id FROM workcell.capa WHERE number = :n"), {"n": capa_number}
            ).scalar_one(),
        }
    return ids, {"open": open_one, "released": released, "ncr": ncr_number, "capa": capa_number}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--inspections", type=int, default=50_000)
    ap.add_argument("--ncrs", type=int, default=5_000)
    ap.add_argument("--capas", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=60)
    args = ap.parse_args()
    db = scratch_database("wcbenchq")
    engine = make_engine(db.station)
    try:
        factory = make_session_factory(engine)
        q = build_quality(db, factory)
        qa_name = make_signer(db, factory, "bqa", "qa")
        insp_name = make_signer(db, factory, "binsp", "operator")
        qa, inspector = Person(qa_name, qa_name, PIN, None), Person(insp_name, insp_name, PIN, None)
        ids, shown = _sources(q, qa, inspector)
        start = time.perf_counter()
        with psycopg.connect(db.admin.replace("postgresql+psycopg", "postgresql")) as conn:
            _seed(conn, args.inspections, args.ncrs, args.capas, ids)
            conn.commit()
        print(f"seeded {args.inspections} inspections, {args.ncrs} NCRs, {args.capas} CAPAs"
              f" in {time.perf_counter() - start:.1f} s")  # fmt: skip
        settings = StationSettings(name=STATION, site="PLANT-1", zone="QA", timezone="UTC")
        b = BenchBackend(factory, settings)
        rng = random.Random(16)
        old = [f"BQI-{rng.randint(41, args.inspections)}" for _ in range(args.repeat)]
        screens: dict[str, Callable[[int], object]] = {
            "inspections (open, at the dock)": lambda i: b.open_inspections(inspector.username),
            "inspection, open (inspector)": lambda i: b.inspection(
                inspector.username, shown["open"]
            ),
            "inspection, a year old (QA)": lambda i: b.inspection(qa.username, old[i]),
            "NCRs (not closed)": lambda i: b.ncrs(qa.username),
            "NCR with approvals (QA)": lambda i: b.ncr(qa.username, shown["ncr"]),
            "CAPAs (open)": lambda i: b.capas(qa.username),
            "CAPA, D0..D8 with refusals": lambda i: b.capa(qa.username, shown["capa"]),
            "overdue CAPA actions (home)": lambda i: b.overdue_actions(qa.username),
        }

        def floor(i: int) -> object:
            with b.uow(qa.username) as uow:
                return uow.session.execute(text("SELECT id FROM workcell.inspection WHERE number = :n"),
                                           {"n": old[i]}).scalar_one()  # fmt: skip

        for fn in (*screens.values(), floor):
            for i in range(5):  # warm-up
                fn(i)
        print(f"{'screen':34} {'p50 ms':>8} {'p95 ms':>8} {'floor p95':>10} {'ratio':>6}")
        for name, fn in screens.items():
            ours: list[float] = []
            base: list[float] = []
            for i in range(args.repeat):
                for turn in (0, 1) if i % 2 == 0 else (1, 0):
                    t0 = time.perf_counter()
                    (fn if turn == 0 else floor)(i)
                    (ours if turn == 0 else base).append((time.perf_counter() - t0) * 1000)
            p95 = _pct(ours, 95)
            print(f"{name:34} {_pct(ours, 50):8.2f} {p95:8.2f} {_pct(base, 95):10.2f}"
                  f" {p95 / _pct(base, 95):6.1f}  {'ok' if p95 < 100 else 'OVER 100 ms'}")  # fmt: skip
    finally:
        engine.dispose()
        drop_test_database(db)


if __name__ == "__main__":
    main()
