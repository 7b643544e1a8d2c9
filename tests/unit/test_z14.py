"""Z1.4 sampling engine against its controlled reference data: code letters, arrows resolved
to the plan actually used, the 100 % rule, missing cells refused, checksums, properties."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.quality import z14

DATA = Path(z14.__file__).parent / "data"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    yield
    z14.reference.cache_clear()


# (lot, level, aql, severity) -> (code letter, printed cell, plan letter, n, Ac, Re, 100 %)
CASES = [
    # the worked examples of the data's README and switching notes
    ((500, "II", "1.0", "normal"), ("H", "1/2", "H", 50, 1, 2, False)),
    ((1000, "II", "0.65", "normal"), ("J", "1/2", "J", 80, 1, 2, False)),
    ((5000, "II", "2.5", "normal"), ("L", "10/11", "L", 200, 10, 11, False)),
    ((100, "II", "0.40", "normal"), ("F", "down", "G", 32, 0, 1, False)),
    ((50000, "II", "6.5", "normal"), ("N", "up", "L", 200, 21, 22, False)),
    ((2000, "II", "1.0", "normal"), ("K", "3/4", "K", 125, 3, 4, False)),
    ((500, "II", "1.0", "tightened"), ("H", "down", "J", 80, 1, 2, False)),
    ((2000, "II", "2.5", "tightened"), ("K", "5/6", "K", 125, 5, 6, False)),
    ((2000, "II", "2.5", "reduced"), ("K", "3/6", "K", 50, 3, 6, False)),
    ((2000, "II", "0.65", "reduced"), ("K", "1/3", "K", 50, 1, 3, False)),
    # other levels, special levels, arrows up and down
    ((3200, "I", "4.0", "normal"), ("H", "5/6", "H", 50, 5, 6, False)),
    ((150, "S-4", "2.5", "normal"), ("D", "up", "C", 5, 0, 1, False)),
    ((150, "S-4", "4.0", "normal"), ("D", "down", "E", 13, 1, 2, False)),
    ((1200, "III", "0.065", "normal"), ("K", "down", "L", 200, 0, 1, False)),
    ((3200, "III", "0.065", "normal"), ("L", "0/1", "L", 200, 0, 1, False)),
    ((600000, "III", "0.065", "normal"), ("R", "3/4", "R", 2000, 3, 4, False)),
    ((600000, "S-1", "1.0", "normal"), ("D", "down", "E", 13, 0, 1, False)),
    # the sample reaches the lot: every unit, the resolved plan's Ac/Re
    ((10, "II", "6.5", "normal"), ("B", "up", "A", 2, 0, 1, False)),
    ((40, "II", "0.10", "normal"), ("D", "down", "K", 40, 0, 1, True)),
    ((60, "II", "0.065", "normal"), ("E", "down", "L", 60, 0, 1, True)),
    ((8, "III", "1.0", "normal"), ("B", "down", "E", 8, 0, 1, True)),
    ((1, "II", "1.0", "normal"), ("A", "down", "E", 1, 0, 1, True)),
]


@pytest.mark.parametrize(("args", "expected"), CASES)
def test_plan_matches_the_reference_tables(
    args: tuple[int, str, str, str], expected: tuple[str, str, str, int, int, int, bool]
) -> None:
    """Letter, printed cell, resolved plan (its own sample size), Ac/Re and the 100 % rule."""
    p = z14.plan(*args)
    assert (
        p.code_letter, p.table_cell, p.plan_letter, p.sample_size, p.ac, p.re, p.hundred_percent
    ) == expected  # fmt: skip
    assert p.data_version == "z14-shared-2026-12-02" and "Planesmuestra" in p.data_source
    assert p.data_version in p.describe()


@pytest.mark.parametrize(
    ("severity", "letter", "aql"),
    [("tightened", "F", "1.5"), ("tightened", "H", "0.65"), ("tightened", "N", "0.065"),
     ("reduced", "K", "0.15"), ("reduced", "B", "6.5"), ("reduced", "G", "0.65")],
)  # fmt: skip
def test_a_cell_the_data_leaves_out_is_refused(severity: str, letter: str, aql: str) -> None:
    """No guess: the plan is QA's, entered and approved by hand."""
    lot = next(
        r.lot_min for r in z14.reference().ranges if r.letters["II"] == letter
    )  # the first lot size that gives the letter at level II
    with pytest.raises(z14.PlanNotAvailable, match="QA enters and approves"):
        z14.plan(max(lot, 2), "II", aql, severity)


def _raw() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for name in ("aql-z14.csv", "aql-z14-tightened-reduced.csv"):
        with (DATA / name).open(newline="", encoding="utf-8") as f:
            rows.extend(csv.DictReader(f))
    return rows


def test_every_cell_of_the_files_is_what_the_engine_uses() -> None:
    """Each of the 506 plan rows (read here without the engine) is the plan it returns for a
    lot of that letter large enough not to be inspected whole."""
    kinds = {f"single_{s}": s for s in z14.SEVERITIES}
    first_lot: dict[str, int] = {}
    for r in z14.reference().ranges:
        first_lot.setdefault(r.letters["III"], r.lot_max or r.lot_min)
    checked = 0
    for row in _raw():
        if row["table"] not in kinds or row["code_letter"] not in first_lot:
            continue
        p = z14.plan(10_000_000, "III", row["aql"], kinds[row["table"]])
        if p.code_letter != row["code_letter"]:
            # level III reaches a letter at some lot size; find it exactly
            lot = first_lot[row["code_letter"]]
            p = z14.plan(lot, "III", row["aql"], kinds[row["table"]])
        assert p.code_letter == row["code_letter"]
        if not p.hundred_percent:
            assert (p.table_cell, p.plan_letter, p.sample_size, p.ac, p.re) == (
                row["table_cell"], row["plan_code_letter"], int(row["sample_size"]),
                int(row["ac"]), int(row["re"]),
            )  # fmt: skip
        checked += 1
    assert checked > 400


def test_arrow_resolution_is_the_column_walk() -> None:
    """The data's resolved letter is where the arrows lead, for every arrow the walk can follow."""
    ref = z14.reference()
    arrows = 0
    for severity, table in ref.cells.items():
        for (letter, aql), cell in table.items():
            if cell.is_arrow and (target := z14.walk(ref, severity, letter, aql)) is not None:
                assert target == cell.plan_letter
                assert cell.sample_size == ref.sample_sizes[severity][target]
                arrows += 1
    assert arrows > 200


def test_a_changed_byte_refuses_the_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Data changed outside release control computes nothing."""
    real = z14._read

    def tampered(name: str) -> bytes:
        data = real(name)
        return data.replace(b"single_normal,,,,H,1.0,1/2", b"single_normal,,,,H,1.0,2/3")

    monkeypatch.setattr(z14, "_read", tampered)
    z14.reference.cache_clear()
    with pytest.raises(z14.ReferenceDataInvalid, match="checksum"):
        z14.plan(500, "II", "1.0")


@pytest.mark.parametrize("bad", ["0", "-3", "abc", "2.0"])
def test_bad_lot_sizes_and_entries_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        z14.plan(int(bad) if bad.lstrip("-").isdigit() else bad, "II", "1.0")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        z14.plan(100, "IV", "1.0")
    with pytest.raises(InvalidInput):
        z14.plan(100, "II", "1.2")
    with pytest.raises(InvalidInput):
        z14.plan(100, "II", "1.0", "lenient")


# -- properties ----------------------------------------------------------------------------

AQLS = [str(a) for a in (Decimal("0.065"), Decimal("0.10"), Decimal("0.15"), Decimal("0.25"),
        Decimal("0.40"), Decimal("0.65"), Decimal("1.0"), Decimal("1.5"), Decimal("2.5"),
        Decimal("4.0"), Decimal("6.5"))]  # fmt: skip


@given(
    level=st.sampled_from(z14.LEVELS),
    spaces=st.sampled_from(["", " ", "  "]),
    lower=st.booleans(),
    dashless=st.booleans(),
)
def test_levels_parse_however_they_are_written(
    level: str, spaces: str, lower: bool, dashless: bool
) -> None:
    text = level.replace("-", "") if dashless else level
    text = text.lower() if lower else text
    assert z14.parse_level(f"{spaces}{text}{spaces}") == level


@given(aql=st.sampled_from(AQLS), zeros=st.integers(0, 3), percent=st.booleans())
def test_aqls_parse_to_their_column(aql: str, zeros: int, percent: bool) -> None:
    text = aql + ("0" * zeros if "." in aql else "") + ("%" if percent else "")
    assert str(z14.parse_aql(text)) == aql


@given(value=st.decimals(min_value=0, max_value=20, places=3, allow_nan=False))
def test_aql_off_the_table_is_refused(value: Decimal) -> None:
    if any(value == Decimal(a) for a in AQLS):
        assert str(z14.parse_aql(str(value))) in AQLS
    else:
        with pytest.raises(InvalidInput):
            z14.parse_aql(str(value))


@settings(max_examples=400)
@given(
    lot=st.integers(1, 2_000_000),
    level=st.sampled_from(z14.LEVELS),
    aql=st.sampled_from(AQLS),
    severity=st.sampled_from(z14.SEVERITIES),
)
def test_every_plan_is_a_resolved_table_plan(lot: int, level: str, aql: str, severity: str) -> None:
    """A plan or a refusal, never an arrow; n is the resolved letter's; 100 % iff n >= lot."""
    ref = z14.reference()
    try:
        p = z14.plan(lot, level, aql, severity)
    except z14.PlanNotAvailable:
        assert (ref.letter(lot, level), Decimal(aql)) not in ref.cells[severity]
        return
    table_n = ref.sample_sizes[severity][p.plan_letter]
    assert p.hundred_percent == (table_n >= lot)
    assert p.sample_size == (lot if p.hundred_percent else table_n)
    assert p.sample_size <= lot
    assert p.re > p.ac >= 0
    if severity != "reduced":
        assert p.re == p.ac + 1
    if not p.arrow:
        assert p.plan_letter == p.code_letter


@given(a=st.integers(1, 2_000_000), b=st.integers(1, 2_000_000), level=st.sampled_from(z14.LEVELS))
def test_a_larger_lot_never_gets_an_earlier_letter(a: int, b: int, level: str) -> None:
    ref = z14.reference()
    small, large = sorted((a, b))
    order = z14.LETTERS.index
    assert order(ref.letter(small, level)) <= order(ref.letter(large, level))
