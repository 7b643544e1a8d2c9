"""Helpers for the engineering tests: unique items, drafts with lines, release without an ECO.

Releasing directly (not through an ECO) is what the ECO service does on approval; the ECO
tests cover the signed path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from domain.services import bom, effectivity, items
from domain.uow import UnitOfWork
from tests.conftest import unique

D = Decimal


def make_item(
    uow: UnitOfWork,
    prefix: str = "E",
    item_type: str = "component",
    unit: str = "ea",
    tracking: str = "lot",
) -> str:
    number = unique(prefix).upper()
    items.create_item(uow, items.NewItem(number, f"Test {number}", item_type, unit, tracking))
    return number


def draft_bom(
    uow: UnitOfWork,
    parent: str,
    lines: list[tuple[str, str]] | list[bom.BomLineInput],
    label: str | None = None,
) -> str:
    view = bom.create_bom_revision(uow, parent, label=label)
    inputs = [
        x if isinstance(x, bom.BomLineInput) else bom.BomLineInput(x[0], D(x[1])) for x in lines
    ]
    bom.replace_bom_lines(uow, parent, view.summary.revision, inputs)
    return view.summary.revision


def release_bom(uow: UnitOfWork, parent: str, label: str, start: dt.datetime | None = None) -> None:
    rev = effectivity.load_revision(uow, "bom", parent, label)
    effectivity.set_status(uow, rev, "in_review")
    effectivity.release(uow, "bom", rev, start)


def released_bom(
    make_uow: Callable[..., UnitOfWork], parent: str, lines: list, start: dt.datetime | None = None
) -> str:
    """Create, fill and release a BOM revision in one committed transaction; return its label."""
    with make_uow(reason="test release") as uow:
        label = draft_bom(uow, parent, lines)
        release_bom(uow, parent, label, start)
        uow.commit()
    return label
