"""8 concurrent writers x 200 changes, long and short transactions interleaved, with the
background sealer running: afterwards the chain verifies and every change is in it once."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from domain.audit.anchors import read_anchors
from domain.audit.seal import seal
from domain.audit.verify import verify
from domain.db import make_engine
from kiosk.sealer import Sealer, SealerStatus
from kiosk.settings import StationSettings
from tests.integration.audit_fixtures import (
    INSERT_ITEM,
    UPDATE_ITEM,
    act_with,
    fresh_database,
    token,
)

pytestmark = pytest.mark.pg18

WRITERS = 8
CHANGES = 200


class Writer(threading.Thread):
    """Makes exactly CHANGES committed changes; some transactions are long (several changes
    with pauses while others commit), some are rolled back (and must leave no entry)."""

    def __init__(self, dsn: str, session_token: str, number: int) -> None:
        super().__init__(name=f"writer-{number}")
        self.dsn = dsn
        self.token = session_token
        self.number = number
        self.rng = random.Random(number)
        self.committed: list[tuple[int, int]] = []  # (item id, version) per change
        self.versions: dict[int, int] = {}
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with psycopg.connect(self.dsn) as conn:
                while len(self.committed) < CHANGES:
                    self._transaction(conn)
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc

    def _transaction(self, conn: psycopg.Connection) -> None:
        long = self.rng.random() < 0.15
        size = min(self.rng.randint(3, 8) if long else 1, CHANGES - len(self.committed))
        act_with(conn, self.token, reason=f"writer {self.number}", touch=True)
        done: list[tuple[int, int]] = []
        versions = dict(self.versions)
        for _ in range(size):
            done.append(self._change(conn, versions, len(self.committed) + len(done)))
            if long:
                time.sleep(self.rng.uniform(0.005, 0.03))
        if self.rng.random() < 0.05:
            conn.rollback()  # an aborted transaction: its entries must never be sealed
            return
        conn.commit()
        self.committed += done
        self.versions = versions

    def _change(
        self, conn: psycopg.Connection, versions: dict[int, int], n: int
    ) -> tuple[int, int]:
        if not versions or self.rng.random() < 0.3:
            row = conn.execute(
                INSERT_ITEM, (f"W{self.number}-{n}-{self.rng.randrange(10**9)}", "w")
            )
            item_id = int(row.fetchone()[0])  # type: ignore[index]
            versions[item_id] = 1
        else:
            item_id = self.rng.choice(sorted(versions))
            conn.execute(UPDATE_ITEM, (f"w{self.number} change {n}", item_id))
            versions[item_id] += 1
        return item_id, versions[item_id]


def test_concurrent_writers_are_each_sealed_exactly_once(tmp_path: Path) -> None:
    """Every committed change appears exactly once in the trail and the chain; rolled-back
    ones never; the chain verifies against the anchors the sealer wrote meanwhile."""
    with fresh_database("wcconc") as db:
        engine = make_engine(db.station)
        statuses: list[SealerStatus] = []
        settings = StationSettings(name="pytest", data_dir=tmp_path, seal_interval_s=0.05)
        sealer = Sealer(engine, settings, statuses.append, anchor_interval_s=0)
        sealer.start()
        session_token = token(db)  # one administrator signed in, writing from 8 connections
        writers = [Writer(db.dsn("station"), session_token, n) for n in range(WRITERS)]
        try:
            for w in writers:
                w.start()
            for w in writers:
                w.join(timeout=300)
        finally:
            sealer.stop()
        assert [w.error for w in writers] == [None] * WRITERS
        seal(engine)
        report = verify(engine, read_anchors(settings.anchor_file))
        engine.dispose()
        assert report.ok, report.problems[:5]
        assert report.pending == 0 and report.chained == report.entries
        assert sum(s.sealed for s in statuses if s.ok) > 0, "the sealer ran while writers wrote"
        assert len(read_anchors(settings.anchor_file)) > 1
        expected = Counter(change for w in writers for change in w.committed)
        assert sum(expected.values()) == WRITERS * CHANGES
        with db.connect("admin") as conn:
            rows = conn.execute(
                "SELECT e.record_key::bigint, (e.after->>'version')::int FROM audit.entry e"
                " JOIN audit.chain c ON c.entry_id = e.id WHERE e.table_name = 'workcell.item'"
            ).fetchall()
        assert Counter((int(k), int(v)) for k, v in rows) == expected
