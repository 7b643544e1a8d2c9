"""Pure engineering rules: units, BOM line checks, revision labels, explosion roll-up.

No database here, so the rules are unit-tested on their own and shared by the services,
the CSV import and the screens' previews.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

# Unit → (dimension, factor to the dimension's smallest unit). A BOM line may state its
# quantity in any unit of the component's dimension (grams of a resin stocked in kg).
UNIT_FACTORS: dict[str, tuple[str, Decimal]] = {
    "ea": ("count", Decimal(1)),
    "kg": ("mass", Decimal(1_000_000)),
    "g": ("mass", Decimal(1_000)),
    "mg": ("mass", Decimal(1)),
    "L": ("volume", Decimal(1_000)),
    "mL": ("volume", Decimal(1)),
    "m": ("length", Decimal(1_000)),
    "mm": ("length", Decimal(1)),
}
QUANTITY_STEP = Decimal("0.000001")  # numeric(18, 6)
REF_DESIGNATOR_RE = re.compile(r"^[A-Z]{1,4}[0-9]{1,4}[A-Z]?$")
LABEL_RE = re.compile(r"^[A-Z0-9][A-Z0-9.-]{0,7}$")


def unit_factor(from_unit: str, to_unit: str) -> Decimal:
    """Multiply a quantity in ``from_unit`` by this to get ``to_unit``; ValueError if unrelated."""
    src = UNIT_FACTORS.get(from_unit)
    dst = UNIT_FACTORS.get(to_unit)
    if src is None or dst is None:
        raise ValueError(f"unknown unit {from_unit if src is None else to_unit!r}")
    if src[0] != dst[0]:
        raise ValueError(f"{from_unit} cannot be converted to {to_unit}")
    return src[1] / dst[1]


def component_quantity(quantity_per: Decimal, scrap_factor: Decimal) -> Decimal:
    """Quantity to issue per parent: quantity per × (1 + scrap)."""
    return quantity_per * (1 + scrap_factor)


def next_label(existing: Iterable[str]) -> str:
    """Next revision label: A, B, ... Z, AA, AB ... (numeric labels count up: 1, 2, ...)."""
    labels = [x for x in existing if x]
    if not labels:
        return "A"
    if all(x.isdigit() for x in labels):
        return str(max(int(x) for x in labels) + 1)
    alpha = [x for x in labels if x.isalpha()]
    if not alpha:
        return "A"
    last = max(alpha, key=lambda x: (len(x), x))
    return _increment_alpha(last)


def _increment_alpha(label: str) -> str:
    chars = list(label)
    i = len(chars) - 1
    while i >= 0:
        if chars[i] != "Z":
            chars[i] = chr(ord(chars[i]) + 1)
            return "".join(chars)
        chars[i] = "A"
        i -= 1
    return "A" + "".join(chars)


def parse_decimal(text: str, what: str) -> Decimal:
    """A decimal from user text ('1,5' accepted); ValueError naming the field."""
    cleaned = text.strip().replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{what} {text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{what} {text!r} is not a number")
    return value


def parse_scrap(text: str) -> Decimal:
    """Scrap as a fraction ('0.02') or a percentage ('2%'); blank means none."""
    text = text.strip()
    if not text:
        return Decimal(0)
    if text.endswith("%"):
        return parse_decimal(text[:-1], "Scrap") / 100
    return parse_decimal(text, "Scrap")


@dataclass(frozen=True)
class ComponentFacts:
    """What the line rules need to know about a component item."""

    item_number: str
    unit: str
    tracking: str
    status: str


@dataclass(frozen=True)
class LineFacts:
    position: int
    quantity_per: Decimal
    unit: str
    scrap_factor: Decimal
    optional: bool = False
    alternate_of: int | None = None
    ref_designators: tuple[str, ...] = ()


def line_problems(line: LineFacts, component: ComponentFacts, parent_item: str) -> list[str]:
    """Every reason this line cannot go on a BOM (empty list = fine)."""
    problems: list[str] = []
    if not 1 <= line.position <= 9999:
        problems.append("position must be 1 to 9999")
    if component.item_number == parent_item:
        problems.append(f"{parent_item} cannot contain itself")
    if component.status == "obsolete":
        problems.append(f"{component.item_number} is obsolete")
    if line.quantity_per <= 0:
        problems.append("quantity per must be more than 0")
    elif line.quantity_per != line.quantity_per.quantize(QUANTITY_STEP):
        problems.append("quantity per has more than 6 decimals")
    if not 0 <= line.scrap_factor < 1:
        problems.append("scrap must be at least 0 and below 1 (100%)")
    try:
        unit_factor(line.unit, component.unit)
    except ValueError:
        problems.append(
            f"unit {line.unit} does not fit {component.item_number} (in {component.unit})"
        )
    problems.extend(_count_problems(line, component))
    if line.alternate_of is not None and line.alternate_of == line.position:
        problems.append("a line cannot be an alternate of itself")
    return problems


def _count_problems(line: LineFacts, component: ComponentFacts) -> list[str]:
    problems: list[str] = []
    whole = line.quantity_per == line.quantity_per.to_integral_value()
    if component.tracking == "serial" and (line.unit != "ea" or not whole):
        problems.append(f"{component.item_number} is serialised: quantity must be whole, in ea")
    if line.ref_designators:
        bad = [r for r in line.ref_designators if not REF_DESIGNATOR_RE.match(r)]
        if bad:
            problems.append(f"reference designators not like R12 / U3: {', '.join(bad)}")
        if len(set(line.ref_designators)) != len(line.ref_designators):
            problems.append("reference designators repeat")
        if line.unit != "ea" or not whole or len(line.ref_designators) != int(line.quantity_per):
            problems.append(
                f"{len(line.ref_designators)} reference designators for quantity "
                f"{line.quantity_per.normalize()}: give one per piece"
            )
    return problems


def revision_problems(lines: Sequence[LineFacts]) -> list[str]:
    """Rules across the lines of one revision: unique positions, alternates point at a line."""
    problems: list[str] = []
    positions = [x.position for x in lines]
    duplicates = sorted({p for p in positions if positions.count(p) > 1})
    if duplicates:
        problems.append(f"positions used twice: {', '.join(map(str, duplicates))}")
    primaries = {x.position for x in lines if x.alternate_of is None}
    for x in lines:
        if x.alternate_of is not None and x.alternate_of not in primaries:
            problems.append(
                f"line {x.position}: alternate of {x.alternate_of}, which is no primary line"
            )
    designators = [r for x in lines for r in x.ref_designators]
    repeated = sorted({r for r in designators if designators.count(r) > 1})
    if repeated:
        problems.append(f"reference designators on two lines: {', '.join(repeated)}")
    return problems


class ExplodedLine(NamedTuple):
    """One node of a multi-level explosion (extended = per the exploded quantity of the top).

    A NamedTuple, not a frozen dataclass: an explosion builds thousands of these, and a
    frozen dataclass pays one object.__setattr__ per field."""

    level: int
    path: tuple[int, ...]
    parent: str
    parent_revision: str
    position: int
    component: str
    description: str
    quantity_per: Decimal
    unit: str
    scrap_factor: Decimal
    extended: Decimal
    item_unit: str
    counted: bool
    component_revision: str | None = None


@dataclass(frozen=True)
class RolledUp:
    item_number: str
    description: str
    unit: str
    quantity: Decimal
    made: bool  # has a BOM of its own in this explosion (a subassembly) vs bought/leaf
    occurrences: int = field(default=1)


def roll_up(lines: Iterable[ExplodedLine]) -> list[RolledUp]:
    """Total quantity of every item over all paths; optional and alternate branches excluded."""
    lines = list(lines)
    parents = {x.parent for x in lines}
    totals: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    first: dict[str, ExplodedLine] = {}
    for x in lines:
        if x.counted:
            totals[x.component] = totals.get(x.component, 0) + x.extended
            counts[x.component] = counts.get(x.component, 0) + 1
            first.setdefault(x.component, x)
    rolled = [
        RolledUp(n, first[n].description, first[n].item_unit, q, n in parents, counts[n])
        for n, q in totals.items()
    ]
    return sorted(rolled, key=lambda r: (not r.made, r.item_number))
