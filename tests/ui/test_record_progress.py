"""The batch record progress modal (issue 15): it prints a completed work order's record in
a worker through the station's records backend (real database, the signed-in QA person),
shows the progress as it goes and then where the PDF was saved; a refusal is shown as its
message, nothing printed."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker
from textual.app import App, ComposeResult
from textual.widgets import Button, ProgressBar, Static

from domain.records.verify import verify_file
from kiosk.records_backend import RecordsStationBackend
from kiosk.sessions import SessionBook
from kiosk.settings import StationSettings
from screens.records.progress import RecordProgressModal
from tests.conftest import TestDatabase
from tests.integration.records_helpers import completed_work_order
from tests.integration.work_order_helpers import Line, build_line
from tests.sessions import session_of


@pytest.fixture(scope="module")
def line(database: TestDatabase, session_factory: sessionmaker[Session]) -> Line:
    return build_line(database, session_factory)


class _Host(App[None]):
    def __init__(self, modal: RecordProgressModal) -> None:
        super().__init__()
        self.modal = modal

    def compose(self) -> ComposeResult:
        yield Static("work order screen")

    def on_mount(self) -> None:
        self.push_screen(self.modal)


def _backend(line: Line, settings: StationSettings) -> RecordsStationBackend:
    book = SessionBook(line.plant.factory)
    book.add(session_of(line.plant.factory, line.qa2))
    return RecordsStationBackend(line.plant.factory, settings, sessions=book)


async def test_the_modal_shows_progress_and_the_saved_path(
    line: Line, station_settings: StationSettings
) -> None:
    wo = completed_work_order(line)
    modal = RecordProgressModal(_backend(line, station_settings), line.qa2, wo)
    app = _Host(modal)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert modal.failure is None and modal.result is not None
        assert modal.seen[:2] == ["reading the record", "rendering 3 steps"]
        assert modal.query_one(ProgressBar).progress == 100
        shown = str(modal.query_one("#record-result", Static).render())
        assert str(modal.result.path.name) in shown
        assert modal.result.path.parent == station_settings.records_dir
        assert verify_file(modal.result.path).problems == []
        assert not modal.query_one(Button).disabled
        await pilot.click("#record-close")
        await pilot.pause()
        assert app.screen is not modal


async def test_a_refusal_is_shown_and_nothing_is_printed(
    line: Line, station_settings: StationSettings
) -> None:
    wo = line.new_work_order()  # released, not complete
    modal = RecordProgressModal(_backend(line, station_settings), line.qa2, wo)
    app = _Host(modal)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert modal.result is None and modal.failure is not None
        assert "complete" in str(modal.query_one("#record-result", Static).render())
        # the export directory is checked writable first; nothing is written into it
        assert not any((station_settings.data_dir / "records").glob("*"))
