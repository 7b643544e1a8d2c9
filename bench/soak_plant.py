"""The soak's plant, built through the services: the work order tests' line (a sub-assembly
with a released BOM — caps, resin — and routing: a component scan step, a measured step
needing a qualification and a supervisor's verification, a critical output step with a QA
review; tests/integration/work_order_helpers.py), a receiving inspection template for the
caps, one shared resin lot on the line that every station consumes from (the hot row), and
per simulated station its own registered station login and its own crew: an operator (who
receives, inspects, runs the steps and picks), a supervisor (verifies, confirms shipments),
a QA person (dispositions the receipt, reviews the critical step), a second QA person
(reviews the work order, releases its output) and a planner — each with a badge and a PIN
of their own, qualified where the routing demands it.

The station login roles (station_soak_01, ...) are cluster-wide, reused by every run and
registered again in each scratch database; they are not dropped afterwards: a role dropped
while another database's migration walks the station roles makes that migration fail
(``role ... does not exist``, seen here from another suite's clean-up).
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from domain.services.quality import templates
from domain.services.quality.templates import Characteristic, NewTemplate
from domain.services.work_orders import training
from kiosk import dbadmin
from tests.conftest import TestDatabase
from tests.identity_helpers import Person, admin_for, enrol
from tests.integration.engineering_helpers import make_signer, signing
from tests.integration.work_order_helpers import Line, build_line

D = Decimal
RESIN_STOCK = "100000"  # kg: more than any run consumes at 0.5 kg a work order
CAPS_PER_RECEIPT = D(10)  # one receipt per work order of 10
VISUAL = Characteristic("Visual", "attribute", "major")


@dataclass(frozen=True)
class Crew:
    """One simulated station: its login and the people who work at it."""

    station: str  # the registered station's name (signatures name it)
    url: str  # its own login role
    operator: Person
    supervisor: Person
    qa: Person
    qa2: Person
    planner: Person

    @property
    def people(self) -> tuple[Person, ...]:
        return (self.operator, self.supervisor, self.qa, self.qa2, self.planner)


@dataclass(frozen=True)
class SoakPlant:
    line: Line
    resin_lot: str  # shared by every station
    crews: tuple[Crew, ...]

    @property
    def bins(self) -> dict[str, str]:
        return self.line.plant.bins


def _register(database: TestDatabase, index: int) -> tuple[str, str]:
    role = f"station_soak_{index:02d}"
    name = f"soak-{index:02d}"
    dbadmin.add_station(database.admin, role, name=name, methods=("badge+pin",), zone="LINE")
    return name, make_url(database.admin).set(username=role, password=None).render_as_string(
        hide_password=False
    )


def _crew(database: TestDatabase, factory: sessionmaker[Session], line: Line, i: int) -> Crew:
    admin = admin_for(database)
    name, url = _register(database, i)

    def person(prefix: str, role: str) -> Person:
        return enrol(factory, admin, roles=(role,), prefix=f"s{i:02d}{prefix}")

    crew = Crew(
        name, url, person("op", "operator"), person("sup", "supervisor"),
        person("qa", "qa"), person("qb", "qa"), person("pl", "planner"),
    )  # fmt: skip
    return crew


def _qualify(line: Line, crew: Crew) -> None:
    """The operator and the supervisor trained for the measured step (signed by the plant's
    supervisor and QA: one at a time, a person's PIN prompts do not overlap)."""
    plant = line.plant
    for who, trainer in ((crew.operator, line.sup), (crew.supervisor, plant.qa)):
        with plant.uow(trainer, "soak crew training") as uow:
            training.grant_qualification(
                uow, who.username, line.qualification, plant.today - dt.timedelta(days=30),
                plant.today + dt.timedelta(days=335), plant.signing(trainer),
            )  # fmt: skip
            uow.commit()


def _cap_template(database: TestDatabase, factory: sessionmaker[Session], line: Line) -> None:
    """Receiving inspection of every cap receipt: two samples, visual, accept on zero."""
    plant = line.plant
    author = make_signer(database, factory, "qe", "engineer")
    with plant.uow(author, "soak receiving template") as uow:
        t = templates.create_template(uow, NewTemplate(
            line.cap, "receiving", "Cap receiving (soak)", "fixed", (VISUAL,),
            fixed_count=2, accept={"major": 0},
        ))  # fmt: skip
        templates.submit_template(uow, t.id, signing(author))
        uow.commit()
    with plant.uow(plant.qa, "soak receiving template") as uow:
        templates.release_template(uow, t.id, plant.signing(plant.qa))
        uow.commit()


def build_soak_plant(
    database: TestDatabase, factory: sessionmaker[Session], stations: int, workers: int = 4
) -> SoakPlant:
    """Everything the stations need, set up through the services (not measured)."""
    line = build_line(database, factory)
    _cap_template(database, factory, line)
    resin = line.plant.stocked("resin", RESIN_STOCK)
    admin_for(database)  # created once, before the crews are enrolled in parallel
    with ThreadPoolExecutor(max_workers=workers) as pool:
        crews = tuple(pool.map(lambda i: _crew(database, factory, line, i), range(1, stations + 1)))
    for crew in crews:
        _qualify(line, crew)
    return SoakPlant(line, resin, crews)
