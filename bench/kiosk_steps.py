"""The station's work-order part of bench/kiosk.py (issue 14 item 10): switching to the
work queue (a main screen kept installed), and the next step shown after a step's
signature — from the signature's commit (the dialog's worker returned) until the next step
is on screen, and from PIN OK (argon2id at the shipped cost included). Baselines in the
same run and app: pushing a one-Static screen (the repaint floor), and the same signature
through the backend alone. Each signing sample is a new work order of the station-test line
(tests/ui/work_order_helpers.py) whose first step (one component scan) is scanned before.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

from textual.widgets import Button

from bench.kiosk import PlainScreen, painted, reopen, switch, until
from domain.db import make_engine, make_session_factory
from domain.services.work_orders import execution
from hardware.fakes import FakeCardReader
from kiosk.app import make_app
from kiosk.backend import KioskBackend
from kiosk.clock import frozen_clock
from kiosk.settings import StationSettings
from kiosk.work_order_backend import KioskWorkOrderBackend, StepSign
from screens.backend import Proof, SignatureLine
from screens.home import HomeScreen
from screens.modals.signature import SignatureModal
from screens.sign_in import SignInScreen
from screens.stages import at_stage
from screens.work_orders.step import StepScreen
from tests.conftest import TestDatabase
from tests.ui.conftest import FROZEN
from tests.ui.work_order_helpers import Line, build_line

SIZE = (80, 24)


def scanned(line: Line, count: int) -> list[str]:
    """Work orders whose first step has its component scanned (ready to sign)."""
    numbers = []
    for _ in range(count):
        number = line.new_work_order("1")
        lot = line.cap_lot("2")
        with line.uow(line.operator.username) as uow:
            first = execution.steps_of(uow, number)[0]
            execution.consume(uow, first.id, lot, line.plant.bins["LINE"], 1)  # type: ignore[arg-type]
            uow.commit()
        numbers.append(number)
    return numbers


@dataclass
class TimedStepSign(StepSign):
    """The station's step signature, noting when it committed (its worker returns)."""

    committed: float = 0.0

    def sign(self, proof: Proof, comment: str | None) -> SignatureLine:
        line = super().sign(proof, comment)
        self.committed = time.perf_counter()
        return line


class TimedBackend(KioskWorkOrderBackend):
    last: TimedStepSign | None = None

    def sign_step(self, actor: str, step_id: int, meaning: str, version: int) -> StepSign:
        self.last = TimedStepSign(self, actor, step_id, meaning, version)
        return self.last


async def _sign_one(app: Any, pilot: Any, reader: FakeCardReader, wo: TimedBackend,
                    who: Any, number: str) -> tuple[float, float]:  # fmt: skip
    """(PIN OK → next step shown, signature committed → next step shown) in ms."""
    step = StepScreen(wo, number)
    await app.push_screen(step)
    await until(lambda: step.view is not None, pilot)
    step.query_one("#sign-performed", Button).press()
    await until(lambda: isinstance(app.screen, SignatureModal), pilot)
    modal = app.screen
    await until(lambda: modal.record is not None, pilot)
    reader.tap(who.badge_uid or "")
    await until(lambda: at_stage(modal, "-pin"), pilot)
    await pilot.press(*who.pin)
    start = time.perf_counter()
    await pilot.press("enter")
    await until(lambda: step.view is not None and step.view.seq == 2 and app.screen is step, pilot)
    pin = await painted(app, pilot, start)
    reader.remove()
    assert wo.last is not None
    samples = (pin, pin - (wo.last.committed - start) * 1000)
    await app.pop_screen()
    return samples


async def measure_station(
    line: Line, settings: StationSettings, repeat: int
) -> dict[str, list[float]]:
    reader = FakeCardReader()
    backend = KioskBackend(line.factory, settings)
    app = make_app(settings, backend, reader=reader, clock=frozen_clock(FROZEN), pace_heap=True)
    who = line.operator
    out: dict[str, list[float]] = {k: [] for k in ("queue", "plain", "pin", "after")}
    numbers = scanned(line, repeat)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: isinstance(app.screen, SignInScreen), pilot)
            reader.tap(who.badge_uid or "")
            await until(lambda: at_stage(app.screen, "-pin"), pilot)
            await pilot.press(*who.pin, "enter")
            await until(lambda: isinstance(app.screen, HomeScreen), pilot)
            reader.remove()
            home = app.screen
            tile = next(t for t in app.tiles if t.id == "work-queue")
            await reopen(app, pilot, home, tile)  # the first opening builds and installs it
            app.heap.start()  # the station's first idle moment (kiosk/heap.py)
            for _ in range(repeat):
                out["queue"].append(await reopen(app, pilot, home, tile))
                out["plain"].append(await switch(app, pilot, PlainScreen))
            wo = TimedBackend(line.factory, settings, sessions=backend.sessions)
            for number in numbers:
                pin, after = await _sign_one(app, pilot, reader, wo, who, number)
                out["pin"].append(pin)
                out["after"].append(after)
    finally:
        reader.stop()
    return out


def measure_direct(line: Line, settings: StationSettings, repeat: int) -> list[float]:
    """The same signature (argon2id, sign, close, next step read) through the backend."""
    backend = KioskBackend(line.factory, settings)
    who = line.operator
    backend.sign_in(Proof(who.pin, badge_uid=who.badge_uid))
    wo = KioskWorkOrderBackend(line.factory, settings, sessions=backend.sessions)
    samples = []
    for number in scanned(line, repeat):
        view = wo.current_step(who.username, number)
        signable = wo.sign_step(who.username, view.step_id, "performed", view.version)
        signable.describe()
        start = time.perf_counter()
        signable.sign(Proof(who.pin, badge_uid=who.badge_uid), None)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


Report = list[tuple[str, list[float], list[float], str]]


async def run_station(db: TestDatabase, repeat: int) -> Report:
    """The report lines: (label, samples, baseline samples, aim)."""
    engine = make_engine(db.station)
    try:
        line = build_line(db, make_session_factory(engine))
        settings = StationSettings(name="bench-wo", data_dir=Path(mkdtemp()))
        got = await measure_station(line, settings, repeat)
        direct = measure_direct(line, settings, repeat)
    finally:
        engine.dispose()
    return [
        ("screen switch: work queue, kept", got["queue"], got["plain"], "aim < 100 ms"),
        ("signature committed to next step", got["after"], got["plain"], "aim p95 < 150 ms"),
        ("PIN OK to next step shown", got["pin"], direct, "(argon2id included)"),
    ]
