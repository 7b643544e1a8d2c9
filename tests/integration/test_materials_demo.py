"""The demo plant's materials (kiosk/demo/materials.py) are seeded through the real gates:
a lot in quarantine, released lots, a held lot in the cage, a production record whose
serial traces back to its tubing and pouch lots, and a shipment the recall list finds."""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.db import make_engine, make_session_factory
from domain.services.materials import inventory, trace
from kiosk.bootstrap import Services
from kiosk.database import DatabaseUrls
from kiosk.demo import items, materials, people
from kiosk.settings import StationSettings
from tests.conftest import create_test_database, drop_test_database

pytestmark = pytest.mark.pg18


def test_the_demo_plant_traces_both_ways() -> None:
    db = create_test_database("wcdemomat")
    engine = make_engine(db.station)
    try:
        settings = replace(StationSettings(), name="demo", allow_username_pin=True)
        svc = Services(
            settings, DatabaseUrls(db.station, db.admin), engine, make_session_factory(engine)
        )
        for seeder in (people.seed, items.seed):
            list(seeder(svc))
        seeded = list(materials.seed(svc))
        assert len(seeded) == 5 and list(materials.seed(svc)) == []  # idempotent
        with svc.uow(None) as uow:
            back = trace.trace(uow, "IS240001", "backward")
            inputs = {n.item_number for n in back.nodes.values()} - {"FG-1000"}
            lot = back.root.lot_number
            recall = trace.recall(uow, next(
                n.lot_number for n in back.nodes.values() if n.item_number == "PK-5001"))  # fmt: skip
            assert inventory.verify_inventory(uow) == []
        assert inputs == {"RM-4002", "PK-5001"}
        assert [(r.customer_code, r.lot_number, r.serial) for r in recall] == [
            ("STMARY", lot, "IS240001")
        ]
    finally:
        engine.dispose()
        drop_test_database(db)
