"""Stations on a high-availability formation (tests/reliability/ha.py): the WorkCell database
migrated on its primary and reached only through the multi-host URL a plant gives its
stations, and stations whose operators sign step after step through the real services,
recording what each was told (saved, unreachable, refused) and by which server. Used by
tests/reliability/test_failover.py and bench/failover.py."""

from __future__ import annotations

import os
import threading
import time
import traceback
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from domain.db import make_engine, make_session_factory
from domain.errors import DatabaseUnavailable, WorkCellError
from domain.services.work_orders import execution
from domain.uow import UnitOfWork
from kiosk.database import normalise
from tests.conftest import (
    TestDatabase,
    bootstrap_test_admin,
    busy_station_policy,
    create_test_database,
)
from tests.integration.engineering_helpers import make_signer
from tests.integration.work_order_helpers import Line
from tests.reliability.ha import Formation
from tests.sessions import session_of

D = Decimal
AFTER_FAILOVER = 3  # signatures each station makes on the new primary before it stops


def migrated_database(formation: Formation) -> TestDatabase:
    """A WorkCell database migrated (the normal migrations) on the primary, with the test
    administrator, then reached only by multi-host URLs."""
    primary = formation.node("node1")
    before = os.environ.get("WORKCELL_TEST_DATABASE_URL")
    os.environ["WORKCELL_TEST_DATABASE_URL"] = (
        f"postgresql://postgres@127.0.0.1:{primary.port}/postgres"
    )
    try:
        made = create_test_database("wcha")
    finally:
        if before is None:
            os.environ.pop("WORKCELL_TEST_DATABASE_URL", None)
        else:
            os.environ["WORKCELL_TEST_DATABASE_URL"] = before
    db = TestDatabase(
        made.name,
        normalise(ha_url(formation, "postgres", made.name)),
        normalise(ha_url(formation, "station_pytest", made.name)),
        embedded=False,
    )
    bootstrap_test_admin(db)
    busy_station_policy(db.admin)
    return db  # the formation's directory goes with the database: nothing to drop


def ha_url(formation: Formation, user: str, database: str) -> str:
    """The URL a station of a high-availability plant is given: every data node, in libpq's
    multi-host form, only a read-write server accepted."""
    hosts = ",".join(f"127.0.0.1:{n.port}" for n in formation.nodes)
    return f"postgresql://{user}@{hosts}/{database}?target_session_attrs=read-write"


@dataclass
class Attempt:
    station: int
    number: str
    started: float
    ended: float
    outcome: str  # 'saved', 'offline' or 'refused'
    port: int | None = None  # the server that acknowledged a saved signature
    message: str = ""


@dataclass
class Floor:
    """What every station did, and the moment the primary was lost."""

    attempts: list[Attempt] = field(default_factory=list)
    crashed: list[str] = field(default_factory=list)  # a station worker's unexpected error
    lost_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, attempt: Attempt) -> None:
        with self.lock:
            self.attempts.append(attempt)

    def saved(self, number: str | None = None) -> list[Attempt]:
        return [a for a in self.attempts if a.outcome == "saved" and number in (None, a.number)]

    def after_loss(self, station: int) -> int:
        lost = self.lost_at
        return sum(
            1
            for a in self.saved()
            if a.station == station and lost is not None and a.started > lost
        )


def ready_steps(line: Line, count: int) -> list[tuple[str, int]]:
    """Work orders with step 1's components consumed: each waits for its 'performed'
    signature (what the stations sign during the test)."""
    cap = line.plant.stocked("cap", str(10 * count))
    resin = line.plant.stocked("resin", str(D("0.5") * count))
    out = []
    for _ in range(count):
        number = line.new_work_order("10")
        step = line.step(number, 1)
        with line.uow(line.op1) as uow:
            execution.consume(uow, step.id, cap, line.plant.bins["LINE"], D(10))
            execution.consume(uow, step.id, resin, line.plant.bins["LINE"], D("0.5"))
            uow.commit()
        out.append((number, step.id))
    return out


_PORT = text("SELECT inet_server_port()")


def station(
    index: int,
    factory: sessionmaker[Session],
    line: Line,
    signer: str,
    steps: list[tuple[str, int]],
    floor: Floor,
    stop: threading.Event,
) -> None:
    """A station whose operator signs step after step; when the station says the database
    is unreachable, the operator taps Sign again a moment later (as on the floor)."""
    try:
        _sign_steps(index, factory, line, signer, steps, floor, stop)
    except Exception:
        floor.crashed.append(traceback.format_exc())


def _sign_steps(
    index: int,
    factory: sessionmaker[Session],
    line: Line,
    signer: str,
    steps: list[tuple[str, int]],
    floor: Floor,
    stop: threading.Event,
) -> None:
    for number, step_id in steps:
        while not stop.is_set():
            started = time.monotonic()
            try:
                with UnitOfWork(factory, session_of(factory, signer)) as uow:
                    execution.sign_step(uow, step_id, "performed", line.plant.signing(signer))
                    port = uow.session.execute(_PORT).scalar_one()
                    uow.commit()
            except DatabaseUnavailable as exc:
                floor.record(Attempt(index, number, started, time.monotonic(), "offline",
                                     message=exc.message))  # fmt: skip
                time.sleep(0.2)
                continue
            except WorkCellError as exc:  # refused: judged against the database afterwards
                floor.record(Attempt(index, number, started, time.monotonic(), "refused",
                                     message=exc.message))  # fmt: skip
                break
            floor.record(Attempt(index, number, started, time.monotonic(), "saved", int(port)))
            break
        if stop.is_set() or floor.after_loss(index) >= AFTER_FAILOVER:
            return


@dataclass
class Stations:
    """Station workers running, one engine (pool) each, as separate station machines."""

    floor: Floor
    stop: threading.Event
    threads: list[threading.Thread]
    engines: list[Engine]

    def join(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        for t in self.threads:
            t.join(max(0.1, deadline - time.monotonic()))

    def close(self) -> None:
        self.stop.set()
        self.join(30)
        for e in self.engines:
            e.dispose()


def start_stations(
    db: TestDatabase, line: Line, signers: list[str], steps: list[tuple[str, int]]
) -> Stations:
    """One station per signer, each signing its share of ``steps``."""
    floor, stop = Floor(), threading.Event()
    engines = [make_engine(db.station) for _ in signers]
    share = len(steps) // len(signers)
    threads = []
    for i, (signer, engine) in enumerate(zip(signers, engines, strict=True)):
        chunk = steps[i * share : (i + 1) * share]
        t = threading.Thread(
            target=station,
            args=(i, make_session_factory(engine), line, signer, chunk, floor, stop),
            name=f"station-{i}", daemon=True,
        )  # fmt: skip
        threads.append(t)
        t.start()
    return Stations(floor, stop, threads, engines)


def extra_signer(db: TestDatabase, factory: sessionmaker[Session]) -> str:
    """One more operator (one person per station: the same person at two stations at once
    overtakes their own PIN prompt, refused by design and not by the failover)."""
    return make_signer(db, factory, "opc", "operator")
