"""The MT-SICS response parser (hardware/mtsics.py), property-based: every weight line a
balance can send parses back to its value, unit and stability; anything else is refused
with ProtocolError and never with another exception."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware import mtsics
from hardware.mtsics import (
    ConditionResponse,
    ErrorResponse,
    ProtocolError,
    SerialResponse,
    WeightResponse,
    format_weight,
    parse_response,
)

values = st.decimals(min_value=Decimal("-99999"), max_value=Decimal("99999"), places=5,
                     allow_nan=False, allow_infinity=False)  # fmt: skip
units = st.sampled_from(mtsics.UNITS)


@given(value=values, unit=units, stable=st.booleans())
def test_a_weight_line_parses_back_to_what_was_sent(
    value: Decimal, unit: str, stable: bool
) -> None:
    # the answers to S and SI both start with "S" (only SI's may be dynamic, "S D")
    line = format_weight("S", stable, value, unit) + "\r\n"
    assert parse_response(line) == WeightResponse("S", stable, value, unit)


@given(value=values, unit=units, padding=st.integers(min_value=1, max_value=8))
def test_spacing_inside_the_line_does_not_matter(value: Decimal, unit: str, padding: int) -> None:
    line = "S" + " " * padding + "S" + " " * padding + str(value) + " " * padding + unit
    assert parse_response(line) == WeightResponse("S", True, value, unit)


@given(value=values, unit=units)
def test_a_tare_line_is_a_stable_weight_of_the_tare_command(value: Decimal, unit: str) -> None:
    assert parse_response(format_weight("T", True, value, unit)) == WeightResponse(
        "T", True, value, unit
    )


@given(st.text(max_size=60))
def test_any_text_parses_or_is_refused_with_a_protocol_error(line: str) -> None:
    try:
        parsed = parse_response(line)
    except ProtocolError:
        return
    assert isinstance(parsed, WeightResponse | ConditionResponse | SerialResponse | ErrorResponse)


printable = st.characters(min_codepoint=33, max_codepoint=126, exclude_characters='"')


@given(serial=st.text(alphabet=printable, min_size=1, max_size=40))
def test_the_serial_number_is_read_from_its_quotes(serial: str) -> None:
    assert parse_response(f'I4 A "{serial}"\r\n') == SerialResponse(serial)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("S I", ConditionResponse("S", "I")),
        ("S +", ConditionResponse("S", "+")),
        ("S -", ConditionResponse("S", "-")),
        ("T +", ConditionResponse("T", "+")),
        ("Z A", ConditionResponse("Z", "A")),
        ("Z I", ConditionResponse("Z", "I")),
        ("ES", ErrorResponse("ES")),
        ("EL\r\n", ErrorResponse("EL")),
        ("ET", ErrorResponse("ET")),
        ("S D     12.301 g", WeightResponse("S", False, Decimal("12.301"), "g")),
        ("S S     -0.0002 g", WeightResponse("S", True, Decimal("-0.0002"), "g")),
    ],
)
def test_the_documented_responses(line: str, expected: object) -> None:
    assert parse_response(line) == expected


@pytest.mark.parametrize(
    "line",
    ["", " S S 1 g", "S S abc g", "S S 1.0 furlong", "S S 1.0", "T D 1.0 g", "S A", "X S 1 g",
     "I4 A 123", 'I4 A ""', "S S 1.0 g extra", "EX", "S S 1e3 g", "S S NaN g"],
)  # fmt: skip
def test_malformed_lines_are_refused(line: str) -> None:
    with pytest.raises(ProtocolError):
        parse_response(line)


def test_an_error_response_says_what_it_means() -> None:
    assert "logical error" in ErrorResponse("EL").message
