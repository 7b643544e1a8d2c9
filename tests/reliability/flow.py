"""Steps of the integration tests' line driven through the real services, and what the
database holds afterwards (read as the owner, so nothing the station cannot see is missed)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.services.work_orders import execution
from tests.conftest import TestDatabase
from tests.integration.work_order_helpers import Line

D = Decimal


def at_step_two(line: Line) -> tuple[str, str]:
    """A released work order whose components are scanned and step 1 closed: step 2 (measure
    length, visual, remark; performed then verified) is where the station is."""
    number = line.new_work_order("10")
    cap, resin = line.plant.stocked("cap", "50"), line.plant.stocked("resin", "5")
    s = line.step(number, 1)
    with line.uow(line.op1) as uow:
        execution.consume(uow, s.id, cap, line.plant.bins["LINE"], D(10))
        execution.consume(uow, s.id, resin, line.plant.bins["LINE"], D("0.5"))
        uow.commit()
    with line.uow(line.op1) as uow:
        execution.sign_step(uow, s.id, "performed", line.plant.signing(line.op1))
        uow.commit()
    s = line.step(number, 1)
    if s.status != "done":
        with line.uow(line.op1) as uow:
            execution.finish_step(uow, s.id, s.version)
            uow.commit()
    return number, cap


def owner_rows(db: TestDatabase, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with db.connect("admin") as conn:
        return list(conn.execute(sql, params).fetchall())


def entries(db: TestDatabase, number: str, seq: int) -> list[tuple[Any, ...]]:
    """(kind, code, value shown as text) of every entry of step ``seq``, in order."""
    return owner_rows(
        db,
        "SELECT e.kind, d.code, coalesce(e.value_numeric::text, e.value_pass::text,"
        " e.value_text, e.quantity::text) FROM workcell.step_entry e"
        " JOIN workcell.step_instance si ON si.id = e.step_instance_id"
        " JOIN workcell.work_order w ON w.id = si.work_order_id"
        " LEFT JOIN workcell.routing_step_data d ON d.id = e.step_data_id"
        " WHERE w.number = %s AND si.seq = %s ORDER BY e.id",
        number,
        seq,
    )


def step_status(db: TestDatabase, number: str, seq: int) -> str:
    rows = owner_rows(
        db,
        "SELECT si.status FROM workcell.step_instance si JOIN workcell.work_order w"
        " ON w.id = si.work_order_id WHERE w.number = %s AND si.seq = %s",
        number,
        seq,
    )
    return str(rows[0][0])


def signatures(db: TestDatabase, number: str, seq: int) -> list[str]:
    return [
        str(r[0])
        for r in owner_rows(
            db,
            "SELECT g.meaning FROM workcell.signature g JOIN workcell.step_instance si"
            " ON g.record_type = 'step_instance' AND g.record_id = si.id"
            " JOIN workcell.work_order w ON w.id = si.work_order_id"
            " WHERE w.number = %s AND si.seq = %s ORDER BY g.id",
            number,
            seq,
        )
    ]


def on_hand(db: TestDatabase, lot: str) -> Decimal:
    rows = owner_rows(
        db,
        "SELECT coalesce(sum(o.quantity), 0) FROM workcell.on_hand o JOIN workcell.lot l"
        " ON l.id = o.lot_id WHERE l.lot_number = %s",
        lot,
    )
    return Decimal(rows[0][0])


def ledger_matches_on_hand(db: TestDatabase) -> list[tuple[Any, ...]]:
    """Lots and bins whose on-hand differs from the sum of their ledger movements."""
    return owner_rows(db, _LEDGER)


_LEDGER = """
WITH moves AS (
    SELECT lot_id, to_bin_id AS bin_id, quantity FROM workcell.inventory_txn
     WHERE to_bin_id IS NOT NULL
    UNION ALL
    SELECT lot_id, from_bin_id, -quantity FROM workcell.inventory_txn
     WHERE from_bin_id IS NOT NULL
), ledger AS (SELECT lot_id, bin_id, sum(quantity) AS total FROM moves GROUP BY lot_id, bin_id)
SELECT coalesce(o.lot_id, l.lot_id), coalesce(o.bin_id, l.bin_id), o.quantity, l.total
  FROM (SELECT lot_id, bin_id, sum(quantity) AS quantity FROM workcell.on_hand
         GROUP BY lot_id, bin_id) o
  FULL JOIN ledger l ON l.lot_id = o.lot_id AND l.bin_id = o.bin_id
 WHERE coalesce(o.quantity, 0) <> coalesce(l.total, 0)
"""
