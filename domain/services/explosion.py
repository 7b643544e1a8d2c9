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
from domain.services.engineering_rules import UNIT_FACTORS, ExplodedLine, RolledUp, roll_up
from domain.services.items import load_item
from domain.uow import UnitOfWork

MAX_LEVELS = 40  # a guard only: cycles are refused on write


def _factor_of(column: str) -> str:
    cases = " ".join(f"WHEN '{u}' THEN {f}" for u, (_, f) in UNIT_FACTORS.items())
    return f"CASE {column} {cases} END::numeric"


# Unit conversion only when the line's unit differs from the component's stock unit.
_FACTOR = (
    "l.quantity_per * (1 + l.scrap_factor) * CASE WHEN l.unit = c.unit THEN 1 ELSE "
    f"{_factor_of('l.unit')} / {_factor_of('c.unit')} END"
)
_COUNTED = "NOT l.optional AND l.alternate_of IS NULL"
_COLUMNS = """r.revision AS parent_revision, l.position, l.component_id,
           c.item_number AS component, c.description, l.quantity_per, l.unit, l.scrap_factor,
           c.unit AS item_unit"""
_JOINS = """
      JOIN workcell.bom_line l ON l.bom_revision_id = r.id
      JOIN workcell.item c ON c.id = l.component_id"""

# Below the top, the revision in effect at :at is found with one probe of
# ix_bom_revision_item_start (latest start at or before :at, then its end checked) — about a
# third cheaper than filtering every revision of the item with @>.
_REVISION_AT = """
      CROSS JOIN LATERAL (
          SELECT r0.id, r0.item_id, r0.revision, r0.effective FROM workcell.bom_revision r0
           WHERE r0.item_id = t.component_id AND r0.effective IS NOT NULL
             AND lower(r0.effective) <= CAST(:at AS timestamptz)
           ORDER BY lower(r0.effective) DESC LIMIT 1) r"""
_STILL_IN_EFFECT = "(upper_inf(r.effective) OR upper(r.effective) > CAST(:at AS timestamptz))"

# Names and units travel down the recursion, so the result needs no second pass.
EXPLODE_SQL = f"""
WITH RECURSIVE tree AS (
    SELECT 1 AS level, ARRAY[l.position] AS path, CAST(:top_number AS text) AS parent,
           {_COLUMNS},
           round(CAST(:qty AS numeric) * {_FACTOR}, 9) AS extended, {_COUNTED} AS counted
      FROM workcell.bom_revision r {_JOINS}
     WHERE r.item_id = :top AND r.effective @> CAST(:at AS timestamptz)
    UNION ALL
    SELECT t.level + 1, t.path || l.position, t.component,
           {_COLUMNS},
           round(t.extended * {_FACTOR}, 9), t.counted AND {_COUNTED}
      FROM tree t {_REVISION_AT} {_JOINS}
     WHERE t.level < {MAX_LEVELS} AND {_STILL_IN_EFFECT}
)
SELECT level, path, parent, parent_revision, position, component, description, quantity_per,
       unit, scrap_factor, extended, item_unit, counted
  FROM tree
 ORDER BY path
"""

# The rolled-up totals alone: a lean recursion (ids and quantities only), grouped by id
# (hash, no text sort), names joined after: one row per distinct item leaves the server.
TOTALS_SQL = f"""
WITH RECURSIVE tree AS (
    SELECT 1 AS level, r.item_id AS parent_id, l.component_id,
           round(CAST(:qty AS numeric) * {_FACTOR}, 9) AS extended, {_COUNTED} AS counted
      FROM workcell.bom_revision r {_JOINS}
     WHERE r.item_id = :top AND r.effective @> CAST(:at AS timestamptz)
    UNION ALL
    SELECT t.level + 1, r.item_id, l.component_id,
           round(t.extended * {_FACTOR}, 9), t.counted AND {_COUNTED}
      FROM tree t {_REVISION_AT} {_JOINS}
     WHERE t.level < {MAX_LEVELS} AND {_STILL_IN_EFFECT}
),
totals AS (
    SELECT component_id, sum(extended) AS quantity, count(*) AS occurrences
      FROM tree WHERE counted GROUP BY component_id
)
SELECT c.item_number, c.description, c.unit, x.quantity,
       x.component_id IN (SELECT parent_id FROM tree), x.occurrences
  FROM totals x JOIN workcell.item c ON c.id = x.component_id
 ORDER BY 5 DESC, c.item_number COLLATE "C"
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
    params = {"top": item.id, "top_number": item.item_number, "at": at, "qty": quantity}
    rows = uow.session.execute(text(EXPLODE_SQL), params).all()
    # The revision used for a component is the one its own lines came from.
    revision_of = {r[2]: r[3] for r in rows}
    lines = tuple(
        ExplodedLine(
            r[0], tuple(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
            r[12], revision_of.get(r[5]),
        )
        for r in rows
    )  # fmt: skip
    return Explosion(item.item_number, top.revision, at, quantity, lines, tuple(roll_up(lines)))


def rolled_up(
    uow: UnitOfWork, item_number: str, at: dt.datetime, quantity: Decimal = Decimal(1)
) -> list[RolledUp]:
    """Only the totals of an explosion (same rules as `explode(...).totals`), computed in SQL."""
    item = load_item(uow, item_number)
    if effectivity.revision_at(uow, "bom", item.id, at) is None:
        raise NotFound(
            f"{item.item_number} has no BOM revision in effect at {at:%Y-%m-%d %H:%M %Z}."
        )
    params = {"top": item.id, "at": at, "qty": quantity}
    return [RolledUp(*row) for row in uow.session.execute(text(TOTALS_SQL), params)]


def where_used(uow: UnitOfWork, item_number: str, at: dt.datetime) -> list[WhereUsed]:
    """Every item whose BOM in effect at ``at`` contains this one, at any depth."""
    item = load_item(uow, item_number)
    rows = uow.session.execute(text(WHERE_USED_SQL), {"item": item.id, "at": at}).all()
    return [WhereUsed(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]
