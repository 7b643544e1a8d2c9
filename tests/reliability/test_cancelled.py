"""The server cancels a station's transaction mid-write (pg_cancel_backend, as a DBA or the
watchdog would): the station is told clearly that nothing was saved, nothing of the write is
left, and the same action then succeeds once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal

import pytest

from domain.errors import WorkCellError
from domain.services.work_orders import execution
from tests.conftest import TestDatabase
from tests.integration.work_order_helpers import Line
from tests.reliability import flow


def _waiting_station_backend(db: TestDatabase, timeout_s: float = 15.0) -> int:
    deadline = time.monotonic() + timeout_s
    with db.connect("admin", autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND usename <> 'postgres'"
            ).fetchone()
            if row:
                return int(row[0])
            time.sleep(0.01)
    raise AssertionError("the station's write never waited on the lock")


def _cancel_mid_write(db: TestDatabase, lock_sql: str, lock_arg: object,
                      write: Callable[[], object]) -> WorkCellError:  # fmt: skip
    """Hold a row the write must change (the write is then in flight, its earlier rows
    written), cancel the station's backend, and return what the station was told."""
    outcome: list[BaseException] = []

    def station() -> None:
        try:
            write()
        except BaseException as exc:
            outcome.append(exc)

    with db.connect("admin") as holder:
        holder.execute(lock_sql, (lock_arg,))
        worker = threading.Thread(target=station)
        worker.start()
        pid = _waiting_station_backend(db)
        with db.connect("admin", autocommit=True) as dba:
            assert dba.execute("SELECT pg_cancel_backend(%s)", (pid,)).fetchone() == (True,)
        worker.join(20)
        holder.rollback()
    assert not worker.is_alive() and len(outcome) == 1, outcome
    error = outcome[0]
    assert isinstance(error, WorkCellError), repr(error)
    return error


def test_cancelled_component_scan_leaves_nothing_and_the_scan_then_succeeds(
    database: TestDatabase, line: Line
) -> None:
    """A consumption cancelled while it waits to decrement on-hand: no entry, no ledger
    movement, no genealogy edge; the message says nothing was saved."""
    number = line.new_work_order("10")
    cap = line.plant.stocked("cap", "50")
    step = line.step(number, 1)
    bin_code = line.plant.bins["LINE"]

    def scan() -> None:
        with line.uow(line.op1) as uow:
            execution.consume(uow, step.id, cap, bin_code, Decimal(10))
            uow.commit()

    error = _cancel_mid_write(
        database,
        "SELECT 1 FROM workcell.on_hand o JOIN workcell.lot l ON l.id = o.lot_id"
        " WHERE l.lot_number = %s FOR UPDATE OF o",
        cap,
        scan,
    )
    assert "the server cancelled it" in error.message and "Nothing was saved" in error.message
    assert flow.entries(database, number, 1) == []
    assert flow.on_hand(database, cap) == Decimal(50)
    assert flow.ledger_matches_on_hand(database) == []
    scan()
    assert [e[:2] for e in flow.entries(database, number, 1)] == [("scan", "CAP_LOT")]
    assert flow.on_hand(database, cap) == Decimal(40)


@pytest.mark.parametrize("code, value", [("LENGTH", "10.7"), ("REMARK", "late entry")])
def test_cancelled_value_leaves_nothing_and_no_deviation(
    database: TestDatabase, line: Line, code: str, value: str
) -> None:
    """A value (out of limits: it would open a deviation) cancelled while it waits on the
    step: no entry, no deviation, the step's version unchanged; then it is saved once."""
    number, _ = flow.at_step_two(line)
    step = line.step(number, 2)

    def enter() -> None:
        with line.uow(line.op1) as uow:
            execution.enter_value(uow, step.id, code, value, step.version)
            uow.commit()

    error = _cancel_mid_write(
        database, "SELECT 1 FROM workcell.step_instance WHERE id = %s FOR UPDATE", step.id, enter
    )
    assert "Nothing was saved" in error.message
    after = line.step(number, 2)
    assert flow.entries(database, number, 2) == [] and after.version == step.version
    assert after.deviations == ()
    enter()
    assert [e[1] for e in flow.entries(database, number, 2)] == [code]
