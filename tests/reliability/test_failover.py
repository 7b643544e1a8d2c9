"""High availability (issue 17 item 5; docs/operations.md#high-availability): WorkCell on
PostgreSQL's own streaming replication with pg_auto_failover as the failover manager.

A monitor, a primary and a synchronous standby (tests/reliability/ha.py, run as Debian's
``postgres`` user) carry a WorkCell database migrated with the normal migrations. Three
stations sign work order steps through the real services on libpq's multi-host URL
(``target_session_attrs=read-write``), the station sealer runs, people have failed sign-ins
and one is locked out. The primary's host is then lost (its keeper and Postgres SIGKILLed).
The test waits for the manager to promote the standby and shows:

- every signature a station was told was saved is on the new primary, none twice, and a
  signature whose commit the station never heard back about is either there once or absent
  (the station said "Nothing was saved" and the operator signs again);
- the stations reconnect by themselves (the pool's pre-ping and the multi-host URL), the
  first signature accepted on the new primary is timed from the primary's loss;
- the sealer carries on from where it was and anchors past the failover;
- the failure counters are rebased (the challenges behind them were in an unlogged table,
  and the counter sequences may jump ahead on promotion): nobody is locked out by the jump,
  a locked person stays locked, refusals logged before the failover are still there, and
  five new failures lock a person on the new primary;
- `workcell audit verify --full` passes on the new primary, with the anchors;
- the old primary rejoins as the standby (pg_rewind by the manager) and replication is
  synchronous again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from domain.db import make_engine, make_session_factory
from domain.errors import AccountLocked, AuthenticationFailed, DatabaseUnavailable, WorkCellError
from domain.services.work_orders import execution
from domain.uow import UnitOfWork
from kiosk.database import libpq_url, normalise
from kiosk.sealer import Sealer
from kiosk.settings import StationSettings
from tests.conftest import (
    TestDatabase,
    bootstrap_test_admin,
    busy_station_policy,
    create_test_database,
)
from tests.identity_helpers import POLICY, STATION, Person, admin_for, enrol, new_pin
from tests.integration.audit_fixtures import make_cli
from tests.integration.engineering_helpers import make_signer
from tests.integration.work_order_helpers import Line, build_line
from tests.reliability import flow, ha
from tests.sessions import session_of

pytestmark = [
    pytest.mark.slow,
    pytest.mark.serial,
    pytest.mark.requirement("11.10(c)", "Annex 11 §16"),
]

D = Decimal
STATIONS = 3
STEPS_PER_STATION = 10
AFTER_FAILOVER = 3  # signatures each station makes on the new primary before it stops
MAX_FAILED = 5  # workcell.identity_policy.max_failed_attempts


@pytest.fixture
def formation() -> Iterator[ha.Formation]:
    why = ha.available()
    if why:
        pytest.skip(why)
    made = ha.make_formation()
    try:
        yield made
    finally:
        made.destroy()


def ha_url(formation: ha.Formation, user: str, database: str) -> str:
    """The URL a station of a high-availability plant is given: every data node, in libpq's
    multi-host form, only a read-write server accepted."""
    hosts = ",".join(f"127.0.0.1:{n.port}" for n in formation.nodes)
    return f"postgresql://{user}@{hosts}/{database}?target_session_attrs=read-write"


@pytest.fixture
def ha_db(formation: ha.Formation, monkeypatch: pytest.MonkeyPatch) -> TestDatabase:
    """A WorkCell database migrated on the primary, then reached only by multi-host URLs."""
    primary = formation.node("node1")
    monkeypatch.setenv(
        "WORKCELL_TEST_DATABASE_URL", f"postgresql://postgres@127.0.0.1:{primary.port}/postgres"
    )
    made = create_test_database("wcha")
    monkeypatch.delenv("WORKCELL_TEST_DATABASE_URL")
    db = TestDatabase(
        made.name,
        normalise(ha_url(formation, "postgres", made.name)),
        normalise(ha_url(formation, "station_pytest", made.name)),
        embedded=False,
    )
    bootstrap_test_admin(db)
    busy_station_policy(db.admin)
    return db  # the formation's directory goes with the database: nothing to drop


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


def _auth(factory: sessionmaker[Session], person: Person, pin: str | None = None) -> None:
    from domain.services import identity

    identity.authenticate(factory, person.creds(pin), station=STATION, policy=POLICY)


def _failures(factory: sessionmaker[Session], person: Person, times: int) -> str:
    """``times`` wrong PINs; the last refusal's message."""
    message = ""
    for _ in range(times):
        with pytest.raises(AuthenticationFailed) as refused:
            _auth(factory, person, new_pin())
        message = refused.value.message
    return message


def _scalar(db: TestDatabase, sql: str, *params: object) -> object:
    return flow.owner_rows(db, sql, *params)[0][0]


def _refusals(db: TestDatabase, person: Person) -> int:
    return int(
        _scalar(  # type: ignore[arg-type]
            db,
            "SELECT count(*) FROM workcell.access_log a JOIN workcell.users u ON u.id = a.user_id"
            " WHERE u.username = %s AND a.outcome = 'refused'",
            person.username,
        )
    )


def test_primary_lost_while_stations_sign(
    formation: ha.Formation, ha_db: TestDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    node1, node2 = formation.node("node1"), formation.node("node2")
    engine = make_engine(ha_db.station)
    factory = make_session_factory(engine)
    engines = [make_engine(ha_db.station) for _ in range(STATIONS)]
    sealer_engine = make_engine(ha_db.station)
    sealer: Sealer | None = None
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        line = build_line(ha_db, factory)
        steps = ready_steps(line, STATIONS * STEPS_PER_STATION)
        # synchronous replication: a commit returns once the standby has it
        assert _scalar(ha_db, "SHOW synchronous_standby_names").startswith("ANY 1 (")  # type: ignore[union-attr]
        assert _scalar(ha_db, "SHOW synchronous_commit") == "on"

        # failure counters before the loss: one person two wrong PINs, one locked out
        admin = admin_for(ha_db)
        wary, locked = (enrol(factory, admin, roles=("operator",)) for _ in range(2))
        assert "3 attempts left" in _failures(factory, wary, 2)
        _failures(factory, locked, MAX_FAILED - 1)
        with pytest.raises(AccountLocked, match="now locked"):
            _auth(factory, locked, new_pin())
        epoch_before = _scalar(ha_db, "SELECT auth.epoch()")

        # the station's own sealer, anchoring into the file `audit verify` reads
        cli = make_cli(monkeypatch, tmp_path, ha_db)
        settings = StationSettings(name="ha-sealer", seal_interval_s=0.25, data_dir=cli.data_dir)
        cli.data_dir.mkdir(parents=True, exist_ok=True)
        sealer = Sealer(sealer_engine, settings, anchor_interval_s=0.5)
        sealer.start()
        ha.wait_for(lambda: bool(sealer.last_status and sealer.last_status.ok), 30, "sealing")

        floor = Floor()
        # one person per station: the same person at two stations at once overtakes their
        # own PIN prompt (refused by design, not by the failover)
        signers = [line.op1, line.op2, make_signer(ha_db, factory, "opc", "operator")]
        for i in range(STATIONS):
            chunk = steps[i * STEPS_PER_STATION : (i + 1) * STEPS_PER_STATION]
            factory_i = make_session_factory(engines[i])
            t = threading.Thread(
                target=station, args=(i, factory_i, line, signers[i], chunk, floor, stop),
                name=f"station-{i}", daemon=True,
            )  # fmt: skip
            threads.append(t)
            t.start()
        ha.wait_for(lambda: len(floor.saved()) >= STATIONS * 2, 60, "signatures before")
        head_before = _scalar(ha_db, "SELECT coalesce(max(last_position), 0) FROM audit.seal")

        floor.lost_at = time.monotonic()
        formation.kill(node1)  # the primary's host is gone
        for t in threads:
            t.join(120)
        assert not any(t.is_alive() for t in threads), "a station is stuck"

        on_new = [a for a in floor.saved() if a.port == node2.port]
        assert on_new, f"nothing was saved on the new primary: {floor.attempts[-5:]}"
        first = min(a.ended for a in on_new)
        failover_s = first - floor.lost_at
        offline = [a for a in floor.attempts if a.outcome == "offline"]
        print(
            f"\nfailover: primary lost → first signature accepted on the new primary in "
            f"{failover_s:.1f} s; {len(floor.saved())} signatures saved "
            f"({len(floor.saved()) - len(on_new)} before, {len(on_new)} after), "
            f"{len(offline)} refused as offline meanwhile"
        )
        assert failover_s < 30, f"failover took {failover_s:.1f} s"
        assert formation.states()["node2"][1] in ("wait_primary", "primary")
        # no standby left: writes go on without synchronous replication (number_sync_standbys=0)
        assert _scalar(ha_db, "SELECT inet_server_port()") == node2.port
        assert _scalar(ha_db, "SHOW synchronous_standby_names") == ""
        assert all("Nothing was saved" in a.message for a in offline)

        # every acknowledged signature is on the new primary, and none is there twice
        for a in floor.saved():
            assert flow.signatures(ha_db, a.number, 1) == ["performed"], a
        for a in (a for a in floor.attempts if a.outcome == "refused"):
            # only a commit lost on the wire may be refused on retry: it is there, once
            assert any(o.number == a.number for o in offline), a
            assert flow.signatures(ha_db, a.number, 1) == ["performed"], a
        for number, _ in steps:
            assert len(flow.signatures(ha_db, number, 1)) <= 1, number

        # the sealer carried on past the failover, from where it was
        def sealed_past() -> bool:
            status = sealer.last_status if sealer else None
            return bool(status and status.ok and (status.head_position or 0) > head_before)

        sealed_in = ha.wait_for(sealed_past, 60, "sealing on the new primary")
        print(f"sealer: sealing again {sealed_in:.1f} s after the stations finished")
        sealer.stop()
        sealer = None

        # failure counters: rebased on the new primary, nobody locked by the jump
        assert _scalar(ha_db, "SELECT auth.epoch()") != epoch_before
        with pytest.raises(AccountLocked):
            _auth(factory, locked)  # the lock is a row: it came along
        assert f"{MAX_FAILED - 1} attempts left" in _failures(factory, wary, 1)
        _auth(factory, wary)  # the right PIN signs in
        _failures(factory, wary, MAX_FAILED - 2)
        with pytest.raises(AccountLocked, match="now locked"):
            _auth(factory, wary, new_pin())
        assert (_refusals(ha_db, wary), _refusals(ha_db, locked)) == (2 + MAX_FAILED, MAX_FAILED)

        # the CLI on the multi-host URL, against the new primary
        monkeypatch.setenv("WORKCELL_DATABASE_URL", ha_url(formation, "station_pytest", ha_db.name))
        monkeypatch.setenv("WORKCELL_ADMIN_DATABASE_URL", ha_url(formation, "postgres", ha_db.name))
        assert cli.run("audit", "seal")[0] == 0
        code, out = cli.run("audit", "verify", "--full")
        assert code == 0, out

        # the old primary rejoins as the standby; replication is synchronous again
        rejoined = ha.wait_for(lambda: _rejoin(formation, node1), 120, "node1 rejoins")
        print(f"old primary rejoined as standby in {rejoined:.1f} s")
        assert _scalar(ha_db, "SHOW synchronous_standby_names").startswith("ANY 1 (")  # type: ignore[union-attr]
        assert flow.ledger_matches_on_hand(ha_db) == []
        assert libpq_url(ha_db.station).count("127.0.0.1:") == 2
    except BaseException:
        print(formation.logs())
        raise
    finally:
        stop.set()
        for t in threads:
            t.join(30)
        if sealer is not None:
            sealer.stop()
        for e in [engine, sealer_engine, *engines]:
            e.dispose()


def _rejoin(formation: ha.Formation, node: ha.Node) -> bool:
    """Start the lost node's service again (once) and report when it is the standby."""
    if node.proc is not None and node.proc.poll() is not None:
        formation.restart(node)
    states = formation.states()
    return states.get(node.name) == ("secondary", "secondary") and states.get("node2") == (
        "primary",
        "primary",
    )
