"""GS1 barcode data: element strings as scanned, or as printed in "(01)...(10)..." form.

Built on biip's table of application identifiers (formats, character sets, titles), with
what biip does not do for us: it accepts a wrong GTIN check digit and an empty string,
rejects the human-readable form, reads a too-long lot as the start of the next element,
and dates its century window from the wall clock. Here every element is validated, dates
follow GS1 General Specifications 7.12 (day 00 = last day of the month; sliding century
window relative to ``today``), and every refusal is an InvalidInput an operator can act on.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from biip import ParseError
from biip.gs1_application_identifiers import GS1ApplicationIdentifier

from domain.errors import InvalidInput
from domain.gtin import gtin_check_digit

GS = "\x1d"

# AIM symbology identifiers that carry GS1 element strings.
GS1_SYMBOLOGIES = {
    "]C1": "GS1-128",
    "]d2": "GS1 DataMatrix",
    "]Q3": "GS1 QR Code",
    "]e0": "GS1 DataBar",
    "]J1": "GS1 DotCode",
}
# ... and those that carry a bare GTIN (EAN/UPC, ITF-14).
GTIN_SYMBOLOGIES = {"]E0": "EAN-13/UPC-A", "]E4": "EAN-8", "]I1": "ITF-14"}

NAMES = {
    "00": "SSCC",
    "01": "GTIN",
    "02": "Contained GTIN",
    "10": "Lot number",
    "11": "Production date",
    "12": "Due date",
    "13": "Packaging date",
    "15": "Best-before date",
    "16": "Sell-by date",
    "17": "Expiry date",
    "21": "Serial number",
    "30": "Count",
    "37": "Count of units",
}
DATE_AIS = frozenset({"11", "12", "13", "15", "16", "17"})
CHECK_DIGIT_AIS = frozenset({"00", "01", "02"})


@functools.cache
def lookup_ai(code: str) -> GS1ApplicationIdentifier | None:
    """biip's entry for exactly this AI code, or None if GS1 does not define it."""
    try:
        entry = GS1ApplicationIdentifier.extract(code)
    except ParseError:
        return None
    return entry if entry.ai == code else None


def _entry(code: str) -> GS1ApplicationIdentifier:
    entry = lookup_ai(code)
    if entry is None:
        raise InvalidInput(f"({code}) is not a GS1 application identifier.")
    return entry


def name_of(ai: str) -> str:
    """A name an operator understands for an AI: 'Lot number', 'Net weight (kg)'..."""
    if ai in NAMES:
        return NAMES[ai]
    if ai[:3] == "310":
        return "Net weight (kg)"
    entry = lookup_ai(ai)
    return entry.data_title.capitalize() if entry else f"AI ({ai})"


@dataclass(frozen=True)
class GS1Element:
    """One element string: AI and its data exactly as encoded."""

    ai: str
    value: str

    @property
    def name(self) -> str:
        return name_of(self.ai)

    @property
    def variable_length(self) -> bool:
        low, high = _lengths(_entry(self.ai))
        return low != high

    @property
    def needs_separator(self) -> bool:
        """FNC1/GS must follow unless last: every AI outside the predefined-length table."""
        return bool(_entry(self.ai).separator_required)

    def hri(self) -> str:
        return f"({self.ai}){self.value}"


@dataclass(frozen=True)
class GS1Data:
    """A validated GS1 message, with the common fields decoded."""

    elements: tuple[GS1Element, ...]
    symbology: str | None = None  # "GS1-128", "GS1 DataMatrix"... None if not announced
    gtin: str | None = None  # always 14 digits
    lot: str | None = None
    serial: str | None = None
    expiry: date | None = None
    production_date: date | None = None
    best_before: date | None = None
    count: int | None = None
    net_weight_kg: Decimal | None = None
    sscc: str | None = None
    dates: dict[str, date] = field(default_factory=dict, compare=False, repr=False)

    def get(self, ai: str) -> str | None:
        return next((e.value for e in self.elements if e.ai == ai), None)

    def hri(self) -> str:
        """Human-readable form, as printed under the barcode: (01)...(17)...(10)..."""
        return "".join(e.hri() for e in self.elements)

    def element_string(self) -> str:
        """The data as encoded (without symbology id): GS after each element that needs
        one, except the last."""
        return encode(self.elements)


def encode(elements: tuple[GS1Element, ...] | list[GS1Element]) -> str:
    parts = []
    for index, element in enumerate(elements):
        parts.append(element.ai + element.value)
        if element.needs_separator and index < len(elements) - 1:
            parts.append(GS)
    return "".join(parts)


def parse_gs1(text: str, *, today: date | None = None, separators: str = GS) -> GS1Data:
    """Parse a scan or a typed human-readable string. Raises InvalidInput, nothing else."""
    today = today or date.today()
    raw = text.strip(" \r\n\t")
    if not raw:
        raise InvalidInput("Nothing was scanned. Scan the barcode again.", title="Empty scan")
    if raw.startswith("("):
        return _build(_parse_hri(raw), None, today)
    symbology = None
    if raw.startswith("]"):
        code, raw = raw[:3], raw[3:]
        if code in GTIN_SYMBOLOGIES:
            return _build((_bare_gtin(raw),), GTIN_SYMBOLOGIES[code], today)
        if code not in GS1_SYMBOLOGIES:
            raise _not_gs1(f"the scanner reports symbology {code!r}, which carries no GS1 data")
        symbology = GS1_SYMBOLOGIES[code]
    raw = raw.lstrip(separators)  # a leading FNC1 sent as GS by scanners without AIM ids
    if symbology is None and _looks_like_bare_gtin(raw):
        return _build((_bare_gtin(raw),), None, today)
    return _build(_parse_elements(raw, separators), symbology, today)


def _looks_like_bare_gtin(raw: str) -> bool:
    """EAN/UPC/ITF-14 scanned without symbology id: 8/12/13/14 digits, valid check digit.
    (Ambiguous with a lone fixed-length element such as (17)YYMMDD; scanners should send
    AIM symbology ids, see docs/hardware.md.)"""
    return (
        raw.isdigit() and len(raw) in (8, 12, 13, 14) and gtin_check_digit(raw[:-1]) == int(raw[-1])
    )


def _not_gs1(why: str) -> InvalidInput:
    return InvalidInput(f"Not a GS1 barcode: {why}.", title="Not a GS1 barcode")


def _bare_gtin(digits: str) -> GS1Element:
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        raise _not_gs1(f"{digits!r} is not a GTIN (8, 12, 13 or 14 digits)")
    return GS1Element("01", digits.zfill(14))


def _lengths(entry: GS1ApplicationIdentifier) -> tuple[int, int]:
    """(fixed part, maximum) data length from biip's format text, e.g. 'N4+N14[+X..16]'.
    The AI's data has a fixed length exactly when both are equal."""
    low = high = 0
    for part in entry.format.replace("[+", "+[").split("+")[1:]:
        optional = part.startswith("[")
        part = part.strip("[]")
        sizes = [int(n) for n in re.findall(r"\d+", part)] or [1]  # "[-]": one optional char
        high += sizes[-1]
        if not optional and ".." not in part:
            low += sizes[-1]
    return low, high


def _lookup_ai(rest: str) -> GS1ApplicationIdentifier:
    try:
        return GS1ApplicationIdentifier.extract(rest)
    except ParseError:
        if rest[:2].isdigit():
            raise _not_gs1(f"{rest[:4]!r} does not start a known application identifier") from None
        raise _not_gs1(f"{rest[:12]!r} is not GS1 element data") from None


def _parse_elements(raw: str, separators: str) -> tuple[GS1Element, ...]:
    elements: list[GS1Element] = []
    rest = raw
    while rest:
        entry = _lookup_ai(rest)
        data_start = rest[len(entry.ai) :]
        low, high = _lengths(entry)
        if low == high:
            data, rest = data_start[:high], data_start[high:]
        else:
            cut = min((i for i in (data_start.find(s) for s in separators) if i >= 0), default=-1)
            data, rest = (data_start, "") if cut < 0 else (data_start[:cut], data_start[cut:])
            if len(data) > high:
                raise InvalidInput(
                    f"{name_of(entry.ai)} is longer than {high} characters: a separator (GS) "
                    "is missing or the label is wrong.",
                    title="Check the label",
                )
        elements.append(_element(entry, data))
        rest = rest.lstrip(separators)
    return tuple(elements)


def _parse_hri(raw: str) -> tuple[GS1Element, ...]:
    text = "".join(raw.split())
    pieces = re.split(r"\((\d{2,4})\)", text)
    if pieces[0] or len(pieces) < 3:
        raise _not_gs1("expected the form (01)...(10)...")
    elements = []
    for ai, data in zip(pieces[1::2], pieces[2::2], strict=True):
        entry = lookup_ai(ai)
        if entry is None:
            raise _not_gs1(f"({ai}) is not a known application identifier")
        elements.append(_element(entry, data))
    return tuple(elements)


def _element(entry: GS1ApplicationIdentifier, data: str) -> GS1Element:
    name = name_of(entry.ai)
    low, high = _lengths(entry)
    if low == high and len(data) != high:
        raise InvalidInput(f"{name} must be {high} characters long; the scan has {len(data)}.")
    if not data:
        raise InvalidInput(f"{name} is empty.")
    if entry.ai in DATE_AIS and len(data) == 6 and data.isdigit():
        return GS1Element(entry.ai, data)  # month/day are checked by gs1_date, with a reason
    if not re.fullmatch(entry.pattern, entry.ai + data):
        what = "digits only" if entry.format.split("+")[1].startswith("N") else None
        bad = sorted({ch for ch in data if not re.fullmatch(r"[!\x22%-?A-Z_a-z]", ch)})
        if what:
            raise InvalidInput(f"{name} must be {what}: {data!r}.")
        if bad:
            raise InvalidInput(f"{name} contains characters not allowed in GS1 data: {bad!r}.")
        raise InvalidInput(f"{name} is not valid: {data!r}.")
    if entry.ai in CHECK_DIGIT_AIS and gtin_check_digit(data[:-1]) != int(data[-1]):
        raise InvalidInput(
            f"{name} check digit wrong: {data} should end in {gtin_check_digit(data[:-1])}. "
            "Rescan, or the label is misprinted.",
            title="Check digit wrong",
        )
    return GS1Element(entry.ai, data)


def gs1_date(yymmdd: str, today: date, what: str = "Date") -> date:
    """YYMMDD → date: day 00 = last day of the month; century by GS1's sliding window."""
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    if not 1 <= mm <= 12:
        raise InvalidInput(f"{what} {yymmdd}: month {mm:02d} does not exist.")
    century = today.year - today.year % 100
    difference = yy - today.year % 100
    if 51 <= difference <= 99:
        century -= 100
    elif -99 <= difference <= -50:
        century += 100
    year = century + yy
    last = calendar.monthrange(year, mm)[1]
    if dd == 0:
        return date(year, mm, last)
    if dd > last:
        raise InvalidInput(f"{what} {yymmdd}: day {dd} does not exist in {year}-{mm:02d}.")
    return date(year, mm, dd)


def _build(elements: tuple[GS1Element, ...], symbology: str | None, today: date) -> GS1Data:
    if not elements:
        raise InvalidInput("The barcode holds no data. Scan it again.", title="Empty scan")
    seen: dict[str, str] = {}
    for element in elements:
        if seen.setdefault(element.ai, element.value) != element.value:
            raise InvalidInput(f"{element.name} appears twice with different values.")
    dates = {e.ai: gs1_date(e.value, today, e.name) for e in elements if e.ai in DATE_AIS}
    weight = next((e for e in elements if e.ai[:3] == "310"), None)
    count = seen.get("30")
    return GS1Data(
        elements=elements,
        symbology=symbology,
        gtin=seen.get("01"),
        lot=seen.get("10"),
        serial=seen.get("21"),
        expiry=dates.get("17"),
        production_date=dates.get("11"),
        best_before=dates.get("15"),
        count=int(count) if count is not None else None,
        net_weight_kg=Decimal(weight.value).scaleb(-int(weight.ai[3])) if weight else None,
        sscc=seen.get("00"),
        dates=dates,
    )
