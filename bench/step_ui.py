"""Station execution latency: PIN OK on a step's "performed" signature until the next step
is shown (issue 14 item 10: next step < 150 ms p95 after the signature), p50/p95, with a
baseline from the same run: the same signature through the backend alone (no dialog, no
screen).

    .venv/bin/python -m bench.step_ui [--repeat 20]

Headless (Textual's test driver at 80x24), a scratch database on the test server with the
shipped argon2id cost, real services, the fake card reader. Each sample is a new work order
of the station-test line (tests/ui/work_order_helpers.py) whose first step (one component
scan) is scanned before the measure.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

from textual.widgets import Button

from bench.kiosk import line as report
from bench.kiosk import until
from bench.scratch import scratch_database
from domain.db import make_engine, make_session_factory
from domain.services.work_orders import execution
from hardware.fakes import FakeCardReader
from kiosk.app import make_app
from kiosk.backend import KioskBackend
from kiosk.clock import frozen_clock
from kiosk.settings import StationSettings
from kiosk.work_order_backend import KioskWorkOrderBackend
from screens.backend import Proof
from screens.home import HomeScreen
from screens.modals.signature import SignatureModal
from screens.sign_in import SignInScreen
from screens.work_orders.step import StepScreen
from tests.conftest import drop_test_database
from tests.ui.conftest import FROZEN
from tests.ui.work_order_helpers import Line, build_line

SIZE = (80, 24)


def _scanned(line: Line, count: int) -> list[str]:
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


async def measure_ui(line: Line, settings: StationSettings, numbers: list[str]) -> list[float]:
    reader = FakeCardReader()
    backend = KioskBackend(line.factory, settings)
    app = make_app(settings, backend, reader=reader, clock=frozen_clock(FROZEN))
    who = line.operator
    samples: list[float] = []
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: isinstance(app.screen, SignInScreen), pilot)
            reader.tap(who.badge_uid or "")
            await until(lambda: app.screen.has_class("-pin"), pilot)
            await pilot.press(*who.pin, "enter")
            await until(lambda: isinstance(app.screen, HomeScreen), pilot)
            reader.remove()
            wo = KioskWorkOrderBackend(line.factory, settings, sessions=backend.sessions)
            for number in numbers:
                samples.append(await _one(app, pilot, reader, wo, who, number))
    finally:
        reader.stop()
    return samples


async def _one(
    app: Any, pilot: Any, reader: FakeCardReader, wo: Any, who: Any, number: str
) -> float:
    step = StepScreen(wo, number)
    await app.push_screen(step)
    await until(lambda: step.view is not None, pilot)
    step.query_one("#sign-performed", Button).press()
    await until(lambda: isinstance(app.screen, SignatureModal), pilot)
    modal = app.screen
    await until(lambda: modal.record is not None, pilot)
    reader.tap(who.badge_uid or "")
    await until(lambda: modal.has_class("-pin"), pilot)
    await pilot.press(*who.pin)
    start = time.perf_counter()
    await pilot.press("enter")
    await until(lambda: step.view is not None and step.view.seq == 2 and app.screen is step, pilot)
    await pilot.pause()
    elapsed = (time.perf_counter() - start) * 1000
    reader.remove()
    await app.pop_screen()
    return elapsed


def measure_direct(line: Line, settings: StationSettings, numbers: list[str]) -> list[float]:
    backend = KioskBackend(line.factory, settings)
    who = line.operator
    backend.sign_in(Proof(who.pin, badge_uid=who.badge_uid))
    wo = KioskWorkOrderBackend(line.factory, settings, sessions=backend.sessions)
    samples = []
    for number in numbers:
        view = wo.current_step(who.username, number)
        signable = wo.sign_step(who.username, view.step_id, "performed", view.version)
        signable.describe()
        start = time.perf_counter()
        signable.sign(Proof(who.pin, badge_uid=who.badge_uid), None)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    db = scratch_database("wcstep", shipped_argon2=True)
    engine = make_engine(db.station)
    try:
        factory = make_session_factory(engine)
        line = build_line(db, factory)
        settings = StationSettings(name="bench", data_dir=Path(mkdtemp()))
        ui_orders, direct_orders = _scanned(line, args.repeat), _scanned(line, args.repeat)
        print(f"station step benchmark, {SIZE[0]}x{SIZE[1]} headless, repeat {args.repeat}")
        ui: list[Any] = asyncio.run(measure_ui(line, settings, ui_orders))
        direct = measure_direct(line, settings, direct_orders)
        print(report("PIN OK to next step shown", ui, direct, "aim p95 < 150 ms after signing"))
    finally:
        engine.dispose()
        drop_test_database(db)


if __name__ == "__main__":
    main()
