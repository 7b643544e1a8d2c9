"""Master data of the materials area: sites, zones, bins, suppliers and the approved-supplier
list per item, customers, the lot number pattern.

API:
  add_site(uow, code, name) / add_zone(uow, site, code, name, zone_type) / add_bin(uow, zone_code, site, code)
  add_supplier(uow, code, name) / approve_supplier(uow, item_number, supplier_code, note="")
  disqualify_supplier(uow, item_number, supplier_code, reason)
  add_customer(uow, code, name, address="")
  set_lot_number_pattern(uow, pattern, reason)
"""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

from domain.errors import InvalidInput
from domain.services.access import require_permission
from domain.services.materials.db import id_of, item_id, one, run, scalar
from domain.uow import UnitOfWork

ZONE_TYPES = (
    "receiving", "quarantine", "qc_hold", "production", "released_stock", "shipping", "reject",
)  # fmt: skip


def _insert(uow: UnitOfWork, sql: str, params: dict[str, object]) -> int:
    return int(scalar(uow, sql + " RETURNING id", params))


def add_site(uow: UnitOfWork, code: str, name: str) -> int:
    require_permission(uow, "location.manage")
    return _insert(
        uow, "INSERT INTO workcell.site (code, name, version) VALUES (:c, :n, 1)",
        {"c": code.strip().upper(), "n": name.strip()},
    )  # fmt: skip


def add_zone(uow: UnitOfWork, site: str, code: str, name: str, zone_type: str) -> int:
    require_permission(uow, "location.manage")
    if zone_type not in ZONE_TYPES:
        raise InvalidInput(f"A zone is one of: {', '.join(ZONE_TYPES)}.")
    return _insert(
        uow,
        "INSERT INTO workcell.zone (site_id, code, name, zone_type, version)"
        " VALUES (:s, :c, :n, :t, 1)",
        {"s": id_of(uow, "site", "code", site.strip().upper(), "site"),
         "c": code.strip().upper(), "n": name.strip(), "t": zone_type},
    )  # fmt: skip


def add_bin(uow: UnitOfWork, site: str, zone: str, code: str) -> int:
    require_permission(uow, "location.manage")
    row = one(
        uow,
        "SELECT z.id FROM workcell.zone z JOIN workcell.site s ON s.id = z.site_id"
        " WHERE s.code = :s AND z.code = :z",
        {"s": site.strip().upper(), "z": zone.strip().upper()},
    )
    if row is None:
        raise InvalidInput(f"There is no zone {zone} at site {site}.")
    return _insert(
        uow, "INSERT INTO workcell.bin (zone_id, code, version) VALUES (:z, :c, 1)",
        {"z": row[0], "c": code.strip().upper()},
    )  # fmt: skip


def add_supplier(uow: UnitOfWork, code: str, name: str) -> int:
    require_permission(uow, "supplier.manage")
    return _insert(
        uow, "INSERT INTO workcell.supplier (code, name, version) VALUES (:c, :n, 1)",
        {"c": code.strip().upper(), "n": name.strip()},
    )  # fmt: skip


def _entry(uow: UnitOfWork, item_number: str, supplier_code: str) -> tuple[int, int, str | None]:
    item = item_id(uow, item_number)
    supplier = id_of(uow, "supplier", "code", supplier_code.strip().upper(), "supplier")
    status = scalar(
        uow,
        "SELECT status FROM workcell.approved_supplier WHERE item_id = :i AND supplier_id = :s",
        {"i": item, "s": supplier},
    )
    return item, supplier, status


def approve_supplier(uow: UnitOfWork, item_number: str, supplier_code: str, note: str = "") -> None:
    """Put the supplier on the item's approved list (or approve a disqualified one again)."""
    require_permission(uow, "supplier.manage")
    item, supplier, status = _entry(uow, item_number, supplier_code)
    if status is None:
        run(
            uow,
            "INSERT INTO workcell.approved_supplier (item_id, supplier_id, note, version)"
            " VALUES (:i, :s, :n, 1)",
            {"i": item, "s": supplier, "n": note.strip()},
        )
    elif status == "disqualified":
        uow.set_reason(note.strip() or "supplier approved again")
        _set_status(uow, item, supplier, "approved", note)


def disqualify_supplier(uow: UnitOfWork, item_number: str, supplier_code: str, reason: str) -> None:
    require_permission(uow, "supplier.manage")
    if not reason.strip():
        raise InvalidInput("Say why the supplier is disqualified.")
    item, supplier, status = _entry(uow, item_number, supplier_code)
    if status != "approved":
        raise InvalidInput(f"{supplier_code} is not approved for {item_number}.")
    uow.set_reason(reason.strip()[:500])
    _set_status(uow, item, supplier, "disqualified", reason)


def _set_status(uow: UnitOfWork, item: int, supplier: int, status: str, note: str) -> None:
    run(
        uow,
        "UPDATE workcell.approved_supplier SET status = :st, note = :n, version = version + 1"
        " WHERE item_id = :i AND supplier_id = :s",
        {"st": status, "n": note.strip()[:500], "i": item, "s": supplier},
    )


def add_customer(uow: UnitOfWork, code: str, name: str, address: str = "") -> int:
    require_permission(uow, "location.manage")
    return _insert(
        uow, "INSERT INTO workcell.customer (code, name, address, version) VALUES (:c, :n, :a, 1)",
        {"c": code.strip().upper(), "n": name.strip(), "a": address.strip()},
    )  # fmt: skip


def set_lot_number_pattern(uow: UnitOfWork, pattern: str, reason: str) -> None:
    require_permission(uow, "materials.configure")
    run(uow, "SELECT workcell.set_lot_number_pattern(:p, :r)", {"p": pattern.strip(), "r": reason})
