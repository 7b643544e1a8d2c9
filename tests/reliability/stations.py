"""A station app on any database (the reliability tests bring their own), and the taps the
step screen needs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from textual.pilot import Pilot
from textual.widgets import DataTable

from domain.services import identity_admin, users
from domain.uow import UnitOfWork
from hardware.fakes import FakeCardReader
from hardware.wedge import Wedge
from kiosk.app import WorkCellApp, make_app
from kiosk.backend import KioskBackend
from kiosk.bridge import wedge_config
from kiosk.clock import frozen_clock
from kiosk.settings import StationSettings
from screens.widgets.keyboard import key_id
from screens.work_orders.queue import QueueScreen
from screens.work_orders.step import StepScreen
from tests.conftest import TEST_ADMIN, unique
from tests.identity_helpers import Person, new_badge_uid
from tests.integration.engineering_helpers import PIN
from tests.sessions import session_of
from tests.ui.conftest import FROZEN, tap, until


@dataclass
class Station:
    app: WorkCellApp
    reader: FakeCardReader
    backend: KioskBackend
    settings: StationSettings
    factory: sessionmaker[Session]

    def person(self, username: str) -> Person:
        """A signer of the integration line (PIN ``PIN``) with a badge of their own."""
        uid = new_badge_uid()
        with UnitOfWork(self.factory, session_of(self.factory, TEST_ADMIN)) as uow:
            identity_admin.add_badge(uow, username, uid)
            uow.commit()
            printed = next(u.printed_name for u in users.list_users(uow) if u.username == username)
        return Person(username, printed, PIN, uid)


def station_on(factory: sessionmaker[Session], data_dir: Path) -> Station:
    settings = StationSettings(
        name=unique("st"), site="PLANT-1", zone="LINE-2", timezone="Europe/Berlin",
        idle_timeout_s=600, data_dir=data_dir,
    )  # fmt: skip
    reader = FakeCardReader()
    backend = KioskBackend(factory, settings)
    wedge = Wedge(replace(wedge_config(settings.scanner), frame_timeout_ms=60_000))
    app = make_app(settings, backend, reader=reader, clock=frozen_clock(FROZEN), wedge=wedge)
    return Station(app, reader, backend, settings, factory)


async def open_work_order(pilot: Pilot[Any], app: Any, number: str) -> StepScreen:
    """Work queue tile, then a tap on the work order's row (scrolled into view)."""
    await tap(pilot, "#tile-work-queue")
    await until(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue")
    table = app.screen.query_one("#wo-table", DataTable)
    await until(pilot, lambda: number in [k.value for k in table.rows], f"{number} queued")
    await pilot.wait_for_scheduled_animations()
    index = table.get_row_index(number)
    above = sum(r.height for r in table.ordered_rows[:index])
    table.scroll_to(y=above, animate=False)
    await until(pilot, lambda: table.scroll_y == min(table.max_scroll_y, above), "row in view")
    top = table.header_height + above - int(table.scroll_y)
    await tap(pilot, "#wo-table", offset=(2, top))
    await until(pilot, lambda: isinstance(app.screen, StepScreen), "the step screen")
    step = app.screen
    await until(pilot, lambda: step.view is not None, "the step loaded")
    assert isinstance(step, StepScreen)
    return step


async def tap_keys(pilot: Pilot[Any], chars: str) -> None:
    """Tap each key of the on-screen keyboard."""
    for char in chars:
        await tap(pilot, "#" + key_id(char))
