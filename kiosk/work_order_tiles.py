"""Home tiles of the execution area: the station's work queue (with the supervisor's
expiring-qualifications panel) and QA review, on the station's database and settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from kiosk.records_backend import record_printer
from kiosk.work_order_backend import KioskWorkOrderBackend
from screens.home import Tile
from screens.work_orders.backend import WorkOrderBackend
from screens.work_orders.qualifications import ExpiringQualificationsPanel
from screens.work_orders.queue import QueueScreen
from screens.work_orders.review import ReviewScreen
from screens.work_orders.step import StepScreen


def work_order_backend_for(station_backend: Any) -> WorkOrderBackend | None:
    factory = getattr(station_backend, "session_factory", None)
    settings = getattr(station_backend, "settings", None)
    if factory is None or settings is None:
        return None
    sessions = getattr(station_backend, "sessions", None)  # one SessionBook per station
    return KioskWorkOrderBackend(factory, settings, sessions=sessions)


def work_queue(
    backend: WorkOrderBackend, open_inspection: Callable[[str], Screen[Any]] | None = None
) -> QueueScreen:
    return QueueScreen(backend, lambda number: StepScreen(backend, number, open_inspection))


def inspection_opener(station_backend: Any) -> Callable[[str], Screen[Any]] | None:
    """The quality area's inspection screen, for the step naming an inspection."""
    from kiosk.quality_tiles import QualityScreens, quality_backend_for

    quality = quality_backend_for(station_backend)
    return None if quality is None else QualityScreens(quality).inspection


def review_queue(
    backend: WorkOrderBackend, open_record: Callable[[str, str], Screen[Any]] | None = None
) -> QueueScreen:
    return QueueScreen(
        backend,
        lambda number: ReviewScreen(backend, number, open_record=open_record),
        title="QA review",
        review=True,
    )


def work_order_tiles(station_backend: Any) -> list[Tile]:
    backend = work_order_backend_for(station_backend)
    if backend is None:
        return []
    open_record = record_printer(station_backend)
    open_inspection = inspection_opener(station_backend)
    return [
        Tile(
            "work-queue",
            "Work queue",
            "Run work orders step by step",
            lambda: work_queue(backend, open_inspection),
            permission="work.execute",  # operators and supervisors
            panel=lambda: ExpiringQualificationsPanel(backend),  # shown to supervisors
        ),
        Tile(
            "qa-review",
            "QA review",
            "Review by exception, release lots",
            lambda: review_queue(backend, open_record),
            permission="work_order.review",
        ),
    ]
