"""Demo equipment: the weigh room's two balances (an analytical and a precision balance,
both calibrated), a torque driver on line 1 (calibrated) and one back from repair that has
not been calibrated yet (refused at a step: out of calibration), and a curing oven that is
calibrated and cleaned.

Everyone acts as themselves at the station: Sam (supervisor) registers, Quinn (QA) records
the calibrations, signed "calibrated", Olivia (operator) records the oven's cleaning. The
balances' serial numbers are what the demo balance simulator reports (BALANCES), so a demo
station can weigh on hardware.balance_sim.BalanceSimulator(serial=...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal as D

from domain.services import equipment
from domain.services.eco import Signing
from domain.services.equipment import Calibration, EquipmentClass, Registration
from domain.services.materials.db import plant_today, scalar
from domain.uow import UnitOfWork
from kiosk.bootstrap import Services
from kiosk.demo.people import BY_NAME, demo_policy, signed_in

CLASSES = [
    EquipmentClass("BALANCE", "Balance or scale (weighing)", 365, None, weighing=True),
    EquipmentClass("TORQUE-DRIVER", "Torque screwdriver", 180),
    EquipmentClass("OVEN", "Curing / drying oven", 365, 30),
]
BALANCES = {"BAL-001": "B149512345", "BAL-002": "B250067890"}
UNITS = [
    Registration("BAL-001", "BALANCE", "Analytical balance XPR205 (0.1 mg / 220 g)", "Weigh room 1",
                 BALANCES["BAL-001"], D("0.0001"), D("220"), "g"),
    Registration("BAL-002", "BALANCE", "Precision balance XS6002S (10 mg / 6.2 kg)", "Weigh room 1",
                 BALANCES["BAL-002"], D("0.01"), D("6200"), "g"),
    Registration("TQD-001", "TORQUE-DRIVER", "Torque driver 0.4-2.0 Nm", "Assembly line 1"),
    Registration("TQD-002", "TORQUE-DRIVER", "Torque driver 0.4-2.0 Nm (back from repair)",
                 "Metrology shelf"),
    Registration("OVN-001", "OVEN", "Curing oven 60 L", "Assembly line 1"),
]  # fmt: skip
PROVIDER = "Metrology Services Ltd (ISO 17025)"
CALIBRATED = {"BAL-001": 300, "BAL-002": 300, "TQD-001": 150, "OVN-001": 330}  # days valid


@contextmanager
def _uow(services: Services, who: str, reason: str = "demo equipment") -> Iterator[UnitOfWork]:
    with signed_in(services, who) as session, services.uow(session, reason) as uow:
        yield uow
        uow.commit()


def seed(services: Services) -> Iterator[str]:
    with services.uow(None) as uow:
        if scalar(uow, "SELECT count(*) FROM workcell.equipment_class WHERE name = 'BALANCE'"):
            return
    with _uow(services, "sam", "demo equipment register") as uow:
        for cls in CLASSES:
            equipment.add_class(uow, cls)
        for unit in UNITS:
            equipment.register(uow, unit)
        today = plant_today(uow)
    yield f"equipment: {len(CLASSES)} classes, {', '.join(u.asset_id for u in UNITS)}"
    signing = Signing(BY_NAME["quinn"].creds(), services.settings.name, demo_policy(services))
    for asset, days in CALIBRATED.items():
        with _uow(services, "quinn", "demo calibration") as uow:
            due = today + dt.timedelta(days=days)
            record = Calibration("pass", f"CAL-{today:%Y}-{asset}", due, PROVIDER)
            equipment.calibrate(uow, asset, record, signing)
    with _uow(services, "olivia", "demo cleaning") as uow:
        equipment.clean(uow, "OVN-001", "SOP-CLN-012 oven cleaning rev 3")
    yield (f"calibrated {', '.join(CALIBRATED)} (signed by Quinn); OVN-001 cleaned; "
           "TQD-002 not calibrated (refused at a step)")  # fmt: skip
