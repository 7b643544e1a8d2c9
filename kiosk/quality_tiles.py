"""Home tiles of the quality area (inspections at the dock, NCRs, CAPAs) on the station's
database and settings, with the overdue-CAPA panel for supervisors and QA."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen

from kiosk.quality_backend import KioskQualityBackend
from kiosk.records_backend import copy_printer
from screens.home import Tile
from screens.quality.backend import QualityBackend
from screens.quality.capa import CapaScreen, CapasScreen, NewCapaScreen
from screens.quality.inspection import InspectionScreen
from screens.quality.inspections import InspectionsScreen
from screens.quality.matrix import RiskMatrixScreen
from screens.quality.ncr import NcrScreen, NcrsScreen
from screens.quality.overdue import OverdueCapaPanel
from screens.quality.switching import SwitchingListScreen, SwitchingScreen
from screens.records.copy import OpenCopy


def quality_backend_for(station_backend: Any) -> QualityBackend | None:
    factory = getattr(station_backend, "session_factory", None)
    settings = getattr(station_backend, "settings", None)
    if factory is None or settings is None:
        return None
    sessions = getattr(station_backend, "sessions", None)  # one SessionBook per station
    return KioskQualityBackend(factory, settings, sessions=sessions)


class QualityScreens:
    """How the quality screens open one another (the composition, kept out of them)."""

    def __init__(self, backend: QualityBackend, open_copy: OpenCopy | None = None) -> None:
        self.backend = backend
        self.open_copy = open_copy  # Print record on the NCR and CAPA screens

    def inspections(self) -> Screen[Any]:
        return InspectionsScreen(self.backend, self.inspection)

    def inspection(self, number: str) -> Screen[Any]:
        return InspectionScreen(self.backend, number)

    def ncrs(self) -> Screen[Any]:
        return NcrsScreen(self.backend, self.ncr)

    def ncr(self, number: str) -> Screen[Any]:
        return NcrScreen(
            self.backend, number, open_capa=self.capa, new_capa=self.new_capa,
            open_copy=self.open_copy,
        )  # fmt: skip

    def new_capa(self, ncr_number: str) -> Screen[Any]:
        return NewCapaScreen(self.backend, ncr_number, self.capa)

    def capas(self) -> Screen[Any]:
        return CapasScreen(self.backend, self.capa)

    def capa(self, number: str) -> Screen[Any]:
        return CapaScreen(self.backend, number, self.open_copy)

    def switching_list(self) -> Screen[Any]:
        return SwitchingListScreen(self.backend, self.switching)

    def switching(self, key: str) -> Screen[Any]:
        return SwitchingScreen(self.backend, key)

    def risk_matrix(self) -> Screen[Any]:
        return RiskMatrixScreen(self.backend)


def quality_tiles(station_backend: Any) -> list[Tile]:
    backend = quality_backend_for(station_backend)
    if backend is None:
        return []
    s = QualityScreens(backend, copy_printer(station_backend))
    return [
        Tile("inspections", "Inspections", "Sample, enter results, disposition", s.inspections,
             permission="quality.inspect"),  # operators at the dock, supervisors, QA
        Tile("ncrs", "NCRs", "Raise, disposition, approve", s.ncrs,
             permission="quality.ncr.raise",  # supervisors and QA
             panel=lambda: OverdueCapaPanel(backend)),
        # engineers approve NCR dispositions for engineering (they raise none)
        Tile("ncr-approvals", "NCR approvals", "Approve for engineering", s.ncrs,
             permission="quality.ncr.engineering"),
        Tile("capas", "CAPAs", "8-D, signed discipline by discipline", s.capas,
             permission="quality.capa"),
        # who inspects sees why a lot is sampled tightened or reduced
        Tile("switching", "Switching", "Normal, tightened, reduced: every move", s.switching_list,
             permission="quality.inspect"),
        # who raises NCRs sees how they are classed; QA proposes and approves revisions
        Tile("risk-matrix", "Risk matrix", "Severity × occurrence → class", s.risk_matrix,
             permission="quality.ncr.raise"),
    ]  # fmt: skip
