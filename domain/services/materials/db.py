"""The SQL helpers every materials service shares: run a statement and translate a
database refusal at once (so the caller sees the WorkCellError, not a DBAPIError), and look
records up by the codes people scan or type."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import text

from domain.errors import NotFound, translate
from domain.uow import UnitOfWork


def run(uow: UnitOfWork, sql: str, params: Mapping[str, Any] | None = None) -> Sequence[Any]:
    """Execute in the unit of work's transaction; rows if the statement returns any."""
    try:
        result = uow.session.execute(text(sql), dict(params or {}))
    except Exception as exc:
        raise (translate(exc) or exc) from exc
    return list(result.all()) if getattr(result, "returns_rows", False) else []


def one(uow: UnitOfWork, sql: str, params: Mapping[str, Any] | None = None) -> Any:
    rows = run(uow, sql, params)
    return rows[0] if rows else None


def scalar(uow: UnitOfWork, sql: str, params: Mapping[str, Any] | None = None) -> Any:
    row = one(uow, sql, params)
    return None if row is None else row[0]


def id_of(uow: UnitOfWork, table: str, column: str, value: str, what: str) -> int:
    """The id of the row whose code (lot number, bin code...) is ``value``, or NotFound."""
    found = scalar(
        uow, f"SELECT id FROM workcell.{table} WHERE {column} = :v", {"v": value.strip()}
    )
    if found is None:
        raise NotFound(f"There is no {what} {value.strip()!r}.")
    return int(found)


def lot_id(uow: UnitOfWork, lot_number: str) -> int:
    return id_of(uow, "lot", "lot_number", lot_number.strip().upper(), "lot")


def bin_id(uow: UnitOfWork, code: str) -> int:
    return id_of(uow, "bin", "code", code.strip().upper(), "bin")


def item_id(uow: UnitOfWork, item_number: str) -> int:
    return id_of(uow, "item", "item_number", item_number.strip().upper(), "item")


def serial_id(uow: UnitOfWork, lot: int, serial_number: str) -> int:
    found = scalar(
        uow,
        "SELECT id FROM workcell.serial WHERE lot_id = :lot AND serial_number = :sn",
        {"lot": lot, "sn": serial_number.strip()},
    )
    if found is None:
        raise NotFound(f"Serial {serial_number.strip()!r} is not in that lot.")
    return int(found)


def plant_today(uow: UnitOfWork) -> dt.date:
    """Today in the plant's time zone, by the database server's clock."""
    value = scalar(uow, "SELECT workcell.plant_today()")
    assert isinstance(value, dt.date)
    return value
