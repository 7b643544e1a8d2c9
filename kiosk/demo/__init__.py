"""Demo data for `workcell db seed-demo` and `workcell demo`. Idempotent: re-running adds nothing.

Each area seeds from its own module, in dependency order.
"""

from __future__ import annotations

from collections.abc import Iterator

from kiosk.bootstrap import Services
from kiosk.demo import audit, engineering, items, materials, people, work_orders

# audit last: it seals what the others wrote.
SEEDERS = [
    people.seed, items.seed, engineering.seed, materials.seed, work_orders.seed, audit.seed,
]  # fmt: skip


def seed_demo(services: Services) -> Iterator[str]:
    for seeder in SEEDERS:
        yield from seeder(services)
