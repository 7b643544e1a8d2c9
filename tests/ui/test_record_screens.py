"""Printing a batch record from the work order (QA review) and lot screens (issue 15 item 1):
the station's wiring (kiosk/records_backend.record_printer) pushes the progress modal, which
prints in a worker; the PDF lands in the station's export directory with its name and both
hashes shown; a lot whose work order is not complete is refused, clearly, nothing written."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Static

from domain.records.verify import verify_file
from domain.services.work_orders import execution
from kiosk.materials_tiles import Screens, materials_backend_for
from kiosk.records_backend import record_printer
from screens.records.progress import RecordProgressModal
from screens.work_orders.queue import QueueScreen
from screens.work_orders.review import ReviewScreen
from tests.conftest import TestDatabase
from tests.ui.conftest import Station, sign_in, tap, until
from tests.ui.materials_helpers import shoot
from tests.ui.test_work_order_station import _run_with_exceptions
from tests.ui.work_order_helpers import Line, build_line


@pytest.fixture(scope="module")
def line(database: TestDatabase, session_factory: sessionmaker[Session]) -> Line:
    return build_line(database, session_factory)


async def _printed_or_refused(pilot: Pilot[Any], modal: RecordProgressModal) -> None:
    """Rendering takes seconds on a loaded host: wait on the modal's state, a while."""
    deadline = dt.datetime.now() + dt.timedelta(seconds=120)
    while modal.result is None and modal.failure is None and dt.datetime.now() < deadline:
        await until(pilot, lambda: True, "a frame")
        await pilot.pause(0.2)
    await until(pilot, lambda: modal.result is not None or modal.failure is not None, "printed")


def _shown(modal: RecordProgressModal, selector: str) -> str:
    return str(modal.query_one(selector, Static).render())


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_qa_prints_the_record_from_the_review_screen(
    make_station: Any, line: Line, tmp_path: Path, size: tuple[int, int]
) -> None:
    number = _run_with_exceptions(line)
    exports = tmp_path / "exports"
    station: Station = make_station(export_dir=str(exports))
    app = station.app
    async with app.run_test(size=size) as pilot:
        await sign_in(pilot, station, line.qa, touch=True)
        await tap(pilot, "#tile-qa-review")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen), "the review list")
        table = app.screen.query_one("#wo-table", DataTable)
        await until(pilot, lambda: number in [k.value for k in table.rows], f"{number} listed")
        await pilot.wait_for_scheduled_animations()
        index = table.get_row_index(number)
        top = table.header_height + sum(r.height for r in table.ordered_rows[:index])
        await tap(pilot, "#wo-table", offset=(2, top))
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen), "the review")
        review = app.screen
        await until(pilot, lambda: not review.query_one("#rv-print", Button).disabled, "offered")
        shoot(app, f"review-print-{size[0]}x{size[1]}")
        await tap(pilot, "#rv-print")
        await until(pilot, lambda: isinstance(app.screen, RecordProgressModal), "the modal")
        modal = app.screen
        assert isinstance(modal, RecordProgressModal)
        await _printed_or_refused(pilot, modal)
        assert modal.failure is None and modal.result is not None
        printed = modal.result
        assert printed.path.parent == exports and printed.path.name.startswith(number)
        shown = _shown(modal, "#record-result")
        assert printed.path.name in shown and str(exports) in shown
        assert printed.pdf_sha256 in shown and printed.json_sha256 in shown
        assert "registered in the audit trail" in _shown(modal, "#record-step")
        assert not modal.query_one("#record-close", Button).disabled
        shoot(app, f"record-printed-{size[0]}x{size[1]}")
        report = verify_file(printed.path)
        assert report.problems == [] and report.pdf_sha256 == printed.pdf_sha256
        with line.factory() as s:
            registered = s.execute(
                text("SELECT record_key FROM workcell.record_copy WHERE pdf_sha256 = :h"),
                {"h": printed.pdf_sha256},
            ).scalar_one()
        assert registered == number
        await tap(pilot, "#record-close")
        await until(pilot, lambda: app.screen is review, "back on the review")


def _in_progress_lot(line: Line) -> tuple[str, str]:
    """A work order whose first step consumed a cap lot: it has an output lot, but it is
    not complete."""
    number = line.new_work_order("10")
    cap = line.cap_lot("50")
    with line.uow(line.operator.username) as uow:
        step = execution.steps_of(uow, number)[0]
        execution.consume(uow, step.id, cap, line.plant.bins["LINE"], Decimal(10))
        uow.commit()
    with line.factory() as s:
        lot = s.execute(
            text(
                "SELECT l.lot_number FROM workcell.work_order w JOIN workcell.lot l"
                " ON l.id = w.output_lot_id WHERE w.number = :n"
            ),
            {"n": number},
        ).scalar_one()
    return number, str(lot)


async def test_a_lot_of_a_work_order_not_complete_is_refused_on_the_lot_screen(
    make_station: Any, line: Line, tmp_path: Path
) -> None:
    number, lot = _in_progress_lot(line)
    exports = tmp_path / "exports"
    station: Station = make_station(export_dir=str(exports))
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, line.qa, touch=True)
        backend = materials_backend_for(station.backend)
        assert backend is not None
        screens = Screens(backend, record_printer(station.backend))  # as the tiles wire it
        app.push_screen(screens.lot(lot))
        await until(pilot, lambda: getattr(app.screen, "detail", None) is not None, "the lot")
        button = app.screen.query_one("#lot-record", Button)
        await until(pilot, lambda: button.display and button.region.width > 0, "offered")
        await tap(pilot, "#lot-record")
        await until(pilot, lambda: isinstance(app.screen, RecordProgressModal), "the modal")
        modal = app.screen
        assert isinstance(modal, RecordProgressModal)
        await _printed_or_refused(pilot, modal)
        assert modal.result is None and modal.failure is not None
        said = _shown(modal, "#record-result")
        assert number in said and "printed once it is complete" in said
        assert _shown(modal, "#record-step") == "NOT PRINTED" and modal.has_class("refused")
        assert not modal.query_one("#record-close", Button).disabled
        shoot(app, "lot-record-refused-80x24")
        assert not any(exports.glob("*.pdf")) if exports.exists() else True
        await tap(pilot, "#record-close")
        await until(pilot, lambda: not isinstance(app.screen, RecordProgressModal), "closed")


async def test_a_received_lot_offers_no_record(make_station: Any, line: Line) -> None:
    """Only a produced lot has a batch record to print."""
    cap = line.cap_lot("5")
    station: Station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, line.qa, touch=True)
        backend = materials_backend_for(station.backend)
        assert backend is not None
        app.push_screen(Screens(backend, record_printer(station.backend)).lot(cap))
        await until(pilot, lambda: getattr(app.screen, "detail", None) is not None, "the lot")
        assert not app.screen.query_one("#lot-record", Button).display


def test_the_export_directory_defaults_to_the_data_directory(make_station: Any) -> None:
    station: Station = make_station()
    settings = station.settings
    assert settings.records_dir == settings.data_dir / "records"
    assert replace(settings, export_dir="~/x").records_dir == Path("~/x").expanduser()
