"""GTIN check digits (GS1 mod-10). GS1 barcode parsing builds on this in domain/gs1.py."""

from __future__ import annotations

from domain.errors import InvalidInput


def gtin_check_digit(body: str) -> int:
    """Check digit for the digits before it: weights 3,1,3,1... from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalise_gtin(raw: str) -> str:
    """GTIN-8/12/13/14 → GTIN-14, check digit verified."""
    digits = raw.strip()
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        raise InvalidInput(f"GTIN {raw!r} must be 8, 12, 13 or 14 digits.")
    digits = digits.zfill(14)
    if gtin_check_digit(digits[:-1]) != int(digits[-1]):
        raise InvalidInput(
            f"GTIN {raw!r} has a wrong check digit (expected {gtin_check_digit(digits[:-1])})."
        )
    return digits
