"""Component scans in another unit than the lot's (issue 14): a resin lot counted in kg,
the locked BOM asking for grams. The quantity entered is converted through the item's
conversion exactly (ledger, genealogy and step entry in kg, the entry and the ledger row
keeping the grams entered), and refused with its reason — nothing consumed, nothing
linked, nothing recorded — when there is no conversion or it would need rounding.

The module has its own line (its BOM revision in grams is released here)."""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import ComponentRefused, UnitConversionRefused
from domain.services import bom
from domain.services.materials import units
from domain.services.materials.db import run
from domain.services.work_orders import execution
from tests.conftest import TestDatabase
from tests.integration.engineering_helpers import ENGINEER, release_through_eco
from tests.integration.work_order_helpers import Line, build_line, station_backend

D = Decimal
GRAMS_PER_UNIT = D(50)  # the BOM: 50 g of resin per sub-assembly


@pytest.fixture(scope="module")
def line(database: TestDatabase, session_factory: sessionmaker[Session]) -> Line:
    line = build_line(database, session_factory)
    with line.uow(ENGINEER, "BOM in grams") as uow:
        view = bom.create_bom_revision(uow, line.item)
        bom.replace_bom_lines(uow, line.item, view.summary.revision, [
            bom.BomLineInput(line.cap, D(1)), bom.BomLineInput(line.resin, GRAMS_PER_UNIT, "g"),
        ])  # fmt: skip
        release_through_eco(uow, "bom", line.item, view.summary.revision)
        uow.commit()
    with line.uow(line.plant.qa, "resin weighed in grams") as uow:
        units.add_conversion(uow, line.resin, "g", D("0.001"), decimals=1)
        uow.commit()
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


def test_grams_entered_are_consumed_as_kilograms_exactly(line: Line) -> None:
    """250 g of a kg lot: 0.25 kg leaves the bin, the genealogy edge and the step entry
    say 0.25 kg, the ledger row and the entry keep 250 g as entered."""
    wo = line.new_work_order()
    resin = line.plant.stocked("resin", "5")
    step = line.step(wo, 1)
    with line.uow(line.op1) as uow:
        after = execution.consume(uow, step.id, resin, line.plant.bins["LINE"], D(250), unit="g")
        uow.commit()
    assert _on_hand(line, resin) == D("4.75")
    with line.uow(line.plant.qa) as uow:
        txn = run(uow, "SELECT t.quantity, t.unit, t.entered_quantity, t.entered_unit, g.quantity, g.unit,"
                       "       e.quantity, e.unit, e.entered_quantity, e.entered_unit"
                       "  FROM workcell.step_entry e JOIN workcell.inventory_txn t ON t.id = e.inventory_txn_id"
                       "  JOIN workcell.genealogy_edge g ON g.consume_txn_id = t.id"
                       " WHERE e.step_instance_id = :s", {"s": step.id})  # fmt: skip
    assert [tuple(r) for r in txn] == [
        (D("0.25"), "kg", D(250), "g", D("0.25"), "kg", D("0.25"), "kg", D(250), "g")
    ]
    field = next(f for f in after.fields if f.code == "RESIN_LOT")
    entry = field.history[-1]
    assert (entry.quantity, entry.unit, entry.entered_quantity, entry.entered_unit) == (
        D("0.25"), "kg", D(250), "g",
    )  # fmt: skip
    assert entry.value == f"{resin} × 0.25 kg (entered 250 g)"


def test_the_bom_requirement_is_in_the_boms_unit(line: Line) -> None:
    """10 sub-assemblies at 50 g each: 500 g (the lot's kg is the ledger's business)."""
    wo = line.new_work_order("10")
    resin = line.plant.stocked("resin", "5")
    with line.uow(line.op1) as uow:
        assert execution.bom_requirement(uow, line.step(wo, 1).id, resin) == (D(500), "g")


def test_the_station_scan_consumes_what_the_bom_needs_in_grams(
    line: Line, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """The kiosk's scan of our lot label: the BOM's 500 g for 10, i.e. 0.5 kg of the lot."""
    wo = line.new_work_order("10")
    resin = line.plant.stocked("resin", "5")
    backend = station_backend(session_factory, line.op1, tmp_path)
    view = backend.scan_component(line.op1, line.step(wo, 1).id, resin)
    assert _on_hand(line, resin) == D("4.5")
    entry = view.entry("RESIN_LOT")
    assert entry is not None and entry.shown == f"{resin} × 0.5 kg (entered 500 g)"


REFUSALS = {
    # no conversion from mL for the resin: named, with the units it has
    "no conversion": (D(5), "mL", UnitConversionRefused, "no conversion from mL"),
    # grams are counted with 1 decimal here: 0.05 g would be rounded
    "too many decimals": (D("0.05"), "g", UnitConversionRefused, "at most 1 decimals"),
    "nothing": (D(0), "g", Exception, "more than 0"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_refused_conversion_consumes_and_records_nothing(line: Line, case: str) -> None:
    """Refused with the reason; stock, ledger, genealogy and the step as they were."""
    quantity, unit, error, reason = REFUSALS[case]
    wo = line.new_work_order()
    resin = line.plant.stocked("resin", "5")
    step = line.step(wo, 1)
    before = _ledger(line)
    with pytest.raises(error, match=reason), line.uow(line.op1) as uow:
        execution.consume(uow, step.id, resin, line.plant.bins["LINE"], quantity, unit=unit)
    assert _ledger(line) == before


def test_a_conversion_that_would_need_rounding_is_refused(line: Line) -> None:
    """A unit whose factor takes a kg quantity past the ledger's 6 decimals: refused, as
    rounding would create or lose material; nothing consumed."""
    with line.uow(line.plant.qa, "resin in micrograms") as uow:
        units.add_conversion(uow, line.resin, "ug", D("0.000000001"), decimals=0)
        uow.commit()
    wo = line.new_work_order()
    resin = line.plant.stocked("resin", "5")
    before = _ledger(line)
    with pytest.raises(UnitConversionRefused, match="rounding"), line.uow(line.op1) as uow:
        execution.consume(
            uow, line.step(wo, 1).id, resin, line.plant.bins["LINE"], D(1500), unit="ug"
        )
    assert _ledger(line) == before


def test_a_component_not_on_the_bom_is_refused_before_any_unit(line: Line) -> None:
    """The BOM check comes first, whatever the unit: the reason names the locked BOM."""
    wo = line.new_work_order()
    other = line.plant.stocked("sub", "5")
    before = _ledger(line)
    with pytest.raises(ComponentRefused, match="not on the BOM"), line.uow(line.op1) as uow:
        execution.consume(uow, line.step(wo, 1).id, other, line.plant.bins["LINE"], D(1), unit="g")
    assert _ledger(line) == before
