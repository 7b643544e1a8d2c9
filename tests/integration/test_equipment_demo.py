"""The demo plant's equipment (kiosk/demo/equipment.py) is seeded through the real gates:
two calibrated balances, a calibrated torque driver, one refused as out of calibration, a
calibrated and cleaned oven; seeding twice adds nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.db import make_engine, make_session_factory
from domain.errors import EquipmentOutOfCalibration
from domain.services import equipment
from kiosk.bootstrap import Services
from kiosk.database import DatabaseUrls
from kiosk.demo import equipment as demo_equipment
from kiosk.demo import people
from kiosk.settings import StationSettings
from tests.conftest import create_test_database, drop_test_database

pytestmark = pytest.mark.pg18


def test_the_demo_equipment_is_usable_except_the_uncalibrated_driver() -> None:
    db = create_test_database("wcdemoeq")
    engine = make_engine(db.station)
    try:
        settings = replace(StationSettings(), name="demo", allow_username_pin=True)
        svc = Services(
            settings, DatabaseUrls(db.station, db.admin), engine, make_session_factory(engine)
        )
        list(people.seed(svc))
        seeded = list(demo_equipment.seed(svc))
        assert len(seeded) == 2 and list(demo_equipment.seed(svc)) == []  # idempotent
        with svc.uow(None) as uow:
            usable = {v.asset_id: v.usable for v in equipment.list_equipment(uow)}
            assert equipment.check_usable(uow, "BAL-001", "BALANCE") > 0
            with pytest.raises(EquipmentOutOfCalibration):
                equipment.check_usable(uow, "TQD-002", "TORQUE-DRIVER")
        assert usable == {"BAL-001": True, "BAL-002": True, "OVN-001": True, "TQD-001": True,
                          "TQD-002": False}  # fmt: skip
    finally:
        engine.dispose()
        drop_test_database(db)
