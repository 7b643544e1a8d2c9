"""Open inspections at this station: receiving lots waiting to be inspected, and those
completed and waiting for QA's disposition. Tap one to open it."""

from __future__ import annotations

from rich.text import Text

from screens.quality.backend import InspectionRow
from screens.quality.common import word
from screens.quality.lists import RecordList
from screens.station import fmt_time, station_of


class InspectionsScreen(RecordList[InspectionRow]):
    TITLE_TEXT = "Inspections"
    PREFIX = "insp"
    HEADERS = ("Inspection", "Lot / item", "Type", "Status", "Results", "Opened")
    FLEX = 1

    def fetch(self, who: str) -> list[InspectionRow]:
        return self.backend.open_inspections(who)

    def cells(self, r: InspectionRow) -> tuple[object, ...]:
        return (
            Text(r.number, style="bold"),
            f"{r.lot_number} {r.item_number}",
            r.inspection_type.replace("_", " "),
            word(r.status) + (f" · {word(r.decision)}" if r.decision else ""),
            f"{r.entered}/{r.needed}",
            fmt_time(r.created_at, station_of(self).tz),
        )

    def count_text(self, rows: list[InspectionRow]) -> str:
        return (
            f"{len(rows)} inspection(s) open or awaiting QA — tap one" if rows
            else "No open inspections."
        )  # fmt: skip
