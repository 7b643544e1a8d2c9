"""MT-SICS (Mettler Toledo Standard Interface Command Set), level 0/1: the responses a
balance sends, parsed into frozen dataclasses. Pure: no I/O, no clock.

A response is one line (CR LF stripped) of space-separated fields, the first naming the
command answered:

    S S      12.345 g     stable weight (S, SI) or tare weight (T)
    S D      12.301 g     dynamic (not stable) weight, from SI
    S I                   command understood, not executable now (busy, no stability in time)
    S +      S -          overload / underload (also T +, T -, Z +, Z -)
    Z A                   zero set
    I4 A "B123456789"     serial number
    ES  ET  EL            syntax error / transmission error / logical error

Anything else raises ProtocolError (a ValueError), never something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

#: commands this client sends (CR LF appended on the wire)
STABLE, IMMEDIATE, TARE, ZERO, SERIAL = "S", "SI", "T", "Z", "I4"
WEIGHT_COMMANDS = ("S", "SI", "T")
STATUS_COMMANDS = ("S", "SI", "T", "Z", "I4")
ERRORS = {
    "ES": "the balance did not recognise the command (syntax error)",
    "ET": "the balance received a garbled command (transmission error)",
    "EL": "the balance cannot execute the command (logical error)",
}
UNITS = ("g", "mg", "kg", "ug", "ct", "lb", "oz", "ozt", "dwt", "GN", "N")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_SERIAL = re.compile(r'"([!-~ ]{1,40})"')

WeightStatus = Literal["S", "D"]
Condition = Literal["I", "+", "-", "A", "L"]


class ProtocolError(ValueError):
    """The line is not an MT-SICS response this client understands."""


@dataclass(frozen=True)
class WeightResponse:
    """A weight: ``stable`` is status S; ``command`` S, SI or T (T: the tare just taken)."""

    command: str
    stable: bool
    value: Decimal
    unit: str


@dataclass(frozen=True)
class ConditionResponse:
    """No value: I (not executable now), + (overload), - (underload), A (done), L (logical
    error in the parameters)."""

    command: str
    condition: Condition


@dataclass(frozen=True)
class SerialResponse:
    serial: str


@dataclass(frozen=True)
class ErrorResponse:
    """ES, ET or EL: ``message`` says what it means."""

    code: str

    @property
    def message(self) -> str:
        return ERRORS[self.code]


Response = WeightResponse | ConditionResponse | SerialResponse | ErrorResponse


def parse_response(line: str) -> Response:
    """One response line (with or without its CR LF)."""
    text = line.rstrip("\r\n")
    if text in ERRORS:
        return ErrorResponse(text)
    fields = text.split()
    if not fields or text[:1].isspace():
        raise ProtocolError(f"not an MT-SICS response: {line!r}")
    command = fields[0]
    if command == SERIAL:
        return _serial(text, fields, line)
    if command not in STATUS_COMMANDS or len(fields) < 2:
        raise ProtocolError(f"not an MT-SICS response: {line!r}")
    status = fields[1]
    if status in ("S", "D") and command in WEIGHT_COMMANDS:
        if status == "D" and command == TARE:
            raise ProtocolError(f"a tare is never dynamic: {line!r}")
        return _weight(command, status, fields, line)
    if len(fields) == 2 and status in ("I", "+", "-", "A", "L"):
        if status == "A" and command != ZERO:
            raise ProtocolError(f"unexpected acknowledgement: {line!r}")
        return ConditionResponse(command, status)  # type: ignore[arg-type]
    raise ProtocolError(f"not an MT-SICS response: {line!r}")


def _weight(command: str, status: str, fields: list[str], line: str) -> WeightResponse:
    if len(fields) != 4 or not _NUMBER.fullmatch(fields[2]) or fields[3] not in UNITS:
        raise ProtocolError(f"not a weight: {line!r}")
    try:
        value = Decimal(fields[2])
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise ProtocolError(f"not a weight: {line!r}") from exc
    return WeightResponse(command, status == "S", value, fields[3])


def _serial(text: str, fields: list[str], line: str) -> SerialResponse:
    if len(fields) < 3 or fields[1] != "A":
        raise ProtocolError(f"not a serial number response: {line!r}")
    found = _SERIAL.fullmatch(text.split(None, 2)[2])
    if found is None or not found.group(1).strip():
        raise ProtocolError(f"not a serial number response: {line!r}")
    return SerialResponse(found.group(1).strip())


def format_weight(command: str, stable: bool, value: Decimal, unit: str) -> str:
    """A weight line as a balance sends it (value right-aligned in 10 columns)."""
    return f"{command} {'S' if stable else 'D'} {value:>10} {unit}"
