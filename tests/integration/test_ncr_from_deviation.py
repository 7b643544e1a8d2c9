"""An NCR raised from a work order's deviation (issue 16 item 4, migration 0036), through the
services on the real database: it names the deviation (in its signed content too), holds
the work order's output lot when it names no lots, and one deviation has one NCR."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import RuleViolation
from domain.services.materials.db import scalar
from domain.services.quality import ncr
from tests.conftest import TestDatabase
from tests.integration.step_inspection_helpers import InspectedLine, build_inspected_line

pytestmark = [pytest.mark.pg18, pytest.mark.requirement("11.10(f)")]


@pytest.fixture(scope="module")
def line(database: TestDatabase, session_factory: sessionmaker[Session]) -> InspectedLine:
    return build_inspected_line(database, session_factory)


def test_an_ncr_from_a_deviation(line: InspectedLine) -> None:
    p = line.plant
    dev, output = line.failed_leak_test(line.new_work_order())
    found = ncr.NewNcr("Leak at the in-process test", "1 unit leaked", 3, 2)
    with line.uow(p.qa) as uow:
        raised = ncr.raise_from_deviation(uow, dev, found)
        uow.commit()
    assert (raised.origin, raised.deviation, raised.inspection) == ("deviation", dev, None)
    assert [(x.lot_number, x.via, x.hold_status) for x in raised.lots] == [
        (output, "direct", "open")
    ]
    with line.uow(p.qa) as uow:
        content = scalar(uow, "SELECT workcell.ncr_content(:i)", {"i": raised.id})
    assert content["deviation"] == dev and content["origin"] == "deviation"
    twice = f"Deviation {dev} already has NCR {raised.number}"
    with line.uow(p.qa) as uow, pytest.raises(RuleViolation, match=twice):
        ncr.raise_from_deviation(uow, dev, found)


def test_a_manual_ncr_keeps_its_content(line: InspectedLine) -> None:
    """NCRs not from a deviation have no "deviation" key: their signed content, and so the
    approvals already signed on them, are what they were before migration 0036."""
    lot = line.plant.stocked("resin", "5")
    with line.uow(line.plant.qa) as uow:
        raised = ncr.raise_ncr(uow, ncr.NewNcr("Moisture", "KF over spec", 2, 1, (lot,)))
        content = scalar(uow, "SELECT workcell.ncr_content(:i)", {"i": raised.id})
    assert raised.deviation is None and "deviation" not in content
