"""Lot and serial labels: what a label says (the GS1 element string and the lines a person
reads) and the record that it was issued (workcell.label_issue, by workcell.issue_label).

Element strings come from domain.gs1 (one encoder): fixed-length elements first — GTIN
(01), production date (11), expiry (17) — then the variable-length lot (10) and serial (21),
so the only FNC1 separators are between variable-length elements. A serial label of a
finished device is its UDI: GTIN + production identifiers (11/17/10/21); without a GTIN it
is refused. Rendering (GS1-128 PNG/SVG, ZPL) is hardware.labels / hardware.zpl's.

API:
  label_for(uow, ident) -> LabelContent        ident: our lot number or a serial number
  issue_label(uow, ident, copies, fmt, destination, deliver) -> LabelContent
      the use case: recorded, then ``deliver(content)`` prints it (hardware is the
      caller's); if it raises, the caller's transaction rolls back and nothing is recorded
  record_issue(uow, content, copies, fmt, destination) -> int   (label.print)
  issued_count(uow, lot_number) -> int         labels issued for a lot (all copies)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.gs1 import GS1Data, GS1Element, encode, parse_gs1
from domain.services.access import require_permission
from domain.services.materials.db import lot_id, one, run, scalar
from domain.uow import UnitOfWork

FORMATS = ("png", "svg", "zpl")


@dataclass(frozen=True)
class LabelContent:
    kind: str  # "lot" or "serial"
    lot_id: int
    serial_id: int | None
    lot_number: str
    serial: str | None
    item_number: str
    description: str
    udi: bool  # a finished device's serial label (GTIN + production identifiers)
    gs1: GS1Data

    @property
    def element_string(self) -> str:
        return self.gs1.element_string()

    @property
    def hri(self) -> str:
        return self.gs1.hri()

    @property
    def lines(self) -> tuple[str, ...]:
        """The text printed above the barcode (the human-readable line goes below it)."""
        head = f"{self.item_number} {self.description}".strip()
        what = f"Lot {self.lot_number}" + (f"  SN {self.serial}" if self.serial else "")
        expiry = self.gs1.expiry
        tail = f"  EXP {expiry:%Y-%m-%d}" if expiry else ""
        return (head[:60], what + tail + ("  UDI" if self.udi else ""))


def label_elements(
    *, gtin: str | None, lot: str, serial: str | None = None,
    made: dt.date | None = None, expiry: dt.date | None = None,
) -> tuple[GS1Element, ...]:  # fmt: skip
    """The elements of a label, in GS1's order: fixed-length AIs first, then the
    variable-length ones (each needs FNC1 after it unless last)."""
    elements = [
        GS1Element("01", gtin) if gtin else None,
        GS1Element("11", f"{made:%y%m%d}") if made else None,
        GS1Element("17", f"{expiry:%y%m%d}") if expiry else None,
        GS1Element("10", lot),
        GS1Element("21", serial) if serial else None,
    ]
    present = [e for e in elements if e is not None]
    return tuple(sorted(present, key=lambda e: e.needs_separator))  # stable: fixed first


_LOT = """
SELECT l.id, l.lot_number, i.item_number, i.description, i.gtin, i.item_type, i.tracking,
       l.manufactured_date, l.expiry_date
  FROM workcell.lot l JOIN workcell.item i ON i.id = l.item_id WHERE l.id = :id
"""


def label_for(uow: UnitOfWork, ident: str) -> LabelContent:
    """The label of a lot (our lot number) or of a serial (its serial number)."""
    key = ident.strip()
    lot = scalar(uow, "SELECT id FROM workcell.lot WHERE lot_number = :n", {"n": key.upper()})
    serial = None
    if lot is None:
        rows = run(
            uow,
            "SELECT s.id, s.lot_id, s.serial_number, i.item_number FROM workcell.serial s"
            " JOIN workcell.item i ON i.id = s.item_id WHERE s.serial_number = :n ORDER BY s.id",
            {"n": key},
        )
        if not rows:
            raise NotFound(f"There is no lot or serial {key!r}.")
        if len(rows) > 1:
            items = ", ".join(r.item_number for r in rows)
            raise InvalidInput(f"Serial {key} exists for several items ({items}): name the lot.")
        serial, lot = rows[0], rows[0].lot_id
    row = one(uow, _LOT, {"id": lot})
    assert row is not None
    udi = serial is not None and row.item_type == "finished"
    if udi and not row.gtin:
        raise RuleViolation(
            f"{row.item_number} is a finished device without a GTIN: its serial label is a UDI "
            "and needs one. Ask engineering to add the GTIN.",
            title="No GTIN for the UDI",
        )
    elements = label_elements(
        gtin=row.gtin, lot=row.lot_number, serial=serial.serial_number if serial else None,
        made=row.manufactured_date, expiry=row.expiry_date,
    )  # fmt: skip
    # validated as a scanner will read it (character set, lengths, dates): what cannot be
    # scanned back is refused before anything is printed
    data = parse_gs1(encode(elements), today=row.expiry_date or dt.date.today())
    return LabelContent(
        "serial" if serial else "lot", int(row.id), int(serial.id) if serial else None,
        row.lot_number, serial.serial_number if serial else None, row.item_number,
        row.description, udi, data,
    )  # fmt: skip


def issue_label(
    uow: UnitOfWork, ident: str, copies: int, fmt: str, destination: str,
    deliver: Callable[[LabelContent], None],
) -> LabelContent:  # fmt: skip
    """Issue a label: recorded in ``uow``'s transaction, then delivered (printed, written);
    commit after this returned, so a label that did not print is never counted."""
    content = label_for(uow, ident)
    record_issue(uow, content, copies, fmt, destination)
    deliver(content)
    return content


def record_issue(
    uow: UnitOfWork, content: LabelContent, copies: int, fmt: str, destination: str
) -> int:
    """The label was issued (in the caller's transaction: commit after it was printed)."""
    require_permission(uow, "label.print")
    if fmt not in FORMATS:
        raise InvalidInput(f"A label is one of: {', '.join(FORMATS)}.")
    if not 1 <= copies <= 500:
        raise InvalidInput("Print 1 to 500 copies of a label.")
    what = content.lot_number + (f" serial {content.serial}" if content.serial else "")
    uow.set_reason(f"label issued for {what} ({copies} × {fmt} to {destination})"[:500])
    return int(
        scalar(
            uow,
            "SELECT workcell.issue_label(:lot, :serial, :copies, :fmt, :dest, :es)",
            {"lot": content.lot_id, "serial": content.serial_id, "copies": copies, "fmt": fmt,
             "dest": destination[:200], "es": content.element_string},
        )
    )  # fmt: skip


def issued_count(uow: UnitOfWork, lot_number: str) -> int:
    return int(
        scalar(
            uow,
            "SELECT coalesce(sum(copies), 0) FROM workcell.label_issue WHERE lot_id = :id",
            {"id": lot_id(uow, lot_number)},
        )
    )
