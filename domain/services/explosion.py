"""Multi-level BOM explosion as of an instant, and multi-level where-used.

One recursive query picks, at every level, the revision in effect at the instant
(``effective @> at``), multiplies quantities down the tree (quantity per × (1 + scrap),
converted to the component's unit), and returns the indented tree; the roll-up per item
is the pure function `engineering_rules.roll_up`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import text

from domain.errors import NotFound
from domain.services import effectivity
from domain.services.bom import Explosion, WhereUsed
from domain.services.engineering_rules import UNIT_FACTORS, ExplodedLine, roll_up
from domain.services.items import load_item
from domain.uow import UnitOfWork

MAX_LEVELS = 40  # a guard only: cycles are refused on write

_UNITS = ", ".join(f"('{u}', {f}::numeric)" for u, (_, f) in UNIT_FACTORS.items())

_LINE_COLUMNS = """
    r.item_id AS parent_id, r.revision AS parent_revision, l.position, l.component_id,
    l.quantity_per, l.unit, l.scrap_factor"""
_LINE_JOINS = """
      JOIN workcell.bom_line l ON l.bom_revision_id = r.id
      JOIN workcell.item c ON c.id = l.component_id
      JOIN units fu ON fu.unit = l.unit
      JOIN units cu ON cu.unit = c.unit"""
_FACTOR = "l.quantity_per * (1 + l.scrap_factor) * fu.factor / cu.factor"
_COUNTED = "NOT l.optional AND l.alternate_of IS NULL"

EXPLODE_SQL = f"""
WITH RECURSIVE units (unit, factor) AS (VALUES {_UNITS}),
tree AS (
    SELECT 1 AS level, ARRAY[l.position] AS path, {_LINE_COLUMNS},
           round(CAST(:qty AS numeric) * {_FACTOR}, 9) AS extended, {_COUNTED} AS counted
      FROM workcell.bom_revision r {_LINE_JOINS}
     WHERE r.item_id = :top AND r.effective @> CAST(:at AS timestamptz)
    UNION ALL
    SELECT t.level + 1, t.path || l.position, {_LINE_COLUMNS},
           round(t.extended * {_FACTOR}, 9), t.counted AND {_COUNTED}
      FROM tree t
      JOIN workcell.bom_revision r
        ON r.item_id = t.component_id AND r.effective @> CAST(:at AS timestamptz) {_LINE_JOINS}
     WHERE t.level < {MAX_LEVELS}
)
SELECT t.level, t.path, p.item_number, t.parent_revision, t.position, c.item_number,
       c.description, t.quantity_per, t.unit, t.scrap_factor, t.extended, c.unit, t.counted,
       (SELECT cr.revision FROM workcell.bom_revision cr
         WHERE cr.item_id = t.component_id AND cr.effective @> CAST(:at AS timestamptz))
  FROM tree t
  JOIN workcell.item p ON p.id = t.parent_id
  JOIN workcell.item c ON c.id = t.component_id
 ORDER BY t.path
"""

SINGLE_LEVEL_SQL = """
SELECT l.position, l.component_id, l.quantity_per
  FROM workcell.bom_revision r JOIN workcell.bom_line l ON l.bom_revision_id = r.id
 WHERE r.item_id = :top AND r.effective @> CAST(:at AS timestamptz)
 ORDER BY l.position
"""

WHERE_USED_SQL = f"""
WITH RECURSIVE up AS (
    SELECT 1 AS level, r.item_id AS parent_id, r.revision, l.quantity_per, l.unit
      FROM workcell.bom_line l
      JOIN workcell.bom_revision r
        ON r.id = l.bom_revision_id AND r.effective @> CAST(:at AS timestamptz)
     WHERE l.component_id = :item
    UNION
    SELECT u.level + 1, r.item_id, r.revision, l.quantity_per, l.unit
      FROM up u
      JOIN workcell.bom_line l ON l.component_id = u.parent_id
      JOIN workcell.bom_revision r
        ON r.id = l.bom_revision_id AND r.effective @> CAST(:at AS timestamptz)
     WHERE u.level < {MAX_LEVELS}
)
SELECT u.level, p.item_number, p.description, u.revision, u.quantity_per, u.unit
  FROM up u JOIN workcell.item p ON p.id = u.parent_id
 ORDER BY u.level, p.item_number
"""


def explode(
    uow: UnitOfWork, item_number: str, at: dt.datetime, quantity: Decimal = Decimal(1)
) -> Explosion:
    """The BOM of ``item_number`` in effect at ``at``, every level, for ``quantity`` pieces."""
    item = load_item(uow, item_number)
    top = effectivity.revision_at(uow, "bom", item.id, at)
    if top is None:
        raise NotFound(
            f"{item.item_number} has no BOM revision in effect at {at:%Y-%m-%d %H:%M %Z}."
        )
    rows = uow.session.execute(text(EXPLODE_SQL), {"top": item.id, "at": at, "qty": quantity}).all()
    lines = tuple(
        ExplodedLine(
            level=r[0],
            path=tuple(r[1]),
            parent=r[2],
            parent_revision=r[3],
            position=r[4],
            component=r[5],
            description=r[6],
            quantity_per=r[7],
            unit=r[8],
            scrap_factor=r[9],
            extended=r[10],
            item_unit=r[11],
            counted=r[12],
            component_revision=r[13],
        )
        for r in rows
    )
    return Explosion(item.item_number, top.revision, at, quantity, lines, tuple(roll_up(lines)))


def where_used(uow: UnitOfWork, item_number: str, at: dt.datetime) -> list[WhereUsed]:
    """Every item whose BOM in effect at ``at`` contains this one, at any depth."""
    item = load_item(uow, item_number)
    rows = uow.session.execute(text(WHERE_USED_SQL), {"item": item.id, "at": at}).all()
    return [WhereUsed(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]
