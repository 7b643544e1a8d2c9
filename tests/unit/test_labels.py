"""GS1-128 labels: FNC1 after variable-length elements, decoded back from the bars."""

from __future__ import annotations

from datetime import date

import pytest
from barcode.charsets import code128 as cs
from hypothesis import given, settings

from domain.gs1 import GS, GS1Data, parse_gs1
from hardware.labels import code128, gs1_128, gs1_128_symbol
from tests.unit.test_gs1 import gs1_messages

TODAY = date(2026, 11, 26)
_A = {v: k for k, v in cs.A.items()}
_B = {v: k for k, v in cs.B.items()}


def decode_bars(modules: str) -> tuple[list[int], str]:
    """A small Code 128 reader: bar pattern → symbol values → text (FNC1 as GS, the
    leading FNC1 as the ]C1 symbology identifier, like a scanner reports it)."""
    assert modules.endswith(cs.STOP + "11")
    body = modules[: -len(cs.STOP) - 2]
    values = [cs.CODES.index(body[i : i + 11]) for i in range(0, len(body), 11)]
    *data, check = values
    assert check == (data[0] + sum(i * v for i, v in enumerate(data[1:], start=1))) % 103
    charset = {103: "A", 104: "B", 105: "C"}[data[0]]
    text = ""
    for position, value in enumerate(data[1:]):
        if value == 102:
            text += "]C1" if position == 0 else GS
        elif charset == "C" and value < 100:
            text += f"{value:02d}"
        elif value in (99, 100, 101) and not (charset == "A" and value == 101):
            charset = {99: "C", 100: "B", 101: "A"}[value]
        else:
            text += (_A if charset == "A" else _B)[value]
    return values, text


def test_fnc1_is_first_and_after_the_variable_length_lot():
    """Example 2 of PART11.md §9: FNC1 at the start and between lot and serial only."""
    element_string = parse_gs1("]d2010061414100001210LOT-7\x1d21SN0001").element_string()
    values, text = decode_bars(gs1_128_symbol(element_string).build()[0])
    assert values.count(102) == 2
    assert text == "]C1010061414100001210LOT-7" + GS + "21SN0001"


@settings(max_examples=150, deadline=None)
@given(gs1_messages())
def test_label_bars_scan_back_to_the_same_elements(elements):
    """Any valid message rendered as GS1-128 decodes to a scan that parses identically."""
    message = GS1Data(elements=elements)
    _, scanned = decode_bars(gs1_128_symbol(message.element_string()).build()[0])
    assert parse_gs1(scanned, today=TODAY).elements == elements


def test_svg_and_png_output_carry_the_printed_text():
    """SVG shows the human-readable line; PNG output is a PNG (Pillow)."""
    svg = gs1_128("0109501101530003" + "10ABC123", hri="(01)09501101530003(10)ABC123")
    assert svg.startswith(b"<?xml") and b"(01)09501101530003(10)ABC123" in svg
    assert gs1_128("0109501101530003", fmt="png").startswith(b"\x89PNG")
    assert b"WO-1234" in code128("WO-1234")


@pytest.mark.parametrize("bad", ["", "10LOT é", GS + "10A", "10A" + GS, "10A#B"], ids=repr)
def test_unencodable_element_strings_are_refused(bad):
    """Characters outside GS1's set, or a dangling GS, never reach a label."""
    with pytest.raises(ValueError):
        gs1_128_symbol(bad)


def test_code128_refuses_non_ascii():
    """Plain Code 128 takes printable ASCII only."""
    with pytest.raises(ValueError):
        code128("Lot é")


def _zxing(png: bytes):
    import io

    import zxingcpp
    from PIL import Image

    (result,) = zxingcpp.read_barcodes(
        Image.open(io.BytesIO(png)), text_mode=zxingcpp.TextMode.Plain
    )
    return result


def test_a_png_label_read_by_a_real_decoder_is_the_same_element_string():
    """zxing-cpp reads the PNG as GS1-128 (]C1) with GS separators: the element string."""
    element_string = "0100614141000012" + "17281231" + "10L2612-00042" + GS + "21SN0001"
    result = _zxing(gs1_128(element_string, hri="(01)...", fmt="png"))
    assert result.symbology_identifier == "]C1"
    assert result.text == element_string


@settings(max_examples=40, deadline=None)
@given(gs1_messages())
def test_png_labels_decode_back_with_zxing(elements):
    """Any valid message rendered as a PNG decodes (zxing-cpp) to the same elements."""
    message = GS1Data(elements=elements)
    result = _zxing(gs1_128(message.element_string(), fmt="png"))
    assert result.symbology_identifier == "]C1"
    assert parse_gs1(result.symbology_identifier + result.text, today=TODAY).elements == elements
