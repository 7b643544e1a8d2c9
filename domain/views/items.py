"""Items as the screens enter them: the new-item form's values and the fixed vocabularies
(plain data; domain/models/items.py maps the table, domain/services/items.py acts)."""

from __future__ import annotations

from dataclasses import dataclass

ITEM_TYPES = ("raw", "component", "subassembly", "finished", "packaging", "consumable")
UNITS = ("ea", "kg", "g", "mg", "L", "mL", "m", "mm")
TRACKING = ("none", "lot", "serial")


@dataclass(frozen=True)
class NewItem:
    item_number: str
    description: str
    item_type: str
    unit: str
    tracking: str = "lot"
    shelf_life_days: int | None = None
    gtin: str | None = None
