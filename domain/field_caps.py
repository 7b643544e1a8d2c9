"""Size caps of free-text and JSON fields: refused here, with the field and the limit named,
before the database's CHECK constraint (ck_<table>_<column>_len, migration 0010) refuses it.

The caps live in the database (workcell.field_cap, one row per column), so there is one list:
each engine's caps are read once. Every ORM flush is checked (``install`` hooks a session
factory); writes through database functions check their argument with ``check`` first (a
signature comment is checked before the PIN is spent).

API: install(session_factory) -> None
     check(session, table, column, value) -> None        (raises InvalidInput)
     cap_message(constraint_name, size=None) -> str | None  (for domain/errors.py)
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import InvalidInput


@dataclass(frozen=True)
class FieldCap:
    table: str  # schema-qualified, e.g. workcell.eco
    column: str
    label: str
    max_length: int
    unit: str  # 'characters' (text; text[] joined) or 'bytes' (the JSON text of a jsonb value)
    constraint: str

    def size(self, value: Any) -> int:
        """The value's size as the database's constraint measures it."""
        if value is None:
            return 0
        if self.unit == "bytes":
            # jsonb's text form: ", " and ": " separators, non-ASCII kept as UTF-8
            return len(json.dumps(value, ensure_ascii=False, separators=(", ", ": ")).encode())
        if isinstance(value, (list, tuple)):
            return len(",".join(str(v) for v in value if v is not None))
        return len(str(value))

    def message(self, size: int | None = None) -> str:
        told = f" ({size:,} {self.unit})" if size is not None else ""
        return (
            f"{self.label} is too long{told}: at most {self.max_length:,} {self.unit}. "
            "Shorten it; nothing was saved."
        )


_CAPS = text(
    "SELECT table_name, column_name, label, max_length, unit, constraint_name"
    " FROM workcell.field_cap"
)
_lock = threading.Lock()
_by_engine: dict[str, dict[tuple[str, str], FieldCap]] = {}
_by_constraint: dict[str, FieldCap] = {}


def _caps(session: Session) -> dict[tuple[str, str], FieldCap]:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    key = engine.url.render_as_string(hide_password=True)
    caps = _by_engine.get(key)
    if caps is not None:
        return caps
    conn = session.connection()  # not session.execute: no autoflush from inside a flush
    exists = conn.execute(text("SELECT to_regclass('workcell.field_cap') IS NOT NULL")).scalar()
    rows = conn.execute(_CAPS).all() if exists else []
    caps = {(r[0], r[1]): FieldCap(r[0], r[1], r[2], int(r[3]), r[4], r[5]) for r in rows}
    if caps:  # no caps read (a database before migration 0010): ask again next time
        with _lock:
            _by_engine[key] = caps
            _by_constraint.update({c.constraint: c for c in caps.values()})
    return caps


def check(session: Session, table: str, column: str, value: Any) -> None:
    """Refuse ``value`` for ``table.column`` if it exceeds the column's cap."""
    cap = _caps(session).get((table, column))
    if cap is not None and value is not None:
        size = cap.size(value)
        if size > cap.max_length:
            raise InvalidInput(cap.message(size), title="Too long")


def check_objects(session: Session, objects: Iterable[object]) -> None:
    """Every capped column of every object about to be written."""
    caps = _caps(session)
    if not caps:
        return
    for obj in objects:
        mapper = inspect(obj).mapper
        table = mapper.local_table
        name = f"{getattr(table, 'schema', None) or 'public'}.{getattr(table, 'name', '')}"
        for column in getattr(table, "columns", ()):
            cap = caps.get((name, column.name))
            if cap is None:
                continue
            prop = mapper.get_property_by_column(column)
            check(session, name, column.name, getattr(obj, prop.key, None))


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    check_objects(session, [*session.new, *session.dirty])


# Not event.contains(): SQLAlchemy keys its registry by id(target) and keeps the key after a
# factory is garbage collected, so a new factory at a reused address looked installed and
# its flushes went unchecked (tests/unit/test_field_caps.py shows it).
_installed: weakref.WeakSet[sessionmaker[Session]] = weakref.WeakSet()


def install(session_factory: sessionmaker[Session]) -> None:
    """Check every flush of this factory's sessions against the caps."""
    with _lock:
        if session_factory in _installed:
            return
        _installed.add(session_factory)
    event.listen(session_factory, "before_flush", _before_flush)


def cap_message(constraint: str, size: int | None = None) -> str | None:
    """The refusal of a cap constraint in words, if this process has read the caps."""
    cap = _by_constraint.get(constraint)
    return cap.message(size) if cap else None
