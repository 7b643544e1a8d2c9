"""The station process killed with SIGKILL (a real process running the real service code):
between a component scan and the step's signature, and in the middle of a scan. Nothing is
half-recorded; resuming shows the step as it stands, and the work carries on from there."""

from __future__ import annotations

from decimal import Decimal

from domain.services.work_orders import execution
from tests.conftest import TestDatabase
from tests.integration.work_order_helpers import Line
from tests.reliability import flow, processes


def _genealogy(db: TestDatabase, lot: str) -> int:
    rows = flow.owner_rows(
        db,
        "SELECT count(*) FROM workcell.genealogy_edge g JOIN workcell.lot l"
        " ON l.id = g.parent_lot_id WHERE l.lot_number = %s",
        lot,
    )
    return int(rows[0][0])


def test_killed_between_the_scans_and_the_signature(database: TestDatabase, line: Line) -> None:
    """Both scans were committed; the signature was written but not committed when the
    process died: the scans stand once each (ledger, on-hand and genealogy agree), there is
    no signature, the step is still in progress and shows Performed as still to sign; the
    operator signs it on another station and the step closes."""
    number = line.new_work_order("10")
    cap, resin = line.plant.stocked("cap", "50"), line.plant.stocked("resin", "5")
    step = line.step(number, 1)
    proc = processes.start(
        "scan-sign", database.station, line.op1, str(step.id), line.plant.bins["LINE"],
        f"{cap}:10", f"{resin}:0.5",
    )  # fmt: skip
    try:
        pid = int(processes.read_until(proc, "signing ").split()[1])
    finally:
        processes.kill(proc)
    processes.wait_backend_gone(database, pid)

    assert [e[:2] for e in flow.entries(database, number, 1)] == [
        ("scan", "CAP_LOT"),
        ("scan", "RESIN_LOT"),
    ]
    assert flow.signatures(database, number, 1) == []
    assert flow.step_status(database, number, 1) == "in_progress"
    assert flow.on_hand(database, cap) == Decimal(40)
    assert _genealogy(database, cap) == 1 and _genealogy(database, resin) == 1
    assert flow.ledger_matches_on_hand(database) == []
    shown = line.step(number, 1)
    assert [(s.meaning, s.signed_by) for s in shown.signoffs] == [("performed", None)]
    assert sum(len(f.history) for f in shown.fields) == 2

    with line.uow(line.op1) as uow:  # resumed elsewhere: signed, the step closes
        signed = execution.sign_step(uow, shown.id, "performed", line.plant.signing(line.op1))
        execution.finish_step(uow, shown.id, signed.version)
        uow.commit()
    assert flow.signatures(database, number, 1) == ["performed"]
    assert flow.step_status(database, number, 1) == "done"


def test_killed_in_the_middle_of_a_scan(database: TestDatabase, line: Line) -> None:
    """The consumption was written but not committed: no entry, no ledger movement, no
    genealogy, on-hand as before; the same scan then succeeds once."""
    number = line.new_work_order("10")
    cap = line.plant.stocked("cap", "50")
    step = line.step(number, 1)
    bin_code = line.plant.bins["LINE"]
    proc = processes.start(
        "scan-open", database.station, line.op1, str(step.id), bin_code, f"{cap}:10"
    )
    try:
        pid = int(processes.read_until(proc, "scanning ").split()[1])
    finally:
        processes.kill(proc)
    processes.wait_backend_gone(database, pid)

    assert flow.entries(database, number, 1) == []
    assert flow.on_hand(database, cap) == Decimal(50) and _genealogy(database, cap) == 0
    assert flow.ledger_matches_on_hand(database) == []
    with line.uow(line.op1) as uow:
        execution.consume(uow, step.id, cap, bin_code, Decimal(10))
        uow.commit()
    assert [e[:2] for e in flow.entries(database, number, 1)] == [("scan", "CAP_LOT")]
    assert flow.on_hand(database, cap) == Decimal(40)
