"""Audit browser responsiveness over 200,000 audit entries: page loads p50/p95.

    .venv/bin/python -m bench.audit_browser [--entries 200000] [--repeat 60]

Builds a scratch database (the test server: WORKCELL_TEST_DATABASE_URL, else
127.0.0.1:5432, else the embedded server), fills the trail through the real audit trigger
(items inserted, then edited with reasons, by four people, each in their own database
session), then times what the browser does — through the station's own backend (the
reader's session, unit of work, permission check, keyset query):
the first page, filtered pages (by user, by record, by time range, by text), a deep page
(~190,000 entries back), one entry's detail — and, as baselines in the same run, a bare
primary-key fetch of 50 rows and a bare ``count(*)`` of the trail. Also a screen-level
figure: pressing "Older" in the running Textual app until the next page is on screen.
The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy import text

from bench.scratch import TEST_ADMIN, scratch_database
from domain.audit.query import AuditFilter
from domain.db import make_engine, make_session_factory
from domain.services import access, users
from domain.uow import UnitOfWork
from kiosk.audit_backend import AuditStationBackend
from kiosk.settings import StationSettings
from tests.conftest import TestDatabase, drop_test_database
from tests.sessions import own_pin, session_of, token_of

PEOPLE = ("bench_erin", "bench_quinn", "bench_sam", "bench_olga")
READER = "bench_ines"
TX_ROWS = 10  # rows per transaction: shop-floor transactions are small

# Items created, then edited with a reason, TX_ROWS rows per transaction (COMMIT inside a
# DO block, on the station connection), each transaction by one of the people in turn in
# their own database session (the tokens, in PEOPLE order, in bench.tokens), all through
# the audit trigger.
FILL = r"""
DO $$
DECLARE
    p_items integer := {items};
    p_rows integer := {rows};
    v_tokens jsonb := current_setting('bench.tokens')::jsonb;
    n integer := 0;
BEGIN
    WHILE n < p_items LOOP
        PERFORM set_config('workcell.session',
                           v_tokens->>((n / p_rows) % jsonb_array_length(v_tokens)), true),
                workcell.touch_session();
        INSERT INTO workcell.item (item_number, description, item_type, unit)
        SELECT 'B-' || g, 'bench item ' || g, 'raw', 'kg'
          FROM generate_series(n + 1, least(n + p_rows, p_items)) g;
        COMMIT;
        n := n + p_rows;
    END LOOP;
    n := 0;
    WHILE n < p_items LOOP
        PERFORM set_config('workcell.session',
                           v_tokens->>((n / p_rows + 1) % jsonb_array_length(v_tokens)), true),
                workcell.touch_session();
        PERFORM set_config('workcell.reason', 'drawing rev C (ECO-' || (n / p_rows) || ')', true);
        UPDATE workcell.item SET description = description || ' rev C', version = version + 1
         WHERE item_number IN (SELECT 'B-' || g FROM generate_series(n + 1, n + p_rows) g);
        COMMIT;
        n := n + p_rows;
    END LOOP;
END $$;
"""


def _fill(db: TestDatabase, factory: Any, entries: int) -> None:
    """People (added by the administrator, each with a PIN of their own and signed in at
    the bench station), then items (INSERT entries) and edits (UPDATE entries) through the
    trigger, each transaction in one person's session."""
    import psycopg

    with UnitOfWork(factory, session_of(factory, TEST_ADMIN)) as uow:
        for name in (*PEOPLE, READER):
            users.add_user(uow, name, name.replace("_", " ").title())
        access.grant_role(uow, READER, "qa")
        uow.commit()
    for name in (*PEOPLE, READER):
        own_pin(factory, TEST_ADMIN, name)
    tokens = [token_of(factory, name) for name in PEOPLE]
    with psycopg.connect(db.dsn("station"), autocommit=True) as conn:
        conn.execute("SELECT set_config('bench.tokens', %s, false)", (json.dumps(tokens),))
        conn.execute(FILL.format(items=entries // 2, rows=TX_ROWS))
    with psycopg.connect(db.dsn("admin"), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE audit.entry")


def _keep_alive(factory: Any, username: str) -> None:
    """Reads roll back; a committed unit of work moves the session's "last seen" on (what
    the kiosk does while someone is busy), so the reader is not idle-locked mid-run."""
    with UnitOfWork(factory, session_of(factory, username)) as uow:
        uow.commit()


def _time(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    fn()  # warm the connection pool and the plan cache
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def _measure(
    backend: AuditStationBackend, session_factory: Any, repeat: int
) -> list[tuple[str, float, float]]:
    with session_factory() as s:
        total = s.execute(text("SELECT count(*) FROM audit.entry")).scalar_one()
        max_id = s.execute(text("SELECT max(id) FROM audit.entry")).scalar_one()
        deep = s.execute(
            text("SELECT id FROM audit.entry ORDER BY id LIMIT 1 OFFSET :n"),
            {"n": max(0, total // 20)},
        ).scalar_one()
        record = s.execute(
            text(
                "SELECT record_key FROM audit.entry WHERE table_name = 'workcell.item'"
                " AND operation = 'UPDATE' ORDER BY id LIMIT 1 OFFSET :off"
            ),
            {"off": total // 8},
        ).scalar_one()
        middle_at = s.execute(
            text("SELECT at FROM audit.entry WHERE id = :i"), {"i": deep}
        ).scalar_one()
    print(f"trail: {total} entries, {TX_ROWS} rows per transaction; deep page anchor: entry {deep}")

    def bare(sql: str, **params: Any) -> Callable[[], object]:
        def run() -> object:
            with session_factory() as s:
                return s.execute(text(sql), params).all()

        return run

    def page(flt: AuditFilter, before: int | None = None) -> Callable[[], object]:
        return lambda: backend.audit_page(READER, flt, before_id=before, limit=50)

    cases: list[tuple[str, Callable[[], object]]] = [
        (
            "baseline: primary-key fetch of 50 rows",
            bare("SELECT * FROM audit.entry WHERE id <= :m ORDER BY id DESC LIMIT 50", m=max_id),
        ),
        ("baseline: count(*) of the trail", bare("SELECT count(*) FROM audit.entry")),
        ("first page (newest 50)", page(AuditFilter())),
        ("filtered: one user", page(AuditFilter(user=PEOPLE[2]))),
        ("filtered: one record's history", page(AuditFilter(table="item", record=record))),
        (
            "filtered: time range (1 h)",
            page(AuditFilter(since=middle_at, until=middle_at + dt.timedelta(hours=1))),
        ),
        ("filtered: text, common (in most rows)", page(AuditFilter(text="rev C"))),
        ("filtered: text, rare (one record)", page(AuditFilter(text=f"ECO-{total // 40}"))),
        ("deep page (~95% back)", page(AuditFilter(), before=deep)),
        ("deep page, filtered by user", page(AuditFilter(user=PEOPLE[1]), before=deep)),
        ("entry detail", lambda: backend.audit_entry(READER, deep)),
    ]
    results = []
    for name, fn in cases:
        _keep_alive(session_factory, READER)
        results.append((name, *_time(fn, repeat)))
    return results


async def _screen_turns(
    backend: AuditStationBackend, settings: StationSettings, turns: int
) -> tuple[float, float]:
    """Press "Older" in the running app; time until the next page is in the table."""
    from hardware.fakes import FakeCardReader
    from kiosk.app import make_app
    from kiosk.backend import KioskBackend
    from screens.audit.browser import AuditBrowserScreen
    from screens.backend import SignedInUser

    reader = FakeCardReader()
    kiosk = KioskBackend(backend.session_factory, settings, sessions=backend.sessions)
    app = make_app(settings, kiosk, reader=reader)
    samples = []
    async with app.run_test(size=(160, 50)) as pilot:
        app.current_user = SignedInUser(
            READER, "Bench Ines", frozenset({"qa"}), frozenset({"audit.view"})
        )
        screen = AuditBrowserScreen(backend)
        await app.push_screen(screen)
        while screen.page is None:
            await pilot.pause(0.01)
        shown: list[float] = []
        original = screen.show

        def show(*args: Any) -> None:
            original(*args)
            shown.append(time.perf_counter())

        screen.show = show  # type: ignore[method-assign,assignment]
        for _ in range(turns):
            before = screen.page_no
            started = time.perf_counter()
            screen.action_older()  # what the "Older" button and the n key do
            while screen.page_no == before:
                await asyncio.sleep(0.0005)
            samples.append((shown[-1] - started) * 1000)
            await pilot.pause()
    reader.stop()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--turns", type=int, default=30)
    args = parser.parse_args(argv)
    db = scratch_database("wcbrowse")
    engine = None
    try:
        engine = make_engine(db.station)
        factory = make_session_factory(engine)
        started = time.perf_counter()
        _fill(db, factory, args.entries)
        print(f"filled in {time.perf_counter() - started:.1f} s")
        with TemporaryDirectory() as tmp:
            settings = StationSettings(name="bench", data_dir=Path(tmp), timezone="Europe/Berlin")
            backend = AuditStationBackend(factory, settings)
            backend.sessions.add(session_of(factory, READER))  # Ines signed in at the station
            results = _measure(backend, factory, args.repeat)
            screen = asyncio.run(_screen_turns(backend, settings, args.turns))
        base = results[0][1]
        print(f"\n{'case':<40} {'p50 ms':>8} {'p95 ms':>8} {'p50/pk':>7}")
        for name, p50, p95 in results:
            print(f"{name:<40} {p50:8.2f} {p95:8.2f} {p50 / base:7.1f}")
        name = "screen: Older pressed → rows in table"
        print(f"{name:<40} {screen[0]:8.2f} {screen[1]:8.2f} {screen[0] / base:7.1f}")
    finally:
        if engine is not None:
            engine.dispose()
        drop_test_database(db)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
