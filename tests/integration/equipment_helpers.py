"""An equipment room for the equipment tests, built through the services: a QA person who
calibrates, a supervisor who registers and returns units, an operator who cleans and uses,
classes of their own (names unique per run) and helpers to let time pass owner-side."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from domain.services import equipment
from domain.services.eco import Signing
from domain.services.equipment import Calibration, EquipmentClass, Registration
from domain.services.identity import Credentials
from domain.services.materials.db import plant_today
from domain.uow import UnitOfWork
from tests.conftest import TestDatabase, unique
from tests.integration.engineering_helpers import PIN, POLICY, STATION, make_signer
from tests.sessions import session_of


@dataclass(frozen=True)
class Room:
    database: TestDatabase
    factory: sessionmaker[Session]
    qa: str
    supervisor: str
    operator: str
    balance_class: str
    driver_class: str
    mixer_class: str  # needs cleaning, no calibration
    today: dt.date

    def uow(self, who: str, reason: str | None = None) -> UnitOfWork:
        return UnitOfWork(self.factory, session_of(self.factory, who), reason)

    def signing(self, who: str) -> Signing:
        return Signing(Credentials(PIN, username=who), STATION, POLICY)

    def balance(self, serial: str | None = None) -> str:
        asset = unique("BAL-").upper()
        with self.uow(self.supervisor) as uow:
            equipment.register(uow, Registration(
                asset, self.balance_class, "Analytical balance XPR205", "Weigh room 1",
                device_serial=serial or unique("SN").upper(), readability=Decimal("0.0001"),
                capacity=Decimal("220"), weighing_unit="g",
            ))  # fmt: skip
            uow.commit()
        return asset

    def unit(self, class_name: str, description: str = "Unit under test") -> str:
        asset = unique("EQ-").upper()
        with self.uow(self.supervisor) as uow:
            equipment.register(uow, Registration(asset, class_name, description))
            uow.commit()
        return asset

    def calibrate(self, asset: str, days: int = 180, result: str = "pass") -> int:
        due = self.today + dt.timedelta(days=days) if result == "pass" else None
        with self.uow(self.qa) as uow:
            record = equipment.calibrate(
                uow,
                asset,
                Calibration(result, unique("CERT-"), due, "Metrology Lab"),
                self.signing(self.qa),
            )
            uow.commit()
        return record

    def clean(self, asset: str) -> int:
        with self.uow(self.operator) as uow:
            record = equipment.clean(uow, asset, "SOP-CLN-004 rev 2")
            uow.commit()
        return record

    def pass_time(self, asset: str, **columns: dt.date) -> None:
        """Owner-side, the only way a test lets time pass: move a unit's due dates back
        (the guard is bypassed for this one statement, audited with a reason)."""
        assignments = ", ".join(f"{c} = %({c})s" for c in columns)
        with self.database.connect("admin") as conn, conn.transaction():
            conn.execute("ALTER TABLE workcell.equipment DISABLE TRIGGER equipment_equipment_guard")
            conn.execute("SET LOCAL workcell.reason = 'equipment test: time passes'")
            conn.execute("SET LOCAL ROLE workcell_owner")
            conn.execute("SELECT set_config('workcell.system_actor', 'system', true)")
            conn.execute(
                f"UPDATE workcell.equipment SET {assignments}, version = version + 1"
                " WHERE asset_id = %(asset)s",
                {**columns, "asset": asset},
            )
            conn.execute("RESET ROLE")
            conn.execute(
                "ALTER TABLE workcell.equipment ENABLE ALWAYS TRIGGER equipment_equipment_guard"
            )


def build_room(database: TestDatabase, factory: sessionmaker[Session]) -> Room:
    qa = make_signer(database, factory, "qa", "qa")
    supervisor = make_signer(database, factory, "sup", "supervisor")
    operator = make_signer(database, factory, "op", "operator")
    names = {k: unique(k + "-").upper() for k in ("BAL", "TQ", "MIX")}
    with UnitOfWork(factory, session_of(factory, supervisor), "equipment test classes") as uow:
        equipment.add_class(uow, EquipmentClass(names["BAL"], "Balance", 365, None, weighing=True))
        equipment.add_class(uow, EquipmentClass(names["TQ"], "Torque driver", 180))
        equipment.add_class(uow, EquipmentClass(names["MIX"], "Mixing vessel", None, 7))
        today = plant_today(uow)
        uow.commit()
    return Room(database, factory, qa, supervisor, operator, names["BAL"], names["TQ"],
                names["MIX"], today)  # fmt: skip
