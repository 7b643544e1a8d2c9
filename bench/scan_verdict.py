"""Scan of a lot label → the screen's verdict (issue 12: "validated (or refused) < 30 ms
p95"), p50/p95, against a baseline from the same run.

    .venv/bin/python -m bench.scan_verdict [--repeat 200] [--lots 40]

Headless (Textual's test driver at 80x24), a scratch database on the test server, real
services, the fake card reader. A supervisor signed in on the Scrap screen; each sample
posts a GS1 lot label (01 GTIN, 17 expiry, 10 our lot number) as the keyboard wedge does
and stops when the screen shows its verdict (the lot with "may be scrapped", or the refusal:
a quarter of the lots are on hold); a second figure runs on to the next frame the app
writes (Textual paints at most 60 frames a second, so that adds up to 17 ms of waiting plus
the frame's render). Between samples the app settles, as on the floor, where scans come
seconds apart (before, the previous verdict's frame was painted inside the next sample).
What it includes: the label parsed, a unit of work in
the person's session, the lot with its open hold, stock by bin and the permission, the
screen updated.

Baseline, alternating sample by sample: the bare look-up of the same lot by its number
(``SELECT id FROM workcell.lot WHERE lot_number = :n``) in the same kind of unit of work
in the same session, called directly (no screen, no parsing): what any answer costs.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

from sqlalchemy import text

from bench.kiosk import line as report
from bench.kiosk import p, until
from bench.scratch import scratch_database
from domain.db import make_engine, make_session_factory
from domain.services.materials import holds
from domain.uow import UnitOfWork
from hardware.fakes import FakeCardReader
from kiosk.app import make_app
from kiosk.backend import KioskBackend
from kiosk.clock import frozen_clock
from kiosk.materials_tiles import Screens, materials_backend_for
from kiosk.settings import StationSettings
from screens.home import HomeScreen
from screens.messages import BarcodeScanned
from screens.sign_in import SignInScreen
from screens.stages import at_stage
from tests.conftest import drop_test_database
from tests.identity_helpers import Person, admin_for, enrol
from tests.integration.materials_helpers import Plant, build_plant
from tests.ui.conftest import FROZEN
from tests.ui.materials_helpers import label

SIZE = (80, 24)


def _lots(plant: Plant, count: int) -> list[str]:
    """Released lots on the line; every fourth on a QA hold (refused at the scan)."""
    numbers = [plant.stocked("cap", "20") for _ in range(count)]
    with plant.uow(plant.qa) as uow:
        for number in numbers[::4]:
            holds.place_hold(uow, number, "bench: suspect", "qa")
        uow.commit()
    return numbers


async def measure(
    plant: Plant, settings: StationSettings, who: Person, lots: list[str], repeat: int
) -> tuple[list[float], list[float], list[float], list[float]]:
    reader = FakeCardReader()
    backend = KioskBackend(plant.factory, settings)
    app = make_app(settings, backend, reader=reader, clock=frozen_clock(FROZEN))
    ours: list[float] = []
    frames: list[float] = []
    base: list[float] = []
    direct: list[float] = []
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(lambda: isinstance(app.screen, SignInScreen), pilot)
            reader.tap(who.badge_uid or "")
            await until(lambda: at_stage(app.screen, "-pin"), pilot)
            await pilot.press(*who.pin, "enter")
            await until(lambda: isinstance(app.screen, HomeScreen), pilot)
            reader.remove()
            materials = materials_backend_for(backend)
            assert materials is not None
            screen: Any = Screens(materials).scrap()
            await app.push_screen(screen)
            await pilot.pause()
            # the verdict is awaited, not polled: a 1 ms polling loop would hold the GIL
            # against the worker thread doing the look-up (a station does not poll)
            shown = asyncio.Event()
            for name in ("show", "_scan_refused"):
                method = getattr(screen, name)

                def hook(*a: Any, _m: Any = method, **kw: Any) -> None:
                    _m(*a, **kw)
                    shown.set()

                setattr(screen, name, hook)
            # the frame that shows it: the next one the app writes after the verdict
            painted = asyncio.Event()
            display = app._display

            def written(*a: Any, **kw: Any) -> None:
                display(*a, **kw)
                painted.set()

            app._display = written  # type: ignore[method-assign]
            sessions = backend.sessions

            def bare(number: str) -> None:
                with UnitOfWork(plant.factory, sessions.require(who.username)) as uow:
                    uow.session.execute(
                        text("SELECT id FROM workcell.lot WHERE lot_number = :n"), {"n": number}
                    ).scalar_one()

            labels = [(n, label(plant, "cap", n)) for n in lots]
            for n in range(20 + repeat):  # the first 20 warm up
                number, data = labels[n % len(labels)]
                if n % 2:
                    base.append(_timed(lambda nb=number: bare(nb)))
                direct.append(_timed(lambda d=data: materials.stock_lot(who.username, d, "scrap")))
                shown.clear()
                start = time.perf_counter()
                app.post_message(BarcodeScanned(data))
                await asyncio.wait_for(shown.wait(), 15)
                ours.append((time.perf_counter() - start) * 1000)
                painted.clear()
                await asyncio.wait_for(painted.wait(), 15)  # the frame with the verdict
                frames.append((time.perf_counter() - start) * 1000)
                await pilot.pause()  # settled: on the floor scans come seconds apart
                if not n % 2:
                    base.append(_timed(lambda nb=number: bare(nb)))
                assert screen.lot is not None and screen.lot.lot_number == number
    finally:
        reader.stop()
    return ours[20:], frames[20:], base[20:], direct[20:]


def _timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--lots", type=int, default=40)
    args = parser.parse_args()
    db = scratch_database("wcscan")
    engine = make_engine(db.station)
    try:
        factory = make_session_factory(engine)
        plant = build_plant(db, factory)
        who = enrol(factory, admin_for(db), roles=("supervisor",), prefix="sup")
        lots = _lots(plant, args.lots)
        settings = StationSettings(name="bench", data_dir=Path(mkdtemp()))
        print(f"scan-to-verdict benchmark, {SIZE[0]}x{SIZE[1]} headless, repeat {args.repeat}")
        ours, frames, base, direct = asyncio.run(measure(plant, settings, who, lots, args.repeat))
        print(report("lot label scan to verdict", ours, base, "aim p95 < 30 ms"))
        print(report("  to the frame that shows it", frames, base, ""))
        print(report("  of which the backend call alone", direct, base, ""))
        print(f"p95 ratio {p(ours, 95) / p(base, 95):.2f}")
    finally:
        engine.dispose()
        drop_test_database(db)


if __name__ == "__main__":
    main()
