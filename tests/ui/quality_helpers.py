"""Pilot helpers for the quality screens: a plant with a released receiving template of
two samples (a measured diameter and a thread gauge), inspections filled through the
services where a test starts later in the flow, and the screens opened by taps."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from textual.pilot import Pilot

from domain.services.eco import Signing
from domain.services.materials import lots, receiving
from domain.services.quality import inspections, templates
from domain.services.quality.templates import Characteristic, NewTemplate
from tests.conftest import unique
from tests.identity_helpers import POLICY, STATION, Person
from tests.integration.engineering_helpers import make_signer
from tests.integration.materials_helpers import Plant, build_plant
from tests.ui.conftest import until

D = Decimal
CHARS = (
    Characteristic("Diameter", "variable", "major", "mm", D("10.00"), D("9.90"), D("10.10")),
    Characteristic("Thread gauge", "attribute", "major", instruction="Go/no-go gauge G-12"),
)


@dataclass(frozen=True)
class QPlant:
    plant: Plant
    qe: str

    def signing(self, who: Person, comment: str | None = None) -> Signing:
        return Signing(who.by_name(), STATION, POLICY, comment)

    def receive(self, quantity: str = "50", by: Person | None = None) -> tuple[str, str]:
        """A lot of caps received (by the clerk, or ``by``): its inspection opened by the
        receipt."""
        if by is None:
            lot = self.plant.receive("cap", quantity)
        else:
            p = self.plant
            with p.uow(by.username) as uow:
                lot = receiving.receive(uow, receiving.Receipt(
                    p.supplier, p.bins["RCV"], item_number=p.items["cap"],
                    supplier_lot=unique("S-"), quantity=D(quantity),
                )).lot_number  # fmt: skip
                uow.commit()
        with self.plant.uow(self.plant.qa) as uow:
            (number,) = inspections.inspections_of_lot(uow, lot)
        return lot, number

    def fill(self, number: str, by: Person, *, fail: bool = False) -> None:
        with self.plant.uow(by.username) as uow:
            for sample in (1, 2):
                inspections.record_result(uow, number, sample, 1, value=D("10.01"))
                inspections.record_result(uow, number, sample, 2, passed=not (fail and sample == 2))
            uow.commit()

    def complete(self, number: str, by: Person, *, fail: bool = False) -> None:
        self.fill(number, by, fail=fail)
        with self.plant.uow(by.username) as uow:
            inspections.complete_inspection(uow, number, self.signing(by))
            uow.commit()

    def lot(self, lot_number: str) -> lots.LotView:
        with self.plant.uow(self.plant.qa) as uow:
            return lots.get_lot(uow, lot_number)

    def view(self, number: str) -> inspections.InspectionView:
        with self.plant.uow(self.plant.qa) as uow:
            return inspections.get_inspection(uow, number)


def build_quality(database: Any, session_factory: Any) -> QPlant:
    plant = build_plant(database, session_factory)
    qe = make_signer(database, session_factory, "qe", "engineer")
    with plant.uow(qe) as uow:
        t = templates.create_template(uow, NewTemplate(
            plant.items["cap"], "receiving", "Cap receiving (UI)", "fixed", CHARS, fixed_count=2,
            accept={"major": 0},
        ))  # fmt: skip
        templates.submit_template(uow, t.id, plant.signing(qe))
        uow.commit()
    with plant.uow(plant.qa) as uow:
        templates.release_template(uow, t.id, plant.signing(plant.qa))
        uow.commit()
    return QPlant(plant, qe)


async def open_tile(pilot: Pilot[Any], tile: str, screen: type) -> Any:
    app = pilot.app
    await press(pilot, f"#tile-{tile}")  # past the fold at 80x24
    await until(pilot, lambda: isinstance(app.screen, screen), tile)
    return app.screen


def raise_ncr(q: QPlant, by: Person, lot: str, severity: int = 4, occurrence: int = 2) -> str:
    from domain.services.quality import ncr

    with q.plant.uow(by.username) as uow:
        made = ncr.raise_ncr(uow, ncr.NewNcr("Burrs", "Burrs on the thread", severity,
                                             occurrence, (lot,)))  # fmt: skip
        uow.commit()
    return made.number


def raise_capa(q: QPlant, by: Person, ncr_number: str, owner: str, days: int) -> str:
    """A CAPA with every discipline owned by ``owner``, due ``days`` from today (negative:
    already overdue)."""
    import datetime as dt

    from domain.services.materials.db import plant_today
    from domain.services.quality import capa

    with q.plant.uow(by.username) as uow:
        due = plant_today(uow) + dt.timedelta(days=days)
        made = capa.raise_capa(uow, ncr_number, "Thread burrs", [owner] * 9, [due] * 9)
        uow.commit()
    return made.number


async def press(pilot: Pilot[Any], selector: str) -> None:
    """Scroll ``selector`` into view and tap it once it is there and laid out (a row just
    rebuilt after a result, a button moved by a message line above it)."""
    from textual.css.query import NoMatches
    from textual.pilot import OutOfBounds

    app = pilot.app
    for _ in range(150):
        try:
            widget = app.screen.query_one(selector)
            if widget.is_mounted and widget.region and not widget.has_class("-active"):
                widget.scroll_visible(animate=False)
                await pilot.wait_for_scheduled_animations()
                await pilot.pause()
                if await pilot.click(selector):
                    return
        except (NoMatches, OutOfBounds):
            pass
        await pilot.pause(0.02)
    raise AssertionError(f"could not tap {selector}")
