"""Demo items: a small medical-device product family, loaded as master data by the
'system' actor (owner-side, like the people); they start as drafts. The purchased
components carry the GTINs on their suppliers' labels, so receiving scans them."""

from __future__ import annotations

from collections.abc import Iterator

from domain.services import items
from domain.uow import UnitOfWork
from kiosk.bootstrap import Services
from kiosk.demo.people import owner

ITEMS = [
    items.NewItem(
        "FG-1000",
        "Infusion set, sterile, 150 cm",
        "finished",
        "ea",
        "serial",
        1095,
        "09501101530003",
    ),
    items.NewItem("SA-2000", "Drip chamber assembly", "subassembly", "ea", "lot", 1095),
    items.NewItem("CP-3001", "Drip chamber body, PC", "component", "ea", "lot"),
    items.NewItem("CP-3002", "Spike, ABS", "component", "ea", "lot"),
    items.NewItem("RM-4001", "Polycarbonate resin", "raw", "kg", "lot", 730, "09501101530041"),
    items.NewItem("RM-4002", "PVC tubing 3 mm", "raw", "m", "lot", 730, "09501101530058"),
    items.NewItem("PK-5001", "Tyvek pouch", "packaging", "ea", "lot", 1825, "09501101530065"),
]


def seed(services: Services) -> Iterator[str]:
    with owner(services) as factory, UnitOfWork.system(factory, "system", "demo items") as uow:
        existing = {i.item_number for i in items.list_items(uow)}
        created = [
            items.create_item(uow, cmd).item_number
            for cmd in ITEMS
            if cmd.item_number not in existing
        ]
        uow.commit()
    for number in created:
        yield f"item {number}"
