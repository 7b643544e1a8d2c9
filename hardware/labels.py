"""Lot and serial labels: GS1-128 and plain Code 128 via python-barcode (SVG, or PNG via Pillow).

Input is the GS1 element string as ``domain.gs1.GS1Data.element_string()`` renders it: GS
(ASCII 29) after each variable-length element that is not last. python-barcode's GS1-128
writer adds only the leading FNC1; each GS is turned into an FNC1 symbol character here
(passing GS through would encode a literal ASCII 29, which scanners do not treat as FNC1).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Literal

from barcode.codex import Code128, Gs1_128
from barcode.writer import SVGWriter

GS = "\x1d"
FNC1 = Gs1_128.FNC1_CHAR
Format = Literal["svg", "png"]
# GS1 "AI encodable character set 82" plus GS; anything else cannot be on a GS1 label.
_GS1_CHARS = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz" + GS
)


@dataclass(frozen=True)
class LabelJob:
    """One label to print: the GS1 element string (GS between variable-length elements),
    its human-readable form (printed under the bars), the text lines above the barcode,
    and the number of copies. What a LabelPrinter takes."""

    element_string: str
    hri: str
    lines: tuple[str, ...] = ()
    copies: int = 1


def render(job: LabelJob, fmt: Format) -> bytes:
    """A lot or serial label as an image: the GS1-128 bars with the human-readable line
    under them (the text lines are for ZPL labels; an image carries the HRI only)."""
    return gs1_128(job.element_string, hri=job.hri, fmt=fmt)


def gs1_128_symbol(element_string: str) -> Gs1_128:
    """The barcode object (``.build()`` gives the bar pattern) for a GS1 element string."""
    if not element_string:
        raise ValueError("nothing to encode")
    bad = sorted(set(element_string) - _GS1_CHARS)
    if bad:
        raise ValueError(f"characters not allowed on a GS1 label: {bad!r}")
    if element_string.startswith(GS) or element_string.endswith(GS):
        raise ValueError("the element string must not start or end with GS")
    return Gs1_128(element_string.replace(GS, FNC1))


def gs1_128(element_string: str, *, hri: str | None = None, fmt: Format = "svg") -> bytes:
    """A GS1-128 label; ``hri`` (e.g. "(01)...(10)...") is printed under the bars."""
    return _render(gs1_128_symbol(element_string), hri, fmt)


def code128(text: str, *, fmt: Format = "svg") -> bytes:
    """A plain Code 128 label (internal ids, work-order numbers)."""
    if not text or any(not (32 <= ord(c) < 127) for c in text):
        raise ValueError("Code 128 labels take printable ASCII only")
    return _render(Code128(text), text, fmt)


def _render(symbol: Any, text: str | None, fmt: Format) -> bytes:
    if fmt == "png":
        from barcode.writer import ImageWriter  # needs Pillow

        symbol.writer = ImageWriter()
    else:
        symbol.writer = SVGWriter()
    buffer = io.BytesIO()
    symbol.write(buffer, {"module_width": 0.33, "module_height": 15.0}, text)
    return buffer.getvalue()
