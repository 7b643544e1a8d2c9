"""Home tiles of the engineering area, wired to the station's engineering backend."""

from __future__ import annotations

from typing import Any

from kiosk.engineering_backend import KioskEngineeringBackend
from kiosk.records_backend import copy_printer
from screens.engineering.backend import EngineeringBackend
from screens.engineering.compare import CompareScreen
from screens.engineering.draft_bom import DraftBomScreen
from screens.engineering.eco import EcoScreen
from screens.engineering.ecos import EcoListScreen
from screens.engineering.items import EngineeringItemsScreen
from screens.engineering.revision import ItemRevisionsScreen
from screens.home import Tile
from screens.records.copy import OpenCopy


def engineering_backend_for(station_backend: Any) -> EngineeringBackend | None:
    """The engineering backend on the same database and settings as the station's backend."""
    factory = getattr(station_backend, "session_factory", None)
    settings = getattr(station_backend, "settings", None)
    if factory is None or settings is None:
        return None
    sessions = getattr(station_backend, "sessions", None)  # one SessionBook per station
    return KioskEngineeringBackend(factory, settings, sessions=sessions)


def eco_list(backend: EngineeringBackend, open_copy: OpenCopy | None = None) -> EcoListScreen:
    def draft(item: str, label: str) -> DraftBomScreen:
        return DraftBomScreen(backend, item, label)

    return EcoListScreen(backend, lambda number: EcoScreen(backend, number, draft, open_copy))


def engineering_items(
    backend: EngineeringBackend, open_copy: OpenCopy | None = None
) -> EngineeringItemsScreen:
    def compare(kind: str, item: str, left: str, right: str) -> CompareScreen:
        return CompareScreen(backend, kind, item, left, right)

    return EngineeringItemsScreen(
        backend,
        lambda item: ItemRevisionsScreen(
            backend, item, compare, lambda i, label: DraftBomScreen(backend, i, label)
        ),
        lambda: eco_list(backend, open_copy),
    )


def engineering_tiles(station_backend: Any) -> list[Tile]:
    backend = engineering_backend_for(station_backend)
    if backend is None:
        return []
    open_copy = copy_printer(station_backend)  # Print record on the ECO screen
    return [
        Tile(
            "engineering",
            "BOMs & routings",
            "Revisions, history, compare",
            lambda: engineering_items(backend, open_copy),
            permission=None,  # reading released master data is open to every signed-in person
        ),
        Tile(
            "ecos",
            "Change orders",
            "Author, review, approve ECOs",
            lambda: eco_list(backend, open_copy),
            permission="eco.review",  # engineers and QA
        ),
    ]
