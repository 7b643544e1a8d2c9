"""Two stations act on the same step or the same lot at the same moment (both held at a row
lock, then let go together): one wins, the other is told why in words, nothing is recorded
twice and the ledger still balances."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal

from domain.errors import StaleRecord, WorkCellError
from domain.services.materials import lots
from domain.services.work_orders import execution
from tests.conftest import TestDatabase
from tests.integration.work_order_helpers import Line
from tests.reliability import flow


def _at_once(db: TestDatabase, lock_sql: str, arg: object,
             actions: list[Callable[[], object]]) -> list[BaseException | None]:  # fmt: skip
    """Run ``actions`` in threads that all queue on a row the owner holds, then release it:
    they contend for real. Returns each action's exception (None: it succeeded)."""
    results: list[BaseException | None] = [None] * len(actions)

    def run(i: int) -> None:
        try:
            actions[i]()
        except BaseException as exc:
            results[i] = exc

    with db.connect("admin") as holder:
        holder.execute(lock_sql, (arg,))
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
        for t in threads:
            t.start()
        _wait_for_waiters(db, len(actions))
        holder.rollback()
        for t in threads:
            t.join(30)
    assert not any(t.is_alive() for t in threads)
    return results


def _wait_for_waiters(db: TestDatabase, count: int, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    with db.connect("admin", autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND usename <> 'postgres'"
            ).fetchone()
            if row and row[0] >= count:
                return
            time.sleep(0.01)
    raise AssertionError(f"{count} stations never queued on the lock")


def _one_won(results: list[BaseException | None]) -> WorkCellError:
    assert sum(r is None for r in results) == 1, results
    lost = next(r for r in results if r is not None)
    assert isinstance(lost, WorkCellError) and lost.message, repr(lost)
    return lost


def test_two_stations_enter_the_same_value_of_one_step(database: TestDatabase, line: Line) -> None:
    """Both saw version N of the step; the second is told the step changed at another
    station and nothing was saved: one entry."""
    number, _ = flow.at_step_two(line)
    step = line.step(number, 2)

    def enter(who: str, value: str) -> Callable[[], None]:
        def act() -> None:
            with line.uow(who) as uow:
                execution.enter_value(uow, step.id, "LENGTH", value, step.version)
                uow.commit()

        return act

    results = _at_once(
        database, "SELECT 1 FROM workcell.step_instance WHERE id = %s FOR UPDATE", step.id,
        [enter(line.op1, "10.1"), enter(line.op2, "10.2")],
    )  # fmt: skip
    lost = _one_won(results)
    assert isinstance(lost, StaleRecord)
    assert len(flow.entries(database, number, 2)) == 1


def test_two_work_orders_consume_the_last_of_one_lot(database: TestDatabase, line: Line) -> None:
    """15 on the line, two work orders each scan 10 at once: one consumption stands, the
    other is refused as short; on-hand 5, never negative, ledger and on-hand agree."""
    first, second = line.new_work_order("10"), line.new_work_order("10")
    cap = line.plant.stocked("cap", "15")
    steps = [line.step(first, 1), line.step(second, 1)]
    bin_code = line.plant.bins["LINE"]

    def scan(step_id: int, who: str) -> Callable[[], None]:
        def act() -> None:
            with line.uow(who) as uow:
                execution.consume(uow, step_id, cap, bin_code, Decimal(10))
                uow.commit()

        return act

    results = _at_once(
        database,
        "SELECT 1 FROM workcell.on_hand o JOIN workcell.lot l ON l.id = o.lot_id"
        " WHERE l.lot_number = %s FOR UPDATE OF o",
        cap,
        [scan(steps[0].id, line.op1), scan(steps[1].id, line.op2)],
    )
    _one_won(results)
    assert flow.on_hand(database, cap) == Decimal(5)
    assert len(flow.entries(database, first, 1)) + len(flow.entries(database, second, 1)) == 1
    assert flow.ledger_matches_on_hand(database) == []


def test_two_qa_release_the_same_lot(database: TestDatabase, line: Line) -> None:
    """Two QA reviewers release one quarantined lot at once: it is released once, with one
    release signature; the other is told."""
    lot = line.plant.receive("cap", "20")
    plant = line.plant

    def release(who: str) -> Callable[[], None]:
        def act() -> None:
            with plant.uow(who) as uow:
                lots.release_lot(uow, lot, plant.signing(who))
                uow.commit()

        return act

    results = _at_once(
        database, "SELECT 1 FROM workcell.lot WHERE lot_number = %s FOR UPDATE", lot,
        [release(plant.qa), release(line.qa2)],
    )  # fmt: skip
    _one_won(results)
    rows = flow.owner_rows(
        database,
        "SELECT l.status, (SELECT count(*) FROM workcell.signature s WHERE s.record_type = 'lot'"
        " AND s.record_id = l.id) FROM workcell.lot l WHERE l.lot_number = %s",
        lot,
    )
    assert rows == [("released", 1)]
