"""Work orders through the services (issue 14): the lock kept when a new revision is released
mid-run, step entries and corrections, component scans (every refusal leaves stock and
genealogy unchanged), signatures per step, deviations blocking closure until QA approves,
training gates, yield reconciliation, review by exception in its order, and the output lot's
release by nobody who took part."""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import (
    ComponentRefused,
    DatabaseUnavailable,
    InsufficientStock,
    InvalidInput,
    LotExpired,
    LotNotReleased,
    LotOnHold,
    NotQualified,
    PermissionDenied,
    RuleViolation,
    SignatureRefused,
    StaleRecord,
    StepBlocked,
)
from domain.services import bom
from domain.services.materials import holds
from domain.services.materials.db import run
from domain.services.work_orders import deviations, execution, planning, review, training
from domain.views.work_orders import EXCEPTION_KINDS
from tests.conftest import TestDatabase
from tests.integration.engineering_helpers import ENGINEER, release_through_eco
from tests.integration.work_order_helpers import Line, build_line
from tests.sessions import as_system

D = Decimal


@pytest.fixture(scope="module")
def line(database: TestDatabase, session_factory: sessionmaker[Session]) -> Line:
    return build_line(database, session_factory)


def _stock(line: Line) -> tuple[str, str]:
    """A released cap lot (50 on the line) and a released resin lot (5 kg on the line)."""
    return line.plant.stocked("cap", "50"), line.plant.stocked("resin", "5")


def _snapshot(line: Line) -> tuple[object, ...]:
    with line.uow(line.plant.qa) as uow:
        return tuple(
            tuple(run(uow, f"SELECT * FROM workcell.{t} ORDER BY id"))
            for t in (
                "on_hand",
                "inventory_txn",
                "genealogy_edge",
                "step_entry",
                "lot",
                "production_record",
            )
        )


def _scan(line: Line, who: str, wo: str, lot: str, qty: str, step: int = 1) -> None:
    s = line.step(wo, step)
    with line.uow(who) as uow:
        execution.consume(uow, s.id, lot, line.plant.bins["LINE"], D(qty))
        uow.commit()


def _enter(line: Line, who: str, wo: str, seq: int, code: str, value: str) -> None:
    s = line.step(wo, seq)
    with line.uow(who) as uow:
        execution.enter_value(uow, s.id, code, value, s.version)
        uow.commit()


def _sign(line: Line, who: str, wo: str, seq: int, meaning: str) -> None:
    s = line.step(wo, seq)
    with line.uow(who) as uow:
        execution.sign_step(uow, s.id, meaning, line.plant.signing(who))
        uow.commit()


def _finish(line: Line, who: str, wo: str, seq: int) -> None:
    s = line.step(wo, seq)
    with line.uow(who) as uow:
        execution.finish_step(uow, s.id, s.version)
        uow.commit()


def _run_to_complete(line: Line, wo: str, output: str = "10", length: str = "10.1") -> None:
    cap, resin = _stock(line)
    _scan(line, line.op1, wo, cap, "10")
    _scan(line, line.op1, wo, resin, "0.5")
    _sign(line, line.op1, wo, 1, "performed")
    _finish(line, line.op1, wo, 1)
    _enter(line, line.op1, wo, 2, "LENGTH", length)
    _enter(line, line.op1, wo, 2, "VISUAL", "pass")
    _sign(line, line.op1, wo, 2, "performed")
    _sign(line, line.sup, wo, 2, "verified")
    if length != "10.1":
        return
    _finish(line, line.op1, wo, 2)
    s = line.step(wo, 3)
    with line.uow(line.op1) as uow:
        execution.enter_value(uow, s.id, "FINAL", "pass", s.version)
        s = execution.produce(
            uow, s.id, D(output), line.plant.bins["QUA"], expected_version=s.version + 1
        )
        uow.commit()
    _sign(line, line.op1, wo, 3, "performed")
    _sign(line, line.sup, wo, 3, "verified")
    _sign(line, line.plant.qa, wo, 3, "reviewed")
    _finish(line, line.op1, wo, 3)
    with line.uow(line.op1) as uow:
        planning.set_label_counts(uow, wo, 12, 10, 2)
        planning.complete_work_order(uow, wo)
        uow.commit()


def test_release_locks_revisions_and_a_new_bom_mid_run_leaves_the_lock(line: Line) -> None:
    wo = line.new_work_order()
    with line.uow(line.planner) as uow:
        before = planning.get_work_order(uow, wo)
        assert before.status == "released" and before.lock_hash and len(before.lock_hash) == 64
        assert before.steps_total == 3 and planning.lock_valid(uow, wo)
    cap, _ = _stock(line)
    _scan(line, line.op1, wo, cap, "1")
    # engineering releases BOM rev B of the sub-assembly mid-run
    with line.uow(ENGINEER, "BOM rev B mid-run") as uow:
        view = bom.create_bom_revision(uow, line.item)
        bom.replace_bom_lines(uow, line.item, view.summary.revision, [
            bom.BomLineInput(line.cap, D(2)), bom.BomLineInput(line.resin, D("0.06"), "kg"),
        ])  # fmt: skip
        release_through_eco(uow, "bom", line.item, view.summary.revision)
        uow.commit()
    with line.uow(line.planner) as uow:
        after = planning.get_work_order(uow, wo)
        assert (after.bom_revision, after.lock_hash) == (before.bom_revision, before.lock_hash)
        assert planning.lock_valid(uow, wo)
        newer = planning.create_work_order(
            uow, line.item, D(1), line.plant.today + dt.timedelta(days=3)
        )
        newer = planning.release_work_order(uow, newer.number)
        assert newer.bom_revision != before.bom_revision and newer.lock_hash != before.lock_hash
        uow.rollback()
    # the running work order goes on against its lock
    _, resin = _stock(line)
    _scan(line, line.op1, wo, resin, "0.05")
    with line.uow(line.planner) as uow:
        assert planning.get_work_order(uow, wo).lock_hash == before.lock_hash
    # and the lock cannot be changed by a station (no column grant; the owner: the guard,
    # tests/security/test_work_order_gates.py)
    with line.uow(line.planner) as uow, pytest.raises(PermissionDenied):
        run(
            uow,
            "UPDATE workcell.work_order SET lock_hash = repeat('0', 64) WHERE number = :n",
            {"n": wo},
        )


def test_full_run_review_and_release(line: Line) -> None:
    wo = line.new_work_order()
    _run_to_complete(line, wo)
    with line.uow(line.plant.qa) as uow:
        summary = planning.get_work_order(uow, wo)
        assert summary.status == "complete" and summary.actual_quantity == D(10)
        assert summary.yield_pct == D(100) and summary.open_deviations == 0
    with line.uow(line.op1) as uow, pytest.raises(PermissionDenied):
        review.review_work_order(uow, wo, line.plant.signing(line.op1))
    with line.uow(line.qa2) as uow:
        assert review.review_by_exception(uow, wo) == []
        review.review_work_order(uow, wo, line.plant.signing(line.qa2))
        uow.commit()
    with line.uow(line.qa2) as uow:
        done = review.release_output(uow, wo, line.plant.signing(line.qa2))
        assert done.output_lot_status == "released"
        planning.close_work_order(uow, wo)
        uow.commit()
        # genealogy: both components into the output lot, in the same quantities
        edges = run(uow, "SELECT p.lot_number, e.quantity FROM workcell.genealogy_edge e"
                         " JOIN workcell.lot p ON p.id = e.parent_lot_id JOIN workcell.lot c ON c.id = e.child_lot_id"
                         " WHERE c.lot_number = :l ORDER BY e.id", {"l": done.output_lot})  # fmt: skip
        assert [q for _, q in edges] == [D(10), D("0.5")]


def test_performer_cannot_verify_and_participant_cannot_release(line: Line) -> None:
    wo = line.new_work_order()
    cap, resin = _stock(line)
    _scan(line, line.op1, wo, cap, "10")
    _scan(line, line.op1, wo, resin, "0.5")
    _sign(line, line.op1, wo, 1, "performed")
    _finish(line, line.op1, wo, 1)
    _enter(line, line.op1, wo, 2, "LENGTH", "10")
    _enter(line, line.op1, wo, 2, "VISUAL", "pass")
    with pytest.raises(SignatureRefused):  # verified before performed
        _sign(line, line.sup, wo, 2, "verified")
    _sign(line, line.op1, wo, 2, "performed")
    with pytest.raises(SignatureRefused):  # an operator has no supervisor role
        _sign(line, line.op2, wo, 2, "verified")
    with pytest.raises(StepBlocked):
        _finish(line, line.op1, wo, 2)


def test_out_of_limit_opens_a_deviation_that_blocks_until_qa_approves(line: Line) -> None:
    wo = line.new_work_order()
    _run_to_complete(line, wo, length="11.2")
    s = line.step(wo, 2)
    length = next(f for f in s.fields if f.code == "LENGTH")
    assert length.current is not None and length.current.out_of_limit
    assert [d.kind for d in s.deviations] == ["out_of_limit"] and s.deviations[0].status == "open"
    with pytest.raises(StepBlocked, match="deviation"):
        _finish(line, line.op1, wo, 2)
    number = s.deviations[0].number
    with line.uow(line.op1) as uow, pytest.raises(SignatureRefused, match=r"deviation\.approve"):
        deviations.approve_deviation(uow, number, line.plant.signing(line.op1))
    with line.uow(line.qa2) as uow:
        deviations.approve_deviation(uow, number, line.plant.signing(line.qa2, "use as is"))
        uow.commit()
    # approving changed nothing the signatures cover: the step closes now
    _finish(line, line.op1, wo, 2)
    assert line.step(wo, 2).status == "done"


def test_correction_keeps_the_old_value_and_invalidates_signatures(line: Line) -> None:
    wo = line.new_work_order()
    cap, resin = _stock(line)
    _scan(line, line.op1, wo, cap, "10")
    _scan(line, line.op1, wo, resin, "0.5")
    _sign(line, line.op1, wo, 1, "performed")
    _finish(line, line.op1, wo, 1)
    _enter(line, line.op1, wo, 2, "LENGTH", "9.9")
    _enter(line, line.op1, wo, 2, "VISUAL", "pass")
    _sign(line, line.op1, wo, 2, "performed")
    s = line.step(wo, 2)
    first = next(f for f in s.fields if f.code == "LENGTH").history[0]
    with line.uow(line.op2) as uow:
        with pytest.raises(InvalidInput):
            execution.enter_value(uow, s.id, "LENGTH", "10.0", s.version)
        uow.rollback()
    with line.uow(line.op2) as uow:
        s2 = execution.correct_value(uow, first.id, "10.0", "read the wrong scale", s.version)
        uow.commit()
    f = next(f for f in s2.fields if f.code == "LENGTH")
    assert [e.value for e in f.history] == ["9.9", "10"]
    assert (
        f.history[0].superseded
        and f.current is not None
        and f.current.reason == "read the wrong scale"
    )
    assert f.current.entered_by_username == line.op2
    # the "performed" signature was on the old content: it no longer counts
    assert not s2.signoffs[0].present and any("performed" in b for b in s2.blocking)


def test_two_stations_one_step_one_wins(line: Line) -> None:
    wo = line.new_work_order()
    cap, _ = _stock(line)
    s = line.step(wo, 2)
    with line.uow(line.op1) as uow:
        execution.enter_value(uow, s.id, "LENGTH", "10", s.version)
        uow.commit()
    with line.uow(line.op2) as uow, pytest.raises(StaleRecord):
        execution.enter_value(uow, s.id, "VISUAL", "pass", s.version)
    with line.uow(line.op1) as uow:
        assert len(execution.step_view(uow, s.id).fields[1].history) == 0
    assert cap


def test_every_consumption_refusal_leaves_stock_and_genealogy_unchanged(
    line: Line, database: TestDatabase
) -> None:
    wo = line.new_work_order()
    plant = line.plant
    quarantined = plant.receive("cap", "5")
    held = plant.stocked("cap", "5")
    with plant.uow(plant.qa) as uow:
        holds.place_hold(uow, held, "particles")
        uow.commit()
    short = plant.stocked("cap", "2")
    expired = plant.stocked("cap", "5")
    _backdate(database, expired)
    resin = plant.stocked("resin", "1")  # on the BOM, but scanned at step 1 only
    other = plant.stocked("sub", "5")  # not on the BOM at all
    before = _snapshot(line)
    cases = [
        (quarantined, "1", 1, LotNotReleased),
        (held, "1", 1, LotOnHold),
        (short, "3", 1, InsufficientStock),
        (expired, "1", 1, LotExpired),
        (resin, "0.1", 2, ComponentRefused),
        (other, "1", 1, ComponentRefused),
    ]
    for lot, qty, seq, error in cases:
        with pytest.raises(error):
            _scan(line, line.op1, wo, lot, qty, step=seq)
    assert _snapshot(line) == before


def _backdate(database: TestDatabase, lot: str) -> None:
    """Time passes (owner-side only, the way the materials tests do it)."""
    with database.connect("admin") as conn:
        conn.execute("ALTER TABLE workcell.lot DISABLE TRIGGER lot_lot_guard")
        as_system(conn, reason="test: time passes")
        conn.execute(
            "UPDATE workcell.lot SET expiry_date = workcell.plant_today() - 1, version = version + 1"
            " WHERE lot_number = %s",
            (lot,),
        )
        conn.execute("ALTER TABLE workcell.lot ENABLE ALWAYS TRIGGER lot_lot_guard")
        conn.commit()


def test_training_gates_refuse_with_the_qualification_named(line: Line) -> None:
    wo = line.new_work_order()
    s = line.step(wo, 2)
    with line.uow(line.untrained) as uow, pytest.raises(NotQualified, match=line.qualification):
        execution.enter_value(uow, s.id, "LENGTH", "10", s.version)
    _enter(line, line.op1, wo, 2, "LENGTH", "10")
    _enter(line, line.op1, wo, 2, "VISUAL", "pass")
    with pytest.raises(NotQualified, match=line.qualification):
        _sign(line, line.untrained, wo, 2, "performed")
    # an expired qualification: recorded a year ago, expired yesterday
    with line.uow(line.sup) as uow:
        training.grant_qualification(
            uow, line.untrained, line.qualification, line.plant.today - dt.timedelta(days=365),
            line.plant.today - dt.timedelta(days=1), line.plant.signing(line.sup),
        )  # fmt: skip
        uow.commit()
    with pytest.raises(NotQualified, match="expired"):
        _sign(line, line.untrained, wo, 2, "performed")
    with line.uow(line.sup) as uow:
        soon = training.expiring(uow, 400)
        assert any(x.username == line.op1 and x.code == line.qualification for x in soon)
        assert all(x.days_left >= 0 for x in soon)


def test_yield_outside_the_limit_opens_a_deviation(line: Line) -> None:
    wo = line.new_work_order()
    _run_to_complete(line, wo, output="8")
    with line.uow(line.qa2) as uow:
        summary = planning.get_work_order(uow, wo)
        assert summary.yield_pct == D(80) and summary.open_deviations == 1
        rows = review.review_by_exception(uow, wo)
        assert [r.kind for r in rows] == ["deviation"] and "Yield" in rows[0].detail
        with pytest.raises(RuleViolation, match="open deviations"):
            review.review_work_order(uow, wo, line.plant.signing(line.qa2))


def test_review_by_exception_order(line: Line) -> None:
    wo = line.new_work_order()
    cap, resin = _stock(line)
    _enter(line, line.op1, wo, 2, "LENGTH", "12")  # out of order and out of limit
    s = line.step(wo, 2)
    first = s.fields[0].history[0]
    with line.uow(line.op1) as uow:
        execution.correct_value(uow, first.id, "10", "typo", s.version)
        uow.commit()
    with line.uow(line.qa2) as uow:
        kinds = [r.kind for r in review.review_by_exception(uow, wo)]
    assert kinds == ["deviation", "out_of_limit", "correction", "out_of_order", "out_of_order"]
    assert kinds == sorted(kinds, key=EXCEPTION_KINDS.index)
    assert cap and resin


def test_cli_station_queue(line: Line) -> None:
    wo = line.new_work_order()
    with line.uow(line.op1) as uow:
        rows = planning.queue(uow, "ASSY-1")
    assert any(r.work_order == wo and r.seq == 1 for r in rows)


def test_a_station_killed_mid_scan_leaves_nothing_half_recorded(
    line: Line, database: TestDatabase
) -> None:
    """The station's backend dies between the scan and its commit (SIGKILL of the station
    process looks the same to the server): nothing of the scan is kept, the step resumes
    where its last committed entry left it, and the scan can be made again."""
    wo = line.new_work_order()
    cap, _ = _stock(line)
    _scan(line, line.op1, wo, cap, "3")
    before = _snapshot(line)
    s = line.step(wo, 1)
    uow = line.uow(line.op1)
    with uow:
        execution.consume(uow, s.id, cap, line.plant.bins["LINE"], D(2))
        pid = uow.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with database.connect("admin", autocommit=True) as su:
            su.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(DatabaseUnavailable):
            uow.commit()
    assert _snapshot(line) == before
    resumed = line.step(wo, 1)
    assert resumed.version == s.version and [e.quantity for e in resumed.fields[0].history] == [
        D(3)
    ]
    _scan(line, line.op1, wo, cap, "2")
    assert [e.quantity for e in line.step(wo, 1).fields[0].history] == [D(3), D(2)]


def test_a_scan_and_a_signature_are_few_statements_and_read_after_the_commit(
    line: Line, session_factory: sessionmaker[Session]
) -> None:
    """Counted with a SQLAlchemy listener (what a station sends, commits not counted): a
    component scan writes in 2 statements (the names resolved in one, wo_consume) and
    nothing else before its commit — the lot's stock row, locked by the ledger, is held
    no longer; a step signature with what the dialog showed is the challenge, the proof
    and the signature's read-back. The step read after the commit is the one just made."""
    from dataclasses import replace

    from sqlalchemy import event

    cap, resin = _stock(line)
    wo = line.new_work_order()
    s = line.step(wo, 1)
    sent: list[str] = []

    def counted(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    engine = session_factory.kw["bind"]
    with line.uow(line.op1) as uow:
        event.listen(engine, "before_cursor_execute", counted)
        try:
            execution.record_consumption(uow, s.id, cap, line.plant.bins["LINE"], D(10),
                                         expected_version=s.version)  # fmt: skip
            scan = len(sent)
            uow.commit()
        finally:
            event.remove(engine, "before_cursor_execute", counted)
        after = execution.step_view(uow, s.id)
    assert scan == 2, sent
    assert [e.value for f in after.fields for e in f.history if f.kind == "lot_scan"] == [
        f"{cap} × 10 ea"
    ]
    _scan(line, line.op1, wo, resin, "0.5")
    after = line.step(wo, 1)
    sent.clear()
    signing = replace(line.plant.signing(line.op1), expected_version=after.version,
                      expected_hash=after.content_hash)  # fmt: skip
    with line.uow(line.op1) as uow:
        event.listen(engine, "before_cursor_execute", counted)
        try:
            execution.record_step_signature(uow, s.id, "performed", signing)
            signature = len(sent)
            uow.commit()
        finally:
            event.remove(engine, "before_cursor_execute", counted)
        signed = execution.step_view(uow, s.id)
    assert signature == 3, sent  # challenge, sign, its read-back (no step read)
    assert next(g for g in signed.signoffs if g.meaning == "performed").signed_at is not None
