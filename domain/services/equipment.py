"""Equipment and instruments (issue 14 item 7; docs/equipment.md): classes and units, their
status, calibration (signed "calibrated", equipment.calibrate) and cleaning records, the
usable check a step makes when a unit is scanned, the record of which unit was used, and a
weighing from a registered balance. Every rule is the database's (migration 0015); the
service names the refusal first where it can.

API:
  add_class(uow, EquipmentClass)                                   (equipment.manage)
  register(uow, Registration) -> EquipmentView                     (equipment.manage)
  set_status(uow, asset_id, status, reason) -> EquipmentView       (take_out / manage)
  calibrate(uow, asset_id, Calibration, signing) -> int            (equipment.calibrate, signed)
  clean(uow, asset_id, procedure, comment="") -> int               (equipment.clean)
  list_equipment(uow, class_name=None) -> list[EquipmentView]
  get_equipment(uow, asset_id) -> EquipmentDetail
  check_usable(uow, asset_id, class_name) -> int                   equipment id, or the refusal
  weigh(uow, asset_id, scale, class_name="BALANCE") -> Weighing    stable reading + its facts
  record_use(uow, equipment_id, context, context_id, weighing=None) -> int   (equipment.use)
"""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from domain.errors import DeviceMismatch, EquipmentUnknown, InvalidInput, WorkCellError
from domain.services.eco import Signing
from domain.services.materials.db import one, run, scalar
from domain.services.signatures import RecordRef, sign
from domain.uow import UnitOfWork

STATUSES = ("in_service", "out_of_service", "retired")
WEIGHING_UNITS = ("mg", "g", "kg")


@dataclass(frozen=True)
class EquipmentClass:
    name: str
    description: str
    calibration_interval_days: int | None = None
    cleaning_interval_days: int | None = None
    weighing: bool = False


@dataclass(frozen=True)
class Registration:
    asset_id: str
    class_name: str
    description: str
    location: str = ""
    device_serial: str | None = None
    readability: Decimal | None = None
    capacity: Decimal | None = None
    weighing_unit: str | None = None


@dataclass(frozen=True)
class Calibration:
    result: str  # "pass" | "fail"
    certificate: str
    next_due: dt.date | None = None  # from the certificate; None for a failed calibration
    provider: str = ""
    comment: str = ""


@dataclass(frozen=True)
class EquipmentView:
    id: int
    asset_id: str
    class_name: str
    description: str
    location: str
    status: str
    status_reason: str
    device_serial: str | None
    readability: Decimal | None
    capacity: Decimal | None
    weighing_unit: str | None
    calibration_due: dt.date | None
    last_calibration_id: int | None
    cleaning_due: dt.date | None
    last_cleaned_at: dt.datetime | None
    version: int
    usable: bool = True
    refusal: str | None = None  # why it may not be used now (the database's message)


@dataclass(frozen=True)
class HistoryLine:
    at: dt.datetime
    kind: str  # calibration | cleaning | status | use
    by: str
    text: str


@dataclass(frozen=True)
class EquipmentDetail:
    unit: EquipmentView
    history: list[HistoryLine] = field(default_factory=list)


class ScaleReading(Protocol):
    @property
    def value(self) -> Decimal: ...

    @property
    def unit(self) -> str: ...


class Scale(Protocol):
    """What a weighing needs of a balance (hardware.balance.MtSicsBalance provides it; the
    domain does not import hardware). Its errors are the adapter's own (BalanceError, with
    an operator-readable message): the caller shows them like any refusal."""

    @property
    def tare_weight(self) -> ScaleReading | None: ...

    def serial_number(self) -> str: ...

    def stable_weight(self) -> ScaleReading: ...


@dataclass(frozen=True)
class Weighing:
    """A stable reading and what a step entry stores beside it (211.188(b)(4))."""

    equipment_id: int
    asset_id: str
    value: Decimal
    unit: str
    tare: Decimal | None
    device_serial: str
    calibration_id: int | None
    calibration_due: dt.date | None
    readability: Decimal | None

    def reading(self) -> dict[str, str | None]:
        """The reading as workcell.record_equipment_use takes it."""
        return {
            "value": str(self.value),
            "unit": self.unit,
            "tare": None if self.tare is None else str(self.tare),
            "device_serial": self.device_serial,
        }


_UNIT = """
    SELECT e.id, e.asset_id, e.class_code AS class_name, e.description, e.location, e.status,
           e.status_reason, e.device_serial, e.readability, e.capacity, e.weighing_unit,
           e.calibration_due, e.last_calibration_id, e.cleaning_due, e.last_cleaned_at, e.version
      FROM workcell.equipment e
"""


def _upper(value: str) -> str:
    return value.strip().upper()


def add_class(uow: UnitOfWork, cls: EquipmentClass) -> None:
    uow.set_reason(f"equipment class {_upper(cls.name)}")
    run(
        uow,
        "INSERT INTO workcell.equipment_class (name, description, calibration_interval_days,"
        " cleaning_interval_days, weighing, version) VALUES (:n, :d, :cal, :clean, :w, 1)",
        {"n": _upper(cls.name), "d": cls.description.strip(), "cal": cls.calibration_interval_days,
         "clean": cls.cleaning_interval_days, "w": cls.weighing},
    )  # fmt: skip


def register(uow: UnitOfWork, reg: Registration) -> EquipmentView:
    if reg.weighing_unit is not None and reg.weighing_unit not in WEIGHING_UNITS:
        raise InvalidInput(f"A balance weighs in {', '.join(WEIGHING_UNITS)}.")
    if not reg.description.strip():
        raise InvalidInput("Describe the unit (make, model).")
    uow.set_reason(f"equipment {_upper(reg.asset_id)} registered")
    run(
        uow,
        "INSERT INTO workcell.equipment (asset_id, class_code, description, location,"
        " device_serial, readability, capacity, weighing_unit, version)"
        " VALUES (:a, :c, :d, :l, :s, :r, :cap, :u, 1)",
        {"a": _upper(reg.asset_id), "c": _upper(reg.class_name), "d": reg.description.strip(),
         "l": reg.location.strip(), "s": (reg.device_serial or "").strip() or None,
         "r": reg.readability, "cap": reg.capacity, "u": reg.weighing_unit},
    )  # fmt: skip
    return get_unit(uow, reg.asset_id)


def set_status(uow: UnitOfWork, asset_id: str, status: str, reason: str) -> EquipmentView:
    """Take out of service, return to service or retire, with a reason (a guarded move)."""
    if status not in STATUSES:
        raise InvalidInput(f"A unit is one of: {', '.join(STATUSES)}.")
    if not reason.strip():
        raise InvalidInput("Say why the status changes.")
    unit = get_unit(uow, asset_id)
    uow.set_reason(f"{unit.asset_id} {status.replace('_', ' ')}: {reason.strip()}"[:500])
    rows = run(
        uow,
        "UPDATE workcell.equipment SET status = :s, status_reason = :r, version = version + 1"
        " WHERE id = :id AND version = :v RETURNING id",
        {"s": status, "r": reason.strip()[:200], "id": unit.id, "v": unit.version},
    )
    if not rows:
        raise WorkCellError(f"{unit.asset_id} changed meanwhile: reload it and try again.")
    return get_unit(uow, asset_id)


def calibrate(uow: UnitOfWork, asset_id: str, cal: Calibration, signing: Signing) -> int:
    """A calibration record, signed "calibrated" by the person recording it (one PIN entry:
    the signature and the record are one transaction). Returns the record's id."""
    if cal.result not in ("pass", "fail"):
        raise InvalidInput("A calibration passes or fails.")
    if (cal.result == "pass") != (cal.next_due is not None):
        raise InvalidInput("A passed calibration has the next due date from its certificate.")
    if not cal.certificate.strip():
        raise InvalidInput("Give the calibration certificate's reference.")
    unit = get_unit(uow, asset_id)
    signature = sign(
        uow, RecordRef("equipment", unit.id), "calibrated", signing.creds,
        station=signing.station, policy=signing.policy,
        comment=signing.comment or f"calibration {cal.result}, certificate {cal.certificate}",
        expected_version=signing.expected_version or unit.version,
        expected_hash=signing.expected_hash,
    )  # fmt: skip
    uow.set_reason(f"{unit.asset_id} calibration {cal.result} ({cal.certificate.strip()})"[:500])
    return int(
        scalar(
            uow,
            "SELECT workcell.record_calibration(:id, :res, :cert, :prov, :due, :sig, :c)",
            {
                "id": unit.id,
                "res": cal.result,
                "cert": cal.certificate.strip(),
                "prov": cal.provider,
                "due": cal.next_due,
                "sig": signature.id,
                "c": cal.comment,
            },
        )
    )


def clean(uow: UnitOfWork, asset_id: str, procedure: str, comment: str = "") -> int:
    if not procedure.strip():
        raise InvalidInput("Name the cleaning procedure followed (SOP).")
    unit = get_unit(uow, asset_id)
    uow.set_reason(f"{unit.asset_id} cleaned ({procedure.strip()})"[:500])
    return int(
        scalar(
            uow,
            "SELECT workcell.record_cleaning(:id, :p, :c)",
            {"id": unit.id, "p": procedure, "c": comment},
        )
    )


def check_usable(uow: UnitOfWork, asset_id: str, class_name: str | None) -> int:
    """The scanned unit's id when it may be used for this class now; else the refusal
    (EquipmentUnknown, WrongEquipment, EquipmentOutOfService, EquipmentOutOfCalibration,
    EquipmentNotClean)."""
    return int(
        scalar(uow, "SELECT workcell.equipment_usable(:a, :c)", {"a": asset_id, "c": class_name})
    )


def weigh(uow: UnitOfWork, asset_id: str, scale: Scale, class_name: str = "BALANCE") -> Weighing:
    """A stable reading from the registered balance ``asset_id`` on ``scale``: the balance
    must be usable and report the registered serial, the reading be in its unit."""
    equipment_id = check_usable(uow, asset_id, class_name)
    unit = get_unit(uow, asset_id)
    serial = scale.serial_number()
    if serial != unit.device_serial:
        raise DeviceMismatch(
            f"The balance connected reports serial {serial}, not {unit.device_serial} "
            f"({unit.asset_id}): connect the station to {unit.asset_id} or scan the balance "
            "you use."
        )
    reading = scale.stable_weight()
    if reading.unit != unit.weighing_unit:
        raise InvalidInput(
            f"{unit.asset_id} shows {reading.unit}; it is registered in {unit.weighing_unit}: "
            "set the balance's display unit back."
        )
    tare = scale.tare_weight
    return Weighing(
        equipment_id, unit.asset_id, reading.value, reading.unit,
        None if tare is None else tare.value, serial, unit.last_calibration_id,
        unit.calibration_due, unit.readability,
    )  # fmt: skip


def record_use(
    uow: UnitOfWork,
    equipment_id: int,
    context: str,
    context_id: int,
    weighing: Weighing | None = None,
) -> int:
    """Which unit was used for ``(context, context_id)`` (e.g. a step entry), checked usable
    again at this moment; returns the use record's id."""
    reading = None if weighing is None else json.dumps(weighing.reading())
    return int(
        scalar(
            uow,
            "SELECT workcell.record_equipment_use(:e, :ctx, :cid, CAST(:r AS jsonb))",
            {"e": equipment_id, "ctx": context, "cid": context_id, "r": reading},
        )
    )


def get_unit(uow: UnitOfWork, asset_id: str) -> EquipmentView:
    row = one(uow, _UNIT + " WHERE e.asset_id = :a", {"a": _upper(asset_id)})
    if row is None:
        raise EquipmentUnknown(f"There is no equipment {asset_id.strip()!r}.")
    return _view(uow, row)


def list_equipment(uow: UnitOfWork, class_name: str | None = None) -> list[EquipmentView]:
    rows = run(
        uow,
        _UNIT + " WHERE CAST(:c AS text) IS NULL OR e.class_code = :c ORDER BY e.asset_id",
        {"c": None if class_name is None else _upper(class_name)},
    )
    return [_view(uow, r) for r in rows]


def get_equipment(uow: UnitOfWork, asset_id: str) -> EquipmentDetail:
    unit = get_unit(uow, asset_id)
    rows = run(uow, _HISTORY, {"id": unit.id})
    return EquipmentDetail(unit, [HistoryLine(r.at, r.kind, r.by, r.text) for r in rows])


def _view(uow: UnitOfWork, row: object) -> EquipmentView:
    values = dict(row._mapping)  # type: ignore[attr-defined]
    refusal = None
    try:
        with uow.session.begin_nested():
            check_usable(uow, str(values["asset_id"]), None)
    except WorkCellError as exc:
        refusal = exc.message
    return EquipmentView(**values, usable=refusal is None, refusal=refusal)


_HISTORY = """
    SELECT * FROM (
        SELECT c.calibrated_at AS at, 'calibration' AS kind, u.username AS by,
               format('%s, certificate %s%s%s', c.result, c.certificate,
                      CASE WHEN c.provider <> '' THEN ' (' || c.provider || ')' ELSE '' END,
                      CASE WHEN c.next_due IS NOT NULL THEN ', next due ' || c.next_due ELSE '' END) AS text
          FROM workcell.equipment_calibration c JOIN workcell.users u ON u.id = c.actor_id
         WHERE c.equipment_id = :id
        UNION ALL
        SELECT k.cleaned_at, 'cleaning', u.username,
               format('%s%s', k.procedure, CASE WHEN k.next_due IS NOT NULL THEN ', valid until ' || k.next_due ELSE '' END)
          FROM workcell.equipment_cleaning k JOIN workcell.users u ON u.id = k.actor_id
         WHERE k.equipment_id = :id
        UNION ALL
        SELECT t.at, 'status', u.username,
               format('%s -> %s%s', t.from_status, t.to_status, CASE WHEN t.comment <> '' THEN ': ' || t.comment ELSE '' END)
          FROM workcell.status_transition t JOIN workcell.users u ON u.id = t.actor_id
         WHERE t.record_type = 'equipment' AND t.record_id = :id
        UNION ALL
        SELECT x.used_at, 'use', u.username,
               format('%s %s%s', x.context, x.context_id,
                      CASE WHEN x.reading_value IS NOT NULL THEN format(' (%s %s)', trim_scale(x.reading_value), x.reading_unit) ELSE '' END)
          FROM workcell.equipment_use x JOIN workcell.users u ON u.id = x.actor_id
         WHERE x.equipment_id = :id
    ) h ORDER BY at DESC LIMIT 200
"""
