"""The JSON twin's canonical form: one serialisation so that its SHA-256 is reproducible
anywhere (sorted keys, compact separators, UTF-8, no floats — decimals are strings, times
are UTC ISO 8601 strings), and the signature binding hash recomputed without a database.

Nothing here imports database code: `workcell ebr verify` runs on an inspector's laptop.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

JSONValue = None | bool | int | str | list["JSONValue"] | dict[str, "JSONValue"]


def utc_text(value: dt.datetime) -> str:
    """A server time as the twin carries it (microseconds, Z), like workcell.utc_text."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def decimal_text(value: Decimal) -> str:
    """A decimal without trailing zeros and never in exponent form ("10.1", "12")."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "") else text


def plain(value: Any) -> JSONValue:
    """A typed record (frozen dataclasses, tuples, Decimals, times) as plain JSON values."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        raise TypeError("the JSON twin carries no floats: use a Decimal")
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, dt.datetime):
        return utc_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [plain(v) for v in value]
    raise TypeError(f"the JSON twin cannot carry a {type(value).__name__}")


def dumps(value: Any) -> bytes:
    """The canonical bytes of ``value`` (a typed record or plain JSON values)."""
    return json.dumps(
        plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# The fields workcell.signature_binding hashes, in its order (migration 0003).
BINDING_FIELDS = (
    "id", "record_type", "record_table", "record_id", "record_version", "content_hash",
    "meaning", "signer_id", "printed_name", "signed_at_utc", "method", "station", "comment",
)  # fmt: skip


def binding_hash(signature: Mapping[str, Any]) -> str:
    """workcell.signature_binding recomputed: SHA-256 of the jsonb array's text, which
    PostgreSQL writes with ", " between elements and JSON string escapes."""
    values = [signature[name] for name in BINDING_FIELDS]
    text = json.dumps(values, ensure_ascii=False, separators=(", ", ": "))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
