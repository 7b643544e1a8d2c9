"""The demo plant's work orders (kiosk/demo/work_orders.py) are seeded through the real
gates: a routing released by a signed ECO whose bond step names the bonding qualification,
the operators qualified (one expiring soon), one released work order locked to it, whose
adhesive is weighed on a balance."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.db import make_engine, make_session_factory
from domain.services import effectivity, routing
from domain.services.work_orders import execution, planning, training
from kiosk.bootstrap import Services
from kiosk.database import DatabaseUrls
from kiosk.demo import engineering, equipment, items, materials, people, work_orders
from kiosk.settings import StationSettings
from tests.conftest import create_test_database, drop_test_database

pytestmark = pytest.mark.pg18


def test_the_demo_work_order_is_released_on_a_qualified_routing() -> None:
    db = create_test_database("wcdemowo")
    engine = make_engine(db.station)
    try:
        settings = replace(StationSettings(), name="demo", allow_username_pin=True)
        svc = Services(
            settings, DatabaseUrls(db.station, db.admin), engine, make_session_factory(engine)
        )
        for seeder in (people.seed, equipment.seed, items.seed, engineering.seed, materials.seed):
            list(seeder(svc))
        seeded = list(work_orders.seed(svc))
        assert len(seeded) == 4 and list(work_orders.seed(svc)) == []  # idempotent
        with svc.uow(None) as uow:  # the rework routing beside the standard one (0036)
            rework = routing.routing_as_of(uow, "SA-2000", effectivity.server_now(uow), "rework")
            standard = routing.routing_as_of(uow, "SA-2000", effectivity.server_now(uow))
        assert (rework.summary.purpose, standard.summary.purpose) == ("rework", "standard")
        assert rework.operations[0].steps[0].data[0].component == "SA-2000"
        with svc.uow(None) as uow:
            (wo,) = planning.list_work_orders(uow, "released")
            assert (
                wo.item_number == "SA-2000" and wo.lock_hash and planning.lock_valid(uow, wo.number)
            )
            steps = execution.steps_of(uow, wo.number)
            assert [s.qualifications for s in steps] == [(), (), ("WI-BOND-01",), ()]
            assert [s.equipment_class for s in steps] == [None, "BALANCE", None, None]
            assert steps[3].critical and steps[3].output
            gap = steps[2].fields[0]
            assert (gap.kind, gap.limits) == ("numeric", "0.1–0.3 mm")
            soon = training.expiring(uow)
            assert [(x.username, x.days_left) for x in soon] == [("oscar", 21)]
    finally:
        engine.dispose()
        drop_test_database(db)
