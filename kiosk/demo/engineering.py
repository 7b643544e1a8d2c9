"""Demo engineering data: a three-level infusion set (FG → subassembly → moulded parts →
resin) with routings, two released BOM revisions of the finished good, and an open ECO.

Every release goes through a signed ECO with three different people (Erin or Eddie
author, the other engineer or Rita reviews, Quinn approves), exactly as in production:
each signs in at the station with badge + PIN and signs with badge + PIN again.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal as D

from domain.services import bom, eco, routing
from domain.services.bom import BomLineInput as Line
from domain.services.identity import Credentials
from domain.services.routing import DataSpec, OperationSpec, SignoffSpec, StepSpec
from kiosk.bootstrap import Services
from kiosk.demo.people import BY_NAME, demo_policy, signed_in

BOMS_A = {
    "CP-3001": [Line("RM-4001", D("12.5"), "g", D("0.04"), notes="shot weight incl. runner")],
    "CP-3002": [Line("RM-4001", D("6"), "g", D("0.03"))],
    "SA-2000": [Line("CP-3001", D(1)), Line("CP-3002", D(1))],
    "FG-1000": [
        Line("SA-2000", D(1)),
        Line("RM-4002", D("1.5"), "m", D("0.02")),
        Line("PK-5001", D(1)),
    ],
}
PERFORMED = SignoffSpec("performed", "operator")
VERIFIED = SignoffSpec("verified", "supervisor")
QA_REVIEW = SignoffSpec("reviewed", "qa")
FG_ROUTING = [
    OperationSpec(10, "ASSY-1", "Assemble set", "Bond tubing to drip chamber.", D(6), (
        StepSpec(1, "Scan drip chamber lot", data=(
            DataSpec("SA_LOT", "Drip chamber lot", "lot_scan", component="SA-2000"),
            DataSpec("TUBE_LOT", "Tubing lot", "lot_scan", component="RM-4002"),
        )),
        StepSpec(2, "Cut and bond tubing", "Cut to 150 cm, UV bond 8 s.", data=(
            DataSpec("LENGTH", "Tubing length", "numeric", "cm", D(149), D(151), D(150)),
        ), signoffs=(PERFORMED, VERIFIED)),
    )),
    OperationSpec(20, "SEAL-1", "Pouch and seal", "Seal at 180 °C, 2.5 bar.", D("2.5"), (
        StepSpec(1, "Seal pouch", critical=True, data=(
            DataSpec("SEAL_OK", "Seal visual check", "pass_fail"),
            DataSpec("PEEL", "Peel strength", "numeric", "N", D("1.5"), D(6)),
        ), signoffs=(PERFORMED, VERIFIED, QA_REVIEW)),
    )),
    OperationSpec(30, "PACK-1", "Label", "Apply UDI label.", D(1), (
        StepSpec(1, "Apply and scan label", data=(
            DataSpec("REMARK", "Remarks", "text", required=False),
        )),
    )),
]  # fmt: skip


def _signing(username: str, services: Services, comment: str | None = None) -> eco.Signing:
    person = BY_NAME[username]
    creds = Credentials(person.pin, badge_uid=person.badge_uid)
    return eco.Signing(creds, services.settings.name, demo_policy(services), comment)


def _run_eco(
    services: Services,
    title: str,
    reason: str,
    drafts: dict[str, list[Line]],
    people: tuple[str, ...],
    routings: dict[str, list[OperationSpec]] | None = None,
) -> str:
    """Create an ECO as people[0] with new draft revisions, then sign it through people."""
    author = people[0]
    with (
        signed_in(services, author) as session,
        services.uow(session, "demo engineering data") as uow,
    ):
        number = eco.create_eco(uow, title, reason).number
        for item, lines in drafts.items():
            new_routing = bool(routings and item in routings)
            view = eco.add_eco_item(uow, number, item, new_bom=True, new_routing=new_routing)
            row = next(i for i in view.items if i.item_number == item)
            assert row.bom_revision is not None
            bom.replace_bom_lines(uow, item, row.bom_revision, lines)
            if routings and row.routing_revision:
                routing.replace_operations(uow, item, row.routing_revision, routings[item])
        uow.commit()
    steps = (eco.submit_eco, eco.review_eco, eco.approve_eco)
    signers = people if len(people) == len(steps) else ()  # only the author: left as a draft
    for fn, who in zip(steps, signers, strict=False):
        with signed_in(services, who) as session, services.uow(session) as uow:
            fn(uow, number, _signing(who, services))
            uow.commit()
    return number


def seed(services: Services) -> Iterator[str]:
    with services.uow(None) as uow:
        if bom.bom_history(uow, "FG-1000"):
            return
    first = _run_eco(
        services, "Initial release of the infusion set", "New product introduction",
        BOMS_A, ("erin", "eddie", "quinn"), {"FG-1000": FG_ROUTING},
    )  # fmt: skip
    yield f"{first}: BOM rev A of {', '.join(BOMS_A)} and routing rev A of FG-1000 (released)"
    longer = [
        Line("SA-2000", D(1)),
        Line("RM-4002", D("1.6"), "m", D("0.02")),
        Line("PK-5001", D(1)),
    ]
    second = _run_eco(
        services, "Longer tubing", "Customer complaint CC-118: set too short for pole mount",
        {"FG-1000": longer}, ("eddie", "rita", "quinn"),
    )  # fmt: skip
    yield f"{second}: FG-1000 BOM rev B (released; rev A superseded)"
    pouch = [*longer[:2], Line("PK-5001", D(1), scrap_factor=D("0.01"), notes="seal trials")]
    third = _run_eco(
        services, "Pouch scrap allowance", "Seal trials show 1% pouch loss at changeover",
        {"FG-1000": pouch}, ("erin",),
    )  # fmt: skip
    with signed_in(services, "erin") as session, services.uow(session) as uow:
        eco.submit_eco(uow, third, _signing("erin", services))
        uow.commit()
    yield f"{third}: FG-1000 BOM rev C, submitted and waiting for review (open)"
