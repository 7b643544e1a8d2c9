"""One simulated station running the whole flow, cycle after cycle, until the deadline:
receive a cap lot (its receiving inspection opens by itself), inspect it, QA releases it,
kit it to the line, the planner releases a work order, the operator runs its three steps
(component scans — caps of this station's lot, resin from the lot every station shares —
values, output, the signatures each step demands: the supervisor and QA sign at the
operator's station with their badge and PIN), completes it; the second QA person reviews it
and releases its output; the operator picks it and the supervisor confirms the shipment.

Everything goes through the domain services with the station's own login; each person
signs in at the station (badge + PIN, the database's challenge and SCRAM proof) when their
turn comes, which ends the previous person's session as on a real kiosk. Every committed
write the station was told succeeded is tallied, so the checks can tell lost from
duplicated. The station stops between two operations at the deadline (a shift ending
mid-work-order), so unfinished work orders are part of what the checks look at.
"""

from __future__ import annotations

import random
import threading
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from bench.soak_plant import CAPS_PER_RECEIPT, Crew, SoakPlant
from domain.db import make_engine, make_session_factory
from domain.services import identity, scram
from domain.services.eco import Signing
from domain.services.materials import inventory, receiving, shipping
from domain.services.quality import inspections
from domain.services.work_orders import execution, planning, review
from domain.uow import StationSession, UnitOfWork
from domain.views.work_orders import StepView
from tests.identity_helpers import BADGE_ONLY, Person

D = Decimal
T = TypeVar("T")
R = TypeVar("R")
RESIN_PER_ORDER = D("0.5")
_argon2 = threading.local()


class Stop(Exception):
    """The deadline passed: the station stops between two operations."""


@dataclass
class Tally:
    """What the stations were told was committed, and how long each operation took."""

    ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    argon2_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statements: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    consumed: list[tuple[str, str, Decimal]] = field(default_factory=list)  # wo, lot, qty
    values: list[tuple[int, str]] = field(default_factory=list)  # step, code
    signatures: list[tuple[str, int, str]] = field(default_factory=list)  # type, id, meaning
    work_orders: list[str] = field(default_factory=list)
    cycles: int = 0
    errors: list[str] = field(default_factory=list)

    def merge(self, other: Tally) -> None:
        for name, values in other.ms.items():
            self.ms[name].extend(values)
        for name, values in other.argon2_ms.items():
            self.argon2_ms[name].extend(values)
        for name, counts in other.statements.items():
            self.statements[name].extend(counts)
        self.consumed += other.consumed
        self.values += other.values
        self.signatures += other.signatures
        self.work_orders += other.work_orders
        self.cycles += other.cycles
        self.errors += other.errors


@contextmanager
def argon2_timed() -> Iterator[None]:
    """Time the station's argon2id (scram.salted_password) per thread, so every operation's
    latency can be reported without it: the cost a plant sets is its own choice."""
    original = scram.salted_password

    def timed(pin: str, salt: bytes, cost: scram.Cost) -> bytes:
        t0 = time.perf_counter()
        try:
            return original(pin, salt, cost)
        finally:
            _argon2.ms = getattr(_argon2, "ms", 0.0) + (time.perf_counter() - t0) * 1000

    scram.salted_password = timed
    try:
        yield
    finally:
        scram.salted_password = original


class Station:
    def __init__(
        self, plant: SoakPlant, crew: Crew, deadline: float, max_cycles: int | None = None,
        think: tuple[float, float] = (0.0, 0.0),
    ) -> None:  # fmt: skip
        self.plant, self.crew, self.deadline, self.max_cycles = plant, crew, deadline, max_cycles
        self.think = think
        self.engine = make_engine(crew.url, pool_size=1)
        self.factory: sessionmaker[Session] = make_session_factory(self.engine)
        self.tally = Tally()
        self._who: tuple[str, StationSession] | None = None
        self._statements = 0  # SQL statements this station sent (round trips, less commits)

        def counted(*_: object) -> None:
            self._statements += 1

        event.listen(self.engine, "before_cursor_execute", counted)

    # -- plumbing ------------------------------------------------------------------------
    @contextmanager
    def _timed(self, op: str) -> Iterator[None]:
        if time.monotonic() >= self.deadline:
            raise Stop
        _argon2.ms = 0.0
        sent = self._statements
        t0 = time.perf_counter()
        yield
        wall = (time.perf_counter() - t0) * 1000
        self.tally.ms[op].append(wall - _argon2.ms)
        self.tally.argon2_ms[op].append(_argon2.ms)
        self.tally.statements[op].append(self._statements - sent)

    def _session(self, who: Person) -> StationSession:
        if self._who is not None and self._who[0] == who.username:
            return self._who[1]
        with self._timed("sign-in"):
            ident = identity.authenticate(
                self.factory, who.creds(), station=self.crew.station, policy=BADGE_ONLY
            )
        assert ident.session is not None
        self._who = (who.username, ident.session)
        return ident.session

    def act(self, op: str, who: Person, fn: Callable[[UnitOfWork], T]) -> T:
        """One operation: a unit of work in ``who``'s session at this station, committed
        (after the person's think time, not measured: reading, measuring, walking up)."""
        return self.act_then(op, who, fn, lambda _, result: result)

    def act_then(
        self, op: str, who: Person, fn: Callable[[UnitOfWork], T],
        then: Callable[[UnitOfWork, T], R],
    ) -> R:  # fmt: skip
        """``act``, and ``then`` (what the station shows next) read right after the commit,
        timed with it: as the kiosk does, so no row lock is held while reading."""
        if self.think[1] > 0:
            time.sleep(random.uniform(*self.think))
        session = self._session(who)
        with self._timed(op), UnitOfWork(self.factory, session) as uow:
            result = fn(uow)
            uow.commit()
            return then(uow, result)

    def last_ms(self, op: str) -> float:
        return self.tally.ms[op][-1]

    def signing(self, who: Person) -> Signing:
        return Signing(who.creds(), self.crew.station, BADGE_ONLY)

    # -- the flow ------------------------------------------------------------------------
    def run(self) -> Tally:
        try:
            n = 0
            while self.max_cycles is None or n < self.max_cycles:
                n += 1
                try:
                    self.cycle(n)
                    self.tally.cycles += 1
                except Stop:
                    raise
                except Exception as e:  # a finding of the soak: reported, the station goes on
                    self.tally.errors.append(
                        f"{self.crew.station} cycle {n}: {type(e).__name__}: {e}\n"
                        + "".join(traceback.format_exception(e)[-3:])
                    )
                    self._who = None
        except Stop:
            pass
        finally:
            self.engine.dispose()
        return self.tally

    def cycle(self, n: int) -> None:
        lot = self.receive_and_release(n)
        wo = self.act("work order release", self.crew.planner, self._new_work_order)
        self.tally.work_orders.append(wo)
        steps = self.act("open work order", self.crew.operator, lambda u: execution.steps_of(u, wo))
        self.step_scan(wo, steps[0], lot)
        self.step_measure(steps[1])
        self.step_output(wo, steps[2])
        self.review_and_release(wo)
        self.ship(wo, n)

    def receive_and_release(self, n: int) -> str:
        c, bins, op = self.crew, self.plant.bins, self.crew.operator
        receipt = receiving.Receipt(
            self.plant.line.plant.supplier, bins["RCV"], item_number=self.plant.line.cap,
            supplier_lot=f"{c.station}-{n}", quantity=CAPS_PER_RECEIPT,
        )  # fmt: skip
        lot = self.act("receive", op, lambda u: receiving.receive(u, receipt).lot_number)

        def inspect(u: UnitOfWork) -> str:
            (number,) = inspections.inspections_of_lot(u, lot)
            for sample in range(1, (inspections.get_inspection(u, number).sample_size or 0) + 1):
                inspections.record_result(u, number, sample, 1, passed=True)
            inspections.complete_inspection(u, number, self.signing(op))
            return number

        number = self.act("inspect", op, inspect)
        self.act(
            "release lot", c.qa,
            lambda u: inspections.release_inspection(u, number, self.signing(c.qa)),
        )  # fmt: skip
        self.act(
            "move", op,
            lambda u: inventory.move(u, lot, bins["RCV"], bins["LINE"], CAPS_PER_RECEIPT),
        )  # fmt: skip
        return lot

    def _new_work_order(self, u: UnitOfWork) -> str:
        line = self.plant.line
        wo = planning.create_work_order(u, line.item, CAPS_PER_RECEIPT, line.plant.today)
        return planning.release_work_order(u, wo.number).number

    def _entry(self, kind: str, fn: Callable[[UnitOfWork], StepView]) -> StepView:
        """One step entry, committed: timed as its kind and as an entry."""
        view = self.act(kind, self.crew.operator, fn)
        self.tally.ms["entry"].append(self.last_ms(kind))
        return view

    def _consume(self, wo: str, step: StepView, lot: str, qty: Decimal) -> StepView:
        line_bin, v = self.plant.bins["LINE"], step.version
        kind = "scan, shared lot" if lot == self.plant.resin_lot else "scan, own lot"
        # as the kiosk's scan: the ledger's write committed at once, the step read after
        view = self.act_then(
            kind, self.crew.operator,
            lambda u: execution.record_consumption(u, step.id, lot, line_bin, qty,
                                                   expected_version=v),
            lambda u, _: execution.step_view(u, step.id),
        )  # fmt: skip
        self.tally.ms["entry"].append(self.last_ms(kind))
        self.tally.consumed.append((wo, lot, qty))
        return view

    def _enter(self, step: StepView, code: str, value: str) -> StepView:
        view = self._entry(
            "value", lambda u: execution.enter_value(u, step.id, code, value, step.version)
        )
        self.tally.values.append((step.id, code))
        return view

    def _sign(self, step: StepView, meaning: str, who: Person) -> StepView:
        # at the operator's station: the verifier taps their badge, the operator stays; the
        # dialog showed the step at its version and content (the kiosk passes both), and the
        # station reads the step again after the commit
        signing = replace(
            self.signing(who), expected_version=step.version, expected_hash=step.content_hash
        )
        view = self.act_then(
            "signature", self.crew.operator,
            lambda u: execution.record_step_signature(u, step.id, meaning, signing),
            lambda u, _: execution.step_view(u, step.id),
        )  # fmt: skip
        self.tally.signatures.append(("step_instance", step.id, meaning))
        return view

    def _performed(self, step: StepView) -> StepView:
        """The step completion the issue measures: its last entry plus the signature."""
        entry_ms = self.last_ms("entry")
        view = self._sign(step, "performed", self.crew.operator)
        self.tally.ms["step completion"].append(entry_ms + self.last_ms("signature"))
        return view

    def _finish(self, step: StepView) -> StepView:
        return self.act(
            "finish step", self.crew.operator,
            lambda u: execution.finish_step(u, step.id, step.version),
        )  # fmt: skip

    def step_scan(self, wo: str, step: StepView, lot: str) -> None:
        step = self._consume(wo, step, lot, CAPS_PER_RECEIPT)
        step = self._consume(wo, step, self.plant.resin_lot, RESIN_PER_ORDER)
        self._finish(self._performed(step))

    def step_measure(self, step: StepView) -> None:
        step = self._enter(step, "LENGTH", "10.1")
        step = self._enter(step, "VISUAL", "pass")
        step = self._performed(step)
        self._finish(self._sign(step, "verified", self.crew.supervisor))

    def step_output(self, wo: str, step: StepView) -> None:
        step = self._enter(step, "FINAL", "pass")
        qua, made, v = self.plant.bins["QUA"], CAPS_PER_RECEIPT, step.version
        step = self._entry(
            "output", lambda u: execution.produce(u, step.id, made, qua, expected_version=v)
        )
        step = self._performed(step)
        step = self._sign(step, "verified", self.crew.supervisor)
        self._finish(self._sign(step, "reviewed", self.crew.qa))

        def complete(u: UnitOfWork) -> None:
            planning.set_label_counts(u, wo, 12, 10, 2)
            planning.complete_work_order(u, wo)

        self.act("complete work order", self.crew.operator, complete)

    def review_and_release(self, wo: str) -> None:
        qa2 = self.crew.qa2

        def reviewed(u: UnitOfWork) -> int:
            if review.review_by_exception(u, wo):
                raise AssertionError(f"{wo}: exceptions in a clean run")
            return review.review_work_order(u, wo, self.signing(qa2)).id

        wo_id = self.act("review", qa2, reviewed)
        self.tally.signatures.append(("work_order", wo_id, "reviewed"))

        def released(u: UnitOfWork) -> None:
            review.release_output(u, wo, self.signing(qa2))
            planning.close_work_order(u, wo)

        self.act("release output", qa2, released)

    def ship(self, wo: str, n: int) -> None:
        c, bins = self.crew, self.plant.bins

        def pick(u: UnitOfWork) -> str:
            out = planning.get_work_order(u, wo).output_lot
            assert out is not None
            inventory.move(u, out, bins["QUA"], bins["SHIP"], CAPS_PER_RECEIPT)
            number = shipping.create_shipment(u, self.plant.line.plant.customer, f"{c.station}-{n}")
            shipping.pick(u, number, out, bins["SHIP"], CAPS_PER_RECEIPT)
            return number

        shipment = self.act("pick", c.operator, pick)
        self.act(
            "confirm shipment", c.supervisor,
            lambda u: shipping.confirm_shipment(u, shipment, self.signing(c.supervisor)),
        )  # fmt: skip


def run_stations(
    plant: SoakPlant, crews: tuple[Crew, ...], seconds: float, max_cycles: int | None = None,
    think: tuple[float, float] = (0.0, 0.0),
) -> Tally:  # fmt: skip
    """Every crew's station in a thread of its own, all until ``seconds`` from now (or each
    after ``max_cycles`` whole cycles: the test's way to be sure every stage ran)."""
    deadline = time.monotonic() + seconds
    stations = [Station(plant, crew, deadline, max_cycles, think) for crew in crews]
    results: list[Tally] = []
    lock = threading.Lock()

    def work(station: Station) -> None:
        tally = station.run()
        with lock:
            results.append(tally)

    threads = [threading.Thread(target=work, args=(s,)) for s in stations]
    with argon2_timed():
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    total = Tally()
    for r in results:
        total.merge(r)
    return total
