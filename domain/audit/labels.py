"""Names instead of internal ids in the audit trail: what a person calls a record ("item
WID-100", "lot L-2026-0042", "users erin.eng"), the names behind the ids inside an entry's
before/after images (item_id 3 → WID-100, signer_id 7 → quinn.qa), and a record filter given
by such a name turned into the key the trail stores.

For the audit screens (kiosk/audit_backend.py) and `workcell audit show` alike: one place,
so the kiosk and the CLI name records the same way. Foreign keys are read from the catalog
(single-column constraints of the entry's table), so a new table's references are named
without a change here as long as the table they point to is in NAME_COLUMNS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from domain.audit.query import AuditFilter, qualified_table

# The column a person knows each kind of record by (the table's natural key).
NAME_COLUMNS: dict[str, str] = {
    "workcell.item": "item_number",
    "workcell.users": "username",
    "workcell.eco": "number",
    "workcell.lot": "lot_number",
    "workcell.serial": "serial_number",
    "workcell.supplier": "code",
    "workcell.customer": "code",
    "workcell.site": "code",
    "workcell.zone": "code",
    "workcell.bin": "code",
    "workcell.shipment": "shipment_number",
    "workcell.production_record": "number",
}
# How a typed name is compared: item and ECO numbers and codes are stored in capitals,
# usernames in lower case; lot, serial and document numbers exactly as typed.
_FOLD = {"item_number": "upper", "number": "upper", "code": "upper", "username": "lower"}

# what a person calls a record, by the column of its image (first that is present)
_NAME_KEYS = ("item_number", "username", "number", "lot_number", "serial_number", "name")
_USER_KEYS = ("user_id", "signer_id")

_IMAGES = text(
    "SELECT e.id, e.table_name, coalesce(e.after, e.before) FROM audit.entry e"
    " WHERE e.id = ANY(:ids)"
)
_FOREIGN_KEYS = text(
    "SELECT a.attname, c.confrelid::regclass::text FROM pg_constraint c"
    " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
    " WHERE c.contype = 'f' AND cardinality(c.conkey) = 1"
    "   AND c.conrelid = to_regclass(:table)"
)


def _qualified(regclass: str) -> str:
    return regclass if "." in regclass else f"workcell.{regclass}"


def _names(session: Session, table: str, ids: Iterable[int]) -> dict[int, str]:
    """id → natural key for ``table`` (one query)."""
    column = NAME_COLUMNS[table]
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(
        text(f"SELECT id, {column}::text FROM {table} WHERE id = ANY(:ids)"),
        {"ids": wanted},
    ).all()
    return {int(i): str(n) for i, n in rows if n is not None}


def resolve_record(session: Session, flt: AuditFilter) -> AuditFilter:
    """The filter with a record given by its name ("WID-100", "L-2026-0042", "erin.eng")
    turned into the key the trail stores; a key (digits) or an unknown name stays as given."""
    if not flt.table or not flt.record or flt.record.strip().isdigit():
        return flt
    table = qualified_table(flt.table)
    column = NAME_COLUMNS.get(table)
    if column is None:
        return flt
    fold = _FOLD.get(column, "")
    keys = session.execute(
        text(f"SELECT id::text FROM {table} WHERE {column} = {fold}(:v) LIMIT 2"),
        {"v": flt.record.strip()},
    ).scalars()
    found = list(keys)
    # a name two records share (a serial number of two items, a bin code of two zones)
    # names neither: the filter stays as typed and matches no key
    return replace(flt, record=str(found[0])) if len(found) == 1 else flt


def _user_refs(image: object) -> list[int]:
    if not isinstance(image, dict):
        return []
    return [int(image[k]) for k in _USER_KEYS if isinstance(image.get(k), int)]


def _label(table: str, image: object, usernames: Mapping[int, str]) -> str | None:
    """ "item WID-100", "user_role erin.eng engineer"...; None: keep the key."""
    if not isinstance(image, dict):
        return None
    short = table.removeprefix("workcell.")
    name = next((str(image[k]) for k in _NAME_KEYS if image.get(k)), None)
    if name is None:
        user = next(
            (usernames.get(image[k]) for k in _USER_KEYS if image.get(k) in usernames), None
        )
        if user is None:
            return None
        extra = image.get("role") or image.get("meaning") or ""
        name = f"{user} {extra}".strip()
    if "revision" in image and image.get("revision"):
        name = f"{name} rev {image['revision']}"
    return f"{short} {name}"


def record_labels(session: Session, entry_ids: Sequence[int]) -> dict[int, str]:
    """What a person calls each entry's record, by entry id; entries without such a name are
    absent (their table and key are shown)."""
    rows = session.execute(_IMAGES, {"ids": list(entry_ids)}).all()
    user_ids = {v for _, _, img in rows for v in _user_refs(img)}
    names = _names(session, "workcell.users", user_ids)
    return {int(i): label for i, table, img in rows if (label := _label(table, img, names))}


def reference_names(
    session: Session, table: str, images: Iterable[Mapping[str, Any] | None]
) -> dict[str, dict[int, str]]:
    """column → {id → name} for the foreign keys of ``table`` found in ``images`` (an
    entry's before and after): what item_id 3 or signer_id 7 are called."""
    refs = {
        str(column): _qualified(str(target))
        for column, target in session.execute(_FOREIGN_KEYS, {"table": table}).all()
        if _qualified(str(target)) in NAME_COLUMNS
    }
    wanted: dict[str, set[int]] = {}
    for image in images:
        for column, target in refs.items():
            value = (image or {}).get(column)
            if isinstance(value, int) and not isinstance(value, bool):
                wanted.setdefault(target, set()).add(value)
    found = {target: _names(session, target, ids) for target, ids in wanted.items()}
    return {column: found[target] for column, target in refs.items() if target in found}
