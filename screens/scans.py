"""What a scan means to a screen: a GS1 barcode's GTIN, or the scanned text as it is."""

from __future__ import annotations

from domain.gs1 import GS, parse_gs1


def looks_like_gs1(data: str) -> bool:
    """Symbology id, human-readable AIs, a GS separator, or a bare 8-14 digit GTIN."""
    raw = data.strip()
    return raw[:1] in ("]", "(") or GS in raw or (raw.isdigit() and 8 <= len(raw) <= 14)


def scanned_gtin(data: str) -> str | None:
    """The GTIN a GS1 scan carries (14 digits, check digit verified), else None.

    Raises InvalidInput (the operator's message) when it looks like GS1 but is not valid.
    """
    if not looks_like_gs1(data):
        return None
    return parse_gs1(data).gtin
