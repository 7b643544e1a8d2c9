"""The JSON twin's canonical form (issue 15): sorted keys, compact, UTF-8, no floats,
decimals without trailing zeros or exponents, UTC times — so its SHA-256 is reproducible."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from domain.records import canonical


def test_keys_sorted_compact_and_utf8() -> None:
    assert canonical.dumps({"b": 1, "a": "µ", "c": [True, None]}) == (
        '{"a":"µ","b":1,"c":[true,null]}'.encode()
    )


def test_decimals_are_strings_without_trailing_zeros_or_exponents() -> None:
    assert canonical.plain(Decimal("10.100000")) == "10.1"
    assert canonical.plain(Decimal("1E+1")) == "10"
    assert canonical.plain(Decimal("-0.000")) == "0"


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError, match="no floats"):
        canonical.dumps({"x": 1.5})


def test_times_are_utc_with_microseconds() -> None:
    at = dt.datetime(2026, 12, 2, 9, 0, 1, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert canonical.plain(at) == "2026-12-02T08:00:01.000005Z"


def test_binding_hash_uses_postgresql_jsonb_text() -> None:
    """The array text PostgreSQL hashes: ", " between elements, JSON string escapes."""
    fields = dict.fromkeys(canonical.BINDING_FIELDS, "x")
    fields.update(id=1, record_id=2, record_version=3, signer_id=4, comment=None)
    fields["printed_name"] = 'Zoë "Q" O\'Neil\n'
    expected = canonical.sha256_hex(
        b'[1, "x", "x", 2, 3, "x", "x", 4, "Zo\xc3\xab \\"Q\\" O\'Neil\\n", "x", "x", "x", null]'
    )
    assert canonical.binding_hash(fields) == expected
