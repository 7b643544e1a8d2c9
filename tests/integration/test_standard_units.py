"""Standard conversions at the station (issue 14 notes): a resin lot counted in kg, the
locked BOM asking for grams, and NO conversion row for the resin — the grams (or
milligrams) entered convert by the standard factor, exactly, through wo_consume; what
needs rounding or crosses dimensions is refused with nothing consumed or recorded.

The module has its own line (its BOM revision in grams is released here)."""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import UnitConversionRefused
from domain.services import bom
from domain.services.materials import units
from domain.services.materials.db import run
from domain.services.work_orders import execution
from tests.conftest import TestDatabase
from tests.integration.engineering_helpers import ENGINEER, release_through_eco
from tests.integration.work_order_helpers import Line, build_line, station_backend

D = Decimal


@pytest.fixture(scope="module")
def line(database: TestDatabase, session_factory: sessionmaker[Session]) -> Line:
    line = build_line(database, session_factory)
    with line.uow(ENGINEER, "BOM in grams") as uow:
        view = bom.create_bom_revision(uow, line.item)
        bom.replace_bom_lines(uow, line.item, view.summary.revision, [
            bom.BomLineInput(line.cap, D(1)), bom.BomLineInput(line.resin, D(50), "g"),
        ])  # fmt: skip
        release_through_eco(uow, "bom", line.item, view.summary.revision)
        uow.commit()
    with line.uow(line.plant.qa) as uow:
        assert units.conversions(uow, line.resin) == []  # the point: no row of its own
    return line


def _ledger(line: Line) -> tuple[object, ...]:
    with line.uow(line.plant.qa) as uow:
        return tuple(
            tuple(run(uow, f"SELECT * FROM workcell.{t} ORDER BY 1"))
            for t in ("on_hand", "inventory_txn", "genealogy_edge", "step_entry", "lot")
        )


def _on_hand(line: Line, lot: str) -> Decimal:
    with line.uow(line.plant.qa) as uow:
        return D(
            run(uow, "SELECT coalesce(sum(h.quantity), 0) FROM workcell.on_hand h"
                     " JOIN workcell.lot l ON l.id = h.lot_id WHERE l.lot_number = :n", {"n": lot})[0][0]
        )  # fmt: skip


@pytest.mark.parametrize(("entered", "unit", "kg"), [
    (D(250), "g", D("0.25")), (D(1500), "mg", D("0.0015")), (D("0.125"), "kg", D("0.125")),
])  # fmt: skip
def test_grams_and_milligrams_consume_as_kilograms_without_a_conversion_row(
    line: Line, entered: Decimal, unit: str, kg: Decimal
) -> None:
    """The standard factor: ledger, genealogy edge and step entry in kg, exactly; the
    ledger row and the entry keep what was entered."""
    wo = line.new_work_order()
    resin = line.plant.stocked("resin", "5")
    step = line.step(wo, 1)
    with line.uow(line.op1) as uow:
        execution.consume(uow, step.id, resin, line.plant.bins["LINE"], entered, unit=unit)
        uow.commit()
    assert _on_hand(line, resin) == D(5) - kg
    with line.uow(line.plant.qa) as uow:
        rows = run(uow, "SELECT t.quantity, t.unit, t.entered_quantity, t.entered_unit, g.quantity, g.unit,"
                        "       e.quantity, e.unit, e.entered_quantity, e.entered_unit"
                        "  FROM workcell.step_entry e JOIN workcell.inventory_txn t ON t.id = e.inventory_txn_id"
                        "  JOIN workcell.genealogy_edge g ON g.consume_txn_id = t.id"
                        " WHERE e.step_instance_id = :s", {"s": step.id})  # fmt: skip
    assert [tuple(r) for r in rows] == [
        (kg, "kg", entered, unit, kg, "kg", kg, "kg", entered, unit)
    ]


def test_the_station_scan_consumes_the_boms_grams_of_a_kilogram_lot(
    line: Line, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """The kiosk's scan: 10 sub-assemblies × 50 g = 500 g, i.e. 0.5 kg of the lot."""
    wo = line.new_work_order("10")
    resin = line.plant.stocked("resin", "5")
    backend = station_backend(session_factory, line.op1, tmp_path)
    view = backend.scan_component(line.op1, line.step(wo, 1).id, resin)
    assert _on_hand(line, resin) == D("4.5")
    entry = view.entry("RESIN_LOT")
    assert entry is not None and entry.shown == f"{resin} × 0.5 kg (entered 500 g)"


REFUSALS = {
    # 0.5 mg is 0.0000005 kg: the ledger keeps 6 decimals, rounding would lose material
    "past the ledger's decimals": (D("0.5"), "mg", "rounding would create or lose material"),
    # a volume is not a mass: only an item's own conversion (its density) says how
    "another dimension": (D(5), "mL", "no conversion from mL"),
    "pieces of a mass": (D(2), "ea", "no conversion from ea"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_what_the_standard_factor_cannot_convert_exactly_is_refused(line: Line, case: str) -> None:
    """Refused with the reason; stock, ledger,
    genealogy and the step as they were."""
    quantity, unit, reason = REFUSALS[case]
    wo = line.new_work_order()
    resin = line.plant.stocked("resin", "5")
    step = line.step(wo, 1)
    before = _ledger(line)
    with pytest.raises(UnitConversionRefused, match=reason), line.uow(line.op1) as uow:
        execution.consume(uow, step.id, resin, line.plant.bins["LINE"], quantity, unit=unit)
    assert _ledger(line) == before
