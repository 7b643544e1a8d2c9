"""GS1 element strings: the five PART11.md §9 examples, every listed rejection, properties."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from biip.gs1_application_identifiers import _GS1_APPLICATION_IDENTIFIERS as AI_TABLE
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.gs1 import GS, GS1Data, GS1Element, encode, gs1_date, parse_gs1
from domain.gtin import gtin_check_digit

TODAY = date(2026, 11, 26)


def parse(text: str) -> GS1Data:
    return parse_gs1(text, today=TODAY)


# -- the five encoded examples -------------------------------------------------------------


def test_example_1_gs1_128_gtin_expiry_lot_last_without_gs():
    """]C1 GTIN + expiry + lot (last element, no GS)."""
    data = parse("]C101095011015300031727123110ABC123")
    assert data.symbology == "GS1-128"
    assert data.gtin == "09501101530003"
    assert data.expiry == date(2027, 12, 31)
    assert data.lot == "ABC123"


def test_example_2_datamatrix_lot_then_gs_then_serial():
    """]d2: the variable-length lot is ended by GS, the serial follows."""
    data = parse("]d2010061414100001210LOT-7\x1d21SN0001")
    assert data.symbology == "GS1 DataMatrix"
    assert (data.gtin, data.lot, data.serial) == ("00614141000012", "LOT-7", "SN0001")


def test_example_3_day_00_is_last_day_of_month():
    """Expiry 260700 is 2026-07-31; indicator digit 1 GTIN."""
    data = parse("]d2011061414100001917260700" + "10B42")
    assert data.gtin == "10614141000019"
    assert data.expiry == date(2026, 7, 31)
    assert data.lot == "B42"


def test_example_4_production_date_count_gs_lot():
    """(11) production date, (30) count ended by GS, then the lot."""
    data = parse("]C1010400638133393111250115" + "3048\x1d10L9")
    assert data.gtin == "04006381333931"
    assert data.production_date == date(2025, 1, 15)
    assert data.count == 48
    assert data.lot == "L9"


def test_example_5_qr_variable_measure_net_weight_serial():
    """]Q3: variable-measure GTIN, (3103) 001250 = 1.250 kg, serial last."""
    data = parse("]Q3019061414100001531030012502112345")
    assert data.symbology == "GS1 QR Code"
    assert data.gtin == "90614141000015"
    assert data.net_weight_kg == Decimal("1.250")
    assert data.serial == "12345"


# -- other accepted forms ------------------------------------------------------------------


def test_human_readable_form_is_accepted_and_normalised():
    """'(01)...(17)...(10)...' (even with spaces) parses like the encoded string."""
    printed = parse("(01) 09501101530003 (17) 271231 (10) ABC123")
    scanned = parse("]C101095011015300031727123110ABC123")
    assert printed.elements == scanned.elements
    assert printed.hri() == "(01)09501101530003(17)271231(10)ABC123"
    assert printed.element_string() == "01095011015300031727123110ABC123"


def test_leading_fnc1_as_gs_and_trailing_gs_are_ignored():
    """Scanners without AIM ids may send FNC1 as a leading GS; a trailing GS is harmless."""
    assert parse(GS + "10LOT-7" + GS).lot == "LOT-7"


def test_gs_after_fixed_length_element_is_accepted():
    """GS1 allows a separator after any element, needed or not."""
    assert parse("0109501101530003" + GS + "10A").gtin == "09501101530003"


def test_ean13_symbology_and_bare_gtin_become_ai_01():
    """]E0 EAN-13 and an unannounced 13-digit number with a valid check digit are GTINs."""
    assert parse("]E04006381333931").gtin == "04006381333931"
    assert parse("4006381333931").gtin == "04006381333931"


def test_custom_separator_characters():
    """A caller may accept another separator, e.g. a GS substitute typed into a field."""
    data = parse_gs1("10LOT-7~21SN1", today=TODAY, separators=GS + "~")
    assert (data.lot, data.serial) == ("LOT-7", "SN1")


def test_leap_year_day_00():
    """Day 00 in February of a leap year is the 29th."""
    assert gs1_date("240200", TODAY) == date(2024, 2, 29)
    assert gs1_date("250200", TODAY) == date(2025, 2, 28)


@pytest.mark.parametrize(
    ("yy", "year"),
    [("26", 2026), ("76", 2076), ("77", 1977), ("99", 1999), ("00", 2000)],
)
def test_century_sliding_window(yy, year):
    """YY more than 50 years ahead of 2026 is last century; otherwise this one."""
    assert gs1_date(f"{yy}0101", TODAY).year == year


def test_century_window_near_the_turn_of_the_century():
    """In 2080, YY 05 and 30 (50 or more years back) are next century; YY 31 is 2031."""
    assert gs1_date("050101", date(2080, 1, 1)).year == 2105
    assert gs1_date("300101", date(2080, 1, 1)).year == 2130
    assert gs1_date("310101", date(2080, 1, 1)).year == 2031


# -- rejections (PART11.md §9 list and more) -----------------------------------------------


@pytest.mark.parametrize(
    ("scan", "message"),
    [
        ("17271300", "month 13 does not exist"),
        ("17270015", "month 00 does not exist"),
        ("17271232", "day 32 does not exist"),
        ("17270431", "day 31 does not exist"),
        ("17250229", "day 29 does not exist"),
        ("0109501101530004", "check digit wrong"),
        ("]C10109501101530004", "check digit wrong"),
        ("(01)09501101530004", "check digit wrong"),
        ("10" + "A" * 21, "longer than 20 characters"),
        ("10" + "A" * 21 + GS + "21X", "longer than 20 characters"),
        ("21" + "9" * 21, "longer than 20 characters"),
        ("10AB#C", "not allowed in GS1 data"),
        ("10LOT é", "not allowed in GS1 data"),
        ("30ABC", "digits only"),
        ("3048" + GS + "30" + "49", "appears twice"),
        ("01095011015300", "must be 14 characters"),
        ("", "Nothing was scanned"),
        ("   \r\n", "Nothing was scanned"),
        ("]d2", "holds no data"),
        ("hello", "Not a GS1 barcode"),
        ("]C0ABC123", "Not a GS1 barcode"),
        ("]Q1https://example.com", "Not a GS1 barcode"),
        ("(01", "Not a GS1 barcode"),
        ("(23)123", "Not a GS1 barcode"),
        ("2312345", "Not a GS1 barcode"),
        ("]E0ABC", "Not a GS1 barcode"),
        ("10", "is empty"),
        ("10" + GS + "21X", "is empty"),
    ],
)
def test_rejections_say_what_is_wrong(scan, message):
    """Each bad scan is refused with an InvalidInput an operator can act on."""
    with pytest.raises(InvalidInput) as refused:
        parse(scan)
    assert message in refused.value.message


def test_check_digit_message_names_the_right_digit():
    """The message gives the expected check digit."""
    with pytest.raises(InvalidInput, match="should end in 3"):
        parse("0109501101530004")
    assert parse("0109501101530004"[:-1] + "3").gtin == "09501101530003"


# -- properties ----------------------------------------------------------------------------


def assert_parses_or_refuses(text: str) -> None:
    """Either a non-empty, self-consistent result or an InvalidInput with a message."""
    try:
        result = parse(text)
    except InvalidInput as refused:
        assert refused.message and refused.title
    else:
        assert result.elements
        if not any(set("()") & set(e.value) for e in result.elements):  # HRI is ambiguous then
            assert parse(result.hri()).elements == result.elements


CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=60))
def test_no_input_crashes_the_parser(text):
    """Any text either parses or raises InvalidInput — never anything else."""
    assert_parses_or_refuses(text)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["]C1", "]d2", "]Q3", "", GS, "]e0", "]J1"]) | st.just("("),
    st.text(alphabet="0123456789()" + GS + "~ABC-./", max_size=50),
)
def test_no_gs1_looking_input_crashes_the_parser(prefix, body):
    """Inputs that look like GS1 data (digits, parentheses, GS) never crash it either."""
    assert_parses_or_refuses(prefix + body)


AI_CODES = sorted(AI_TABLE)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(AI_CODES),
            st.text(alphabet="0123456789" + CSET82[:12] + "AZaz" + GS, max_size=24),
        ),
        min_size=1,
        max_size=5,
    ),
    st.booleans(),
)
def test_no_element_string_of_known_ais_crashes_the_parser(parts, hri):
    """Random data behind every AI biip knows (encoded or printed) never crashes it."""
    text = "".join(f"({ai}){data}" if hri else ai + data for ai, data in parts)
    assert_parses_or_refuses(text)


def _gtin14(body: str) -> str:
    return body + str(gtin_check_digit(body))


def _yymmdd(d: date) -> str:
    return d.strftime("%y%m%d")


@st.composite
def gs1_messages(draw: st.DrawFn, parens_allowed: bool = True) -> tuple[GS1Element, ...]:
    charset = CSET82 if parens_allowed else CSET82.replace("(", "").replace(")", "")
    text = st.text(alphabet=charset, min_size=1, max_size=20)
    day = st.dates(min_value=date(1977, 1, 1), max_value=date(2076, 12, 31))
    optional = {
        "17": st.builds(_yymmdd, day),
        "11": st.builds(_yymmdd, day),
        "3103": st.integers(0, 999_999).map(lambda n: f"{n:06d}"),
        "30": st.integers(0, 99_999_999).map(str),
        "10": text,
        "21": text,
    }
    chosen = draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=6))
    chosen = draw(st.permutations(chosen))
    gtin = _gtin14(draw(st.text(alphabet="0123456789", min_size=13, max_size=13)))
    return (GS1Element("01", gtin), *(GS1Element(ai, draw(optional[ai])) for ai in chosen))


@settings(max_examples=300, deadline=None)
@given(gs1_messages(), st.sampled_from(["]C1", "]d2", "]Q3", ""]))
def test_encoded_round_trip(elements, symbology):
    """Rendering elements as scanner data and parsing it gives the same elements."""
    scanned = parse(symbology + encode(elements))
    assert scanned.elements == elements
    assert parse(scanned.element_string()).elements == elements


@settings(max_examples=300, deadline=None)
@given(gs1_messages(parens_allowed=False))
def test_human_readable_round_trip(elements):
    """Rendering as '(AI)data...' and parsing it back gives the same elements."""
    printed = GS1Data(elements=elements).hri()
    assert parse(printed).elements == elements
    assert parse(printed).hri() == printed


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1977, 1, 1), max_value=date(2076, 12, 31)))
def test_dates_round_trip_within_the_window(d):
    """Every date within the sliding window around 2026 reads back as itself."""
    assert gs1_date(_yymmdd(d), TODAY) == d
