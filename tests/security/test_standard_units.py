"""Standard unit conversions (migration 0031) as a plain station login: the resin of
test_materials_gates' world is counted in kg and has NO conversion row; grams and
milligrams convert by the standard factor, exactly, or are refused (WC073) — never
rounded; a conversion row contradicting the standard factor is refused (WC200); nobody
at a station can replace the factor or the conversion. Each attack changes nothing."""

# ruff: noqa: E501, F811  (SQL reads better unwrapped; `world` is the imported fixture)

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from domain.services.engineering_rules import UNIT_FACTORS, unit_factor
from tests.security.attack import Lab, refused, run, sign_in, unique
from tests.security.test_lifecycle_gates import one
from tests.security.test_materials_gates import MATERIALS, World, world  # noqa: F401

pytestmark = pytest.mark.requirement("11.10(f)")

WATCHED = (*MATERIALS, "workcell.item_unit")
D = Decimal


def _base(lab: Lab, item: int, quantity: str, unit: str | None) -> Decimal:
    with lab.station() as conn:
        return D(
            one(
                conn,
                "SELECT workcell.to_base_unit(%s, %s::numeric, %s, 'test')",
                (item, quantity, unit),
            )
        )


def test_the_standard_factors_are_the_engineering_rules(lab: Lab) -> None:
    """Every pair of the units an item or a BOM line may use: the database's factor is the
    one BOM lines are checked with (domain UNIT_FACTORS), NULL across dimensions."""
    with lab.station() as conn:
        for a, b in itertools.product(UNIT_FACTORS, repeat=2):
            got = one(conn, "SELECT workcell.standard_unit_factor(%s, %s)", (a, b))
            try:
                want: Decimal | None = unit_factor(a, b)
            except ValueError:
                want = None
            if a == "ea" or b == "ea":
                want = None  # a count is not a standard unit: per item only
            assert (got if got is None else D(got)) == want, (a, b)
        assert one(conn, "SELECT workcell.standard_unit_factor('oz', 'g')") is None


def test_grams_and_milligrams_of_a_kilogram_item_convert_exactly(lab: Lab, world: World) -> None:
    """No conversion row: 250 g = 0.25 kg, 1 mg = 0.000001 kg, the item's own unit as is."""
    assert _base(lab, world.resin, "250", "g") == D("0.25")
    assert _base(lab, world.resin, "1", "mg") == D("0.000001")
    assert _base(lab, world.resin, "2.5", "kg") == D("2.5")
    with lab.owner("security test: a liquid and a tube") as conn:
        liquid = one(conn, "INSERT INTO workcell.item (item_number, description, item_type, unit)"
                           " VALUES (%s, 'solvent', 'raw', 'L') RETURNING id", (unique("MAT-L-").upper(),))  # fmt: skip
        tube = one(conn, "INSERT INTO workcell.item (item_number, description, item_type, unit)"
                         " VALUES (%s, 'tubing', 'raw', 'm') RETURNING id", (unique("MAT-M-").upper(),))  # fmt: skip
    assert _base(lab, liquid, "125", "mL") == D("0.125")
    assert _base(lab, tube, "1250", "mm") == D("1.25")


REFUSED = {
    "half a milligram (7 decimals of kg)": ("0.5", "mg", "rounding would create or lose material"),
    "millilitres of a mass": ("5", "mL", "no conversion from mL"),
    "pieces of a mass": ("2", "ea", "no conversion from ea"),
    "an unknown unit": ("1", "oz", "no conversion from oz"),
    "grams past 6 decimals": ("0.0000001", "g", "at most 6 decimals"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_move_that_the_standard_factor_cannot_convert_exactly_is_refused(
    lab: Lab,
    world: World,
    case: str,
) -> None:
    """move_stock of lot R (kg) in another unit: refused (WC073) with the reason, nothing
    moved; the refusal names the units the resin may be entered in."""
    quantity, unit, reason = REFUSED[case]
    with lab.station() as conn:
        token = sign_in(conn, world.operator)
    with lab.untouched(WATCHED), lab.station() as conn:
        err = refused("WC073", conn, "SELECT workcell.move_stock(%s, %s, %s, %s::numeric, NULL, %s)",
                      (world.lot_r, world.bins["LINE"], world.bins["STK"], quantity, unit), token=token,
                      settings=[("workcell.reason", "attack")])  # fmt: skip
    assert reason in str(err)
    if "no conversion" in reason:
        assert err.diag.message_hint is not None and "g, kg, mg" in err.diag.message_hint


def test_grams_move_by_the_standard_factor(lab: Lab, world: World) -> None:
    """The legitimate move, and back: 250 g of lot R leave the line as 0.25 kg; the ledger
    row keeps the 250 g entered."""
    with lab.station() as conn:
        token = sign_in(conn, world.operator)
        for src, dst in (("LINE", "STK"), ("STK", "LINE")):
            run(conn, "SELECT workcell.move_stock(%s, %s, %s, 250, NULL, 'g')",
                (world.lot_r, world.bins[src], world.bins[dst]), token=token,
                settings=[("workcell.reason", "move in grams")])  # fmt: skip
    with lab.superuser() as su:
        got = su.execute("SELECT trim_scale(quantity) || ' ' || unit || ' from ' || entered_quantity || ' ' || entered_unit"
                         " FROM workcell.inventory_txn WHERE lot_id = %s ORDER BY id DESC LIMIT 2", (world.lot_r,)).fetchall()  # fmt: skip
    assert [r[0] for r in got] == ["0.25 kg from 250 g"] * 2


def test_a_conversion_row_against_the_standard_factor_is_refused(lab: Lab, world: World) -> None:
    """QA (uom.manage) may not say 1 g is 0.002 kg of the resin (WC200, with the standard
    factor named); a row with the standard factor (to count grams with 1 decimal) is
    accepted — rolled back here, the world stays as built."""
    insert = "INSERT INTO workcell.item_unit (item_id, unit, factor, decimals, version) VALUES (%s, 'g', %s, 1, 1)"
    with lab.station() as conn:
        qa = sign_in(conn, world.qa)
    with lab.untouched(WATCHED), lab.station() as conn:
        for factor in ("0.002", "0.0001", "1"):
            err = refused("WC200", conn, insert, (world.resin, factor), token=qa,
                          settings=[("workcell.reason", "attack")])  # fmt: skip
            assert "1 g is 0.001 kg" in str(err)
        with conn.transaction(force_rollback=True):
            conn.execute(
                "SELECT set_config('workcell.session', %s, true), set_config('workcell.reason', 'grams', true)",
                (qa,),
            )
            conn.execute(insert, (world.resin, "0.001"))
            assert D(
                one(conn, "SELECT workcell.to_base_unit(%s, 2.5, 'g', 'test')", (world.resin,))
            ) == D("0.0025")
            with pytest.raises(Exception, match="at most 1 decimals"), conn.transaction():
                conn.execute("SELECT workcell.to_base_unit(%s, 2.55, 'g', 'test')", (world.resin,))


REPLACE = {
    "the factor": "CREATE OR REPLACE FUNCTION workcell.standard_unit_factor(p_from text, p_to text) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT 2::numeric $$",
    "the conversion": "CREATE OR REPLACE FUNCTION workcell.to_base_unit(p_item_id bigint, p_quantity numeric, p_unit text, p_what text) RETURNS numeric LANGUAGE sql AS $$ SELECT p_quantity $$",
    "a shadow in the station's own schema": "CREATE FUNCTION public.standard_unit_factor(p_from text, p_to text) RETURNS numeric LANGUAGE sql AS $$ SELECT 2::numeric $$",
}


@pytest.mark.parametrize("attack", sorted(REPLACE))
def test_a_station_cannot_replace_the_conversion(lab: Lab, world: World, attack: str) -> None:
    """Not the owner, no CREATE: refused (42501); the factors are as before."""
    with lab.untouched(WATCHED), lab.station() as conn:
        refused("42501", conn, REPLACE[attack])
    assert _base(lab, world.resin, "250", "g") == D("0.25")
