"""Home tiles of the materials area (receiving, lots, moves, holds, shipping, trace), wired
to the station's materials backend, and the restorers of their parked drafts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from kiosk.materials_backend import KioskMaterialsBackend
from kiosk.records_backend import record_printer
from screens.home import Tile
from screens.materials.backend import MaterialsBackend
from screens.materials.holds import HoldsScreen
from screens.materials.lot import LotScreen
from screens.materials.moves import MoveScreen
from screens.materials.receiving import ReceivingScreen
from screens.materials.shipping import ShipmentScreen, ShipmentsScreen
from screens.materials.stock import AdjustScreen, ScrapScreen
from screens.materials.trace import TraceScreen


def materials_backend_for(station_backend: Any) -> MaterialsBackend | None:
    """The materials backend on the same database, settings and sessions as the station's."""
    factory = getattr(station_backend, "session_factory", None)
    settings = getattr(station_backend, "settings", None)
    if factory is None or settings is None:
        return None
    sessions = getattr(station_backend, "sessions", None)  # one SessionBook per station
    return KioskMaterialsBackend(factory, settings, sessions=sessions)


class Screens:
    """How the materials screens open one another (the composition, kept out of them)."""

    def __init__(
        self,
        backend: MaterialsBackend,
        open_record: Callable[[str, str], Screen[Any]] | None = None,
    ) -> None:
        self.backend = backend
        self.open_record = open_record

    def lot(self, lot_number: str = "") -> Screen[Any]:
        return LotScreen(
            self.backend, lot_number, open_hold=self.hold, open_move=self.move,
            open_trace=self.trace, open_scrap=self.scrap, open_adjust=self.adjust,
            open_record=self.open_record,
        )  # fmt: skip

    def receiving(self, values: dict[str, Any] | None = None) -> Screen[Any]:
        return ReceivingScreen(self.backend, self.lot, values)

    def hold(self, lot_number: str = "", reason: str = "") -> Screen[Any]:
        return HoldsScreen(self.backend, lot_number, open_lot=self.lot, reason=reason)

    def move(self, lot_number: str = "", **values: str) -> Screen[Any]:
        return MoveScreen(self.backend, lot_number, **values)

    def scrap(self, lot_number: str = "", **values: str) -> Screen[Any]:
        return ScrapScreen(self.backend, lot_number, **values)

    def adjust(self, lot_number: str = "", **values: str) -> Screen[Any]:
        return AdjustScreen(self.backend, lot_number, **values)

    def shipping(self) -> Screen[Any]:
        return ShipmentsScreen(self.backend, self.shipment)

    def shipment(self, number: str) -> Screen[Any]:
        return ShipmentScreen(self.backend, number)

    def trace(self, ident: str = "", direction: str = "backward") -> Screen[Any]:
        return TraceScreen(self.backend, ident, direction, open_lot=self.lot)


def materials_tiles(station_backend: Any) -> list[Tile]:
    backend = materials_backend_for(station_backend)
    if backend is None:
        return []
    s = Screens(backend, record_printer(station_backend))
    return [
        Tile("receiving", "Receiving", "Scan supplier labels", s.receiving,
             permission="lot.receive"),  # operators and supervisors
        Tile("lots", "Lots", "Status, history, release", s.lot,
             permission=None),  # every signed-in person may look a lot up
        Tile("moves", "Moves", "Between bins", s.move, permission="inventory.move"),
        Tile("holds", "Holds", "Open holds, place, release", s.hold,
             permission="hold.place"),  # QA and supervisors
        Tile("shipping", "Shipping", "Pick by scan, confirm", s.shipping,
             permission="shipment.create"),
        Tile("trace", "Trace", "Backward / forward", s.trace, permission=None),
        Tile("scrap", "Scrap", "With a reason", s.scrap, permission="inventory.scrap"),
        Tile("adjust", "Adjust count", "Signed, with a reason", s.adjust,
             permission="inventory.adjust"),  # supervisors and QA
    ]  # fmt: skip


def materials_restorers(station_backend: Any) -> dict[str, Any]:
    backend = materials_backend_for(station_backend)
    if backend is None:
        return {}
    s = Screens(backend)
    return {
        ReceivingScreen.DRAFT_SCREEN: lambda p: s.receiving(p),
        HoldsScreen.DRAFT_SCREEN: lambda p: s.hold(str(p.get("lot", "")), str(p.get("reason", ""))),
        MoveScreen.DRAFT_SCREEN: lambda p: s.move(
            str(p.get("lot", "")), **{k: str(v) for k, v in p.items() if k != "lot"}
        ),
        ScrapScreen.DRAFT_SCREEN: lambda p: s.scrap(
            str(p.get("lot", "")), **{k: str(v) for k, v in p.items() if k != "lot"}
        ),
        AdjustScreen.DRAFT_SCREEN: lambda p: s.adjust(
            str(p.get("lot", "")), **{k: str(v) for k, v in p.items() if k != "lot"}
        ),
    }
