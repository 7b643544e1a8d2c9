"""Standard unit conversions (issue 14 notes): a quantity entered in g of a lot counted in
kg (or mL of L, mm of m) converts by the standard factor when the item has no conversion
row of its own — consuming the BOM's grams from a kilogram lot no longer needs one.

Revision ID: 0031
Revises: 0034
Create Date: 2026-12-02

SQL in migrations/sql/standard_units/units.sql. See docs/materials.md "Units".

- ``standard_unit_factor(from, to)`` (IMMUTABLE; stations and auditors): 1 from = factor ×
  to for the standard units of one dimension (kg/g/mg, L/mL, m/mm), NULL otherwise — the
  factors of domain/services/engineering_rules.UNIT_FACTORS.
- ``to_base_unit`` (replaced in place, same signature and grant): the item's conversion row
  first (it may count the unit with fewer decimals), else the standard factor, else
  refused (WC073) as before; every other rule unchanged (exact or refused, whole 'ea').
- ``item_unit_guard`` (replaced in place): a row between standard units of one dimension
  with another factor than the standard one is refused (WC200).

Error codes (domain/errors.py):
  WC200 a conversion row contradicting the standard factor between its units
"""

from migrations.area import Area, grant, run_files

revision = "0031"
down_revision = "0034"
branch_labels = None
depends_on = None

AREA = Area(
    sql_dir="standard_units",
    files=("units.sql",),
    read_functions=("workcell.standard_unit_factor(text, text)",),
)


def upgrade() -> None:
    run_files(AREA)
    grant(AREA)  # to_base_unit and item_unit_guard keep their grants (replaced in place)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
