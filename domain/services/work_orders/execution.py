"""Step-by-step execution: the step as the station shows it, values committed one at a
time (the database flags out-of-limit values and opens their deviation), corrections that
keep the old value, component scans consumed through the materials ledger into the work
order's output lot, the output itself, the signatures the routing step demands, and the
close of a step. Each call is one entry in the caller's transaction (commit after each, so
progress survives a crash); two stations on one step: the second gets StaleRecord."""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from domain.errors import InvalidInput, NotFound
from domain.services.eco import Signing
from domain.services.materials.db import bin_id, lot_id, one, run, scalar, serial_id
from domain.services.quality.step_inspections import step_inspection
from domain.services.signatures import RecordRef, sign
from domain.services.work_orders.deviations import select_deviations
from domain.services.work_orders.planning import normalise
from domain.services.work_orders.step_units import unit_at
from domain.uow import UnitOfWork
from domain.views.work_orders import EntryView, FieldView, SignoffView, StepView

MEANINGS = ("performed", "verified", "reviewed")

_HEADER = """
SELECT si.id, w.number, w.status AS wo_status, si.seq, o.op_number, o.title AS op_title, o.work_centre,
       s.step_number, s.title, o.instructions AS op_instructions, s.instructions, s.critical, s.output,
       si.status, si.version, si.routing_step_id,
       workcell.record_content_hash('step_instance', si.id) AS content_hash,
       coalesce((SELECT array_agg(q.code) FROM workcell.step_qualifications(si.id) q), '{}') AS quals,
       workcell.step_blockers(si.id) || workcell.step_equipment_blockers(si.id)
           || workcell.step_inspection_blockers(si.id) AS blockers,
       s.equipment_class, s.inspection_type,
       CAST(workcell.work_order_stop(w.id) ->> 'seq' AS integer) AS stopped_at
  FROM workcell.step_instance si
  JOIN workcell.work_order w ON w.id = si.work_order_id
  JOIN workcell.routing_step s ON s.id = si.routing_step_id
  JOIN workcell.routing_operation o ON o.id = s.operation_id
"""
_FIELDS = """
SELECT d.id, d.code, d.label, d.kind, d.unit, d.lower_limit, d.upper_limit, d.target, c.item_number, d.required
  FROM workcell.routing_step_data d LEFT JOIN workcell.item c ON c.id = d.component_id
 WHERE d.step_id = :step ORDER BY d.position
"""
_ENTRIES = """
SELECT e.id, e.kind, d.code, e.value_numeric, e.value_pass, e.value_text, e.out_of_limit, l.lot_number,
       x.serial_number, e.quantity, e.unit, e.supersedes,
       EXISTS (SELECT 1 FROM workcell.step_entry n WHERE n.supersedes = e.id) AS superseded,
       e.reason, u.printed_name, u.username, e.entered_at, e.station, e.late, e.out_of_order,
       e.value_source, e.equipment_id, e.step_data_id, e.entered_quantity, e.entered_unit,
       rq.asset_id AS read_from, r.tare_value AS tare
  FROM workcell.step_entry e
  JOIN workcell.users u ON u.id = e.entered_by
  LEFT JOIN workcell.equipment_use r ON r.id = e.equipment_use_id
  LEFT JOIN workcell.equipment rq ON rq.id = r.equipment_id
  LEFT JOIN workcell.routing_step_data d ON d.id = e.step_data_id
  LEFT JOIN workcell.lot l ON l.id = e.lot_id
  LEFT JOIN workcell.serial x ON x.id = e.serial_id
 WHERE e.step_instance_id = :si ORDER BY e.id
"""
# the latest signature of each meaning on the step's current content, with a valid binding
_SIGNOFFS = """
SELECT g.meaning, g.role, u.printed_name, u.username, s.signed_at
  FROM workcell.routing_step_signoff g
  LEFT JOIN LATERAL (
      SELECT * FROM workcell.signature s0
       WHERE s0.record_type = 'step_instance' AND s0.record_id = :si AND s0.meaning = g.meaning
         AND s0.content_hash = :hash AND s0.binding_hash = workcell.signature_binding(s0)
       ORDER BY s0.id DESC LIMIT 1) s ON true
  LEFT JOIN workcell.users u ON u.id = s.signer_id
 WHERE g.step_id = :step ORDER BY g.position
"""


def _num(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def _entry(r: object) -> tuple[int | None, EntryView]:
    m = r._mapping  # type: ignore[attr-defined]
    if m["kind"] == "value":
        shown = (
            _num(m["value_numeric"]) if m["value_numeric"] is not None
            else ("pass" if m["value_pass"] else "fail") if m["value_pass"] is not None
            else str(m["value_text"])
        )  # fmt: skip
    else:
        serial = f" SN {m['serial_number']}" if m["serial_number"] else ""
        shown = f"{m['lot_number']}{serial} × {_num(m['quantity'])} {m['unit']}"
        if m["entered_unit"] and m["entered_unit"] != m["unit"]:
            shown += f" (entered {_num(m['entered_quantity'])} {m['entered_unit']})"
    view = EntryView(
        id=m["id"], kind=m["kind"], code=m["code"], value=shown, value_numeric=m["value_numeric"],
        out_of_limit=m["out_of_limit"], lot_number=m["lot_number"], serial_number=m["serial_number"],
        quantity=m["quantity"], unit=m["unit"], supersedes=m["supersedes"], superseded=m["superseded"],
        reason=m["reason"], entered_by=m["printed_name"], entered_by_username=m["username"],
        entered_at=m["entered_at"], station=m["station"], late=m["late"], out_of_order=m["out_of_order"],
        value_source=m["value_source"], equipment_id=m["equipment_id"],
        entered_quantity=m["entered_quantity"], entered_unit=m["entered_unit"],
        read_from=m["read_from"], tare=m["tare"],
    )  # fmt: skip
    return m["step_data_id"], view


def _field(f: object, history: tuple[EntryView, ...]) -> FieldView:
    m = f._mapping  # type: ignore[attr-defined]
    return FieldView(
        id=m["id"], code=m["code"], label=m["label"], kind=m["kind"], unit=m["unit"],
        lower_limit=m["lower_limit"], upper_limit=m["upper_limit"], target=m["target"],
        component=m["item_number"], required=m["required"], history=history,
    )  # fmt: skip


def step_view(uow: UnitOfWork, step_id: int) -> StepView:
    h = one(uow, _HEADER + " WHERE si.id = :id", {"id": step_id})
    if h is None:
        raise NotFound(f"There is no step {step_id}.")
    m = h._mapping
    entries = [_entry(r) for r in run(uow, _ENTRIES, {"si": step_id})]
    fields = tuple(
        _field(f, tuple(e for data_id, e in entries if data_id == f.id))
        for f in run(uow, _FIELDS, {"step": m["routing_step_id"]})
    )
    signoffs = tuple(
        SignoffView(*r)
        for r in run(
            uow, _SIGNOFFS, {"si": step_id, "hash": m["content_hash"], "step": m["routing_step_id"]}
        )
    )
    return StepView(
        id=m["id"], work_order=m["number"], work_order_status=m["wo_status"], seq=m["seq"],
        op_number=m["op_number"], op_title=m["op_title"], work_centre=m["work_centre"],
        step_number=m["step_number"], title=m["title"], op_instructions=m["op_instructions"],
        instructions=m["instructions"], critical=m["critical"], output=m["output"], status=m["status"],
        version=m["version"], content_hash=m["content_hash"], qualifications=tuple(m["quals"]),
        fields=fields, outputs=tuple(e for _, e in entries if e.kind == "output"), signoffs=signoffs,
        deviations=tuple(select_deviations(uow, "v.step_instance_id = :si", {"si": step_id})),
        blocking=tuple(m["blockers"] or ()),
        equipment_class=m["equipment_class"], unit=unit_at(uow, step_id),
        inspection_type=m["inspection_type"], inspection=step_inspection(uow, step_id),
        stopped_at=m["stopped_at"],
    )  # fmt: skip


def steps_of(uow: UnitOfWork, number: str) -> list[StepView]:
    """Every step of a work order in routing order."""
    ids = run(
        uow,
        "SELECT si.id FROM workcell.step_instance si JOIN workcell.work_order w ON w.id = si.work_order_id"
        " WHERE w.number = :n ORDER BY si.seq",
        {"n": normalise(number)},
    )
    return [step_view(uow, int(r[0])) for r in ids]


def next_open_step(uow: UnitOfWork, number: str) -> int | None:
    """The step to do next on a work order (the first not done), None when all are done:
    one indexed read, so the station shows the next step without reading every step."""
    found = scalar(
        uow,
        "SELECT si.id FROM workcell.step_instance si JOIN workcell.work_order w ON w.id = si.work_order_id"
        " WHERE w.number = :n AND si.status <> 'done' ORDER BY si.seq LIMIT 1",
        {"n": normalise(number)},
    )
    return None if found is None else int(found)


def enter_value(
    uow: UnitOfWork, step_id: int, code: str, value: str, expected_version: int, *,
    equipment_id: int | None = None, value_source: str = "typed",
) -> StepView:  # fmt: skip
    """Record one value (numeric, pass/fail, text) of the step, attributed to the session
    holder by the database; out of limits it is flagged and a deviation opened."""
    if not value.strip():
        raise InvalidInput("Enter a value.")
    scalar(
        uow,
        "SELECT workcell.wo_enter(:s, :code, :value, :v, :eq, :src)",
        {
            "s": step_id,
            "code": code,
            "value": value.strip(),
            "v": expected_version,
            "eq": equipment_id,
            "src": value_source,
        },
    )
    return step_view(uow, step_id)


def correct_value(
    uow: UnitOfWork, entry_id: int, value: str, reason: str, expected_version: int
) -> StepView:
    """A new value superseding ``entry_id``; the old value, the reason and the corrector stay."""
    if not reason.strip():
        raise InvalidInput("Say why the value is corrected.")
    if len(reason) > 500:
        raise InvalidInput("A correction reason has at most 500 characters.")
    scalar(
        uow,
        "SELECT workcell.wo_correct(:e, :value, :reason, :v)",
        {"e": entry_id, "value": value.strip(), "reason": reason.strip(), "v": expected_version},
    )
    step = scalar(
        uow, "SELECT step_instance_id FROM workcell.step_entry WHERE id = :e", {"e": entry_id}
    )
    return step_view(uow, int(step))


def consume(
    uow: UnitOfWork, step_id: int, lot_number: str, bin_code: str, quantity: Decimal, *,
    serial: str | None = None, unit: str | None = None, expected_version: int | None = None,
) -> StepView:  # fmt: skip
    """``record_consumption``, then the step as it now stands, read in the same transaction
    (for callers that do not mind holding the lot's stock row until they commit; a station
    commits first and reads after, see ``record_consumption``)."""
    record_consumption(uow, step_id, lot_number, bin_code, quantity, serial=serial, unit=unit,
                       expected_version=expected_version)  # fmt: skip
    return step_view(uow, step_id)


_CONSUME_IDS = """
SELECT (SELECT work_order_id FROM workcell.step_instance WHERE id = :s) AS wo,
       (SELECT id FROM workcell.lot WHERE lot_number = :lot) AS lot,
       (SELECT id FROM workcell.bin WHERE code = :bin) AS bin
"""


def record_consumption(
    uow: UnitOfWork, step_id: int, lot_number: str, bin_code: str, quantity: Decimal, *,
    serial: str | None = None, unit: str | None = None, expected_version: int | None = None,
) -> int:  # fmt: skip
    """A component scan: refused (and nothing consumed) when the lot's item is not on the
    locked BOM or not scanned here, or the lot is in quarantine, on hold, expired or short.
    ``quantity`` is in ``unit`` (None: the lot's own); another unit is converted to the
    lot's through the item's conversions, exactly or refused (UnitConversionRefused): the
    ledger counts the lot's unit, the entry keeps what was entered. Returns the entry's id.

    Only the write: the ledger locks the lot and its stock row (every station consuming
    from a shared lot queues on them) and holds them until the commit, so the caller
    commits at once and reads the step afterwards (``step_view``). The names are resolved
    in one statement before anything is locked; wo_consume takes the stock row last."""
    if quantity <= 0:
        raise InvalidInput("A consumption is more than 0.")
    ids = one(uow, _CONSUME_IDS, {"s": step_id, "lot": lot_number.strip().upper(),
                                  "bin": bin_code.strip().upper()})  # fmt: skip
    if ids is None or ids.wo is None:
        raise NotFound(f"There is no step {step_id}.")
    if ids.lot is None:
        raise NotFound(f"There is no lot {lot_number.strip().upper()!r}.")
    if ids.bin is None:
        raise NotFound(f"There is no bin {bin_code.strip().upper()!r}.")
    entry = scalar(
        uow,
        "SELECT workcell.wo_consume(:wo, :s, :lot, :serial, :qty, :unit, :bin, :v)",
        {
            "wo": ids.wo, "s": step_id, "lot": ids.lot,
            "serial": serial_id(uow, ids.lot, serial) if serial else None,
            "qty": quantity, "unit": unit, "bin": ids.bin, "v": expected_version,
        },
    )  # fmt: skip
    return int(entry)


def bom_requirement(uow: UnitOfWork, step_id: int, lot_number: str) -> tuple[Decimal, str | None]:
    """What the locked BOM needs of the lot's item for the work order's quantity, in the
    BOM line's unit (the ledger converts it to the lot's). Lines of one component in
    several units are summed in the lot's unit. A rework work order's own lot: the work
    order's quantity (the lot's stock when it was planned). (1, None) when the item is not
    on the BOM: the consumption is then refused by the database with its reason."""
    rework = one(
        uow,
        "SELECT w.quantity, w.unit FROM workcell.step_instance si"
        " JOIN workcell.work_order w ON w.id = si.work_order_id"
        " WHERE si.id = :s AND w.rework_lot_id = :lot",
        {"s": step_id, "lot": lot_id(uow, lot_number)},
    )
    if rework is not None:
        return Decimal(rework.quantity).normalize(), str(rework.unit)
    rows = run(
        uow,
        "SELECT b.unit, sum(b.quantity_per) * w.quantity AS needed, l.item_id, l.unit AS lot_unit"
        "  FROM workcell.step_instance si"
        "  JOIN workcell.work_order w ON w.id = si.work_order_id"
        "  JOIN workcell.lot l ON l.id = :lot"
        "  JOIN workcell.bom_line b ON b.bom_revision_id = w.bom_revision_id AND b.component_id = l.item_id"
        " WHERE si.id = :s GROUP BY b.unit, w.quantity, l.item_id, l.unit ORDER BY b.unit",
        {"s": step_id, "lot": lot_id(uow, lot_number)},
    )
    if not rows:
        return Decimal(1), None
    if len(rows) == 1:
        return Decimal(rows[0].needed).normalize(), str(rows[0].unit)
    total = sum(
        (Decimal(scalar(uow, "SELECT workcell.to_base_unit(:i, :q, :u, :w)",
                        {"i": r.item_id, "q": r.needed, "u": r.unit, "w": f"lot {lot_number}"}))
         for r in rows),
        Decimal(0),
    )  # fmt: skip
    return total.normalize(), str(rows[0].lot_unit)


def output_bin(uow: UnitOfWork) -> str:
    """Where a station puts the output: the first active bin of a quarantine zone."""
    found = scalar(
        uow,
        "SELECT b.code FROM workcell.bin b JOIN workcell.zone z ON z.id = b.zone_id"
        " WHERE z.zone_type = 'quarantine' AND b.active ORDER BY b.id LIMIT 1",
    )
    if found is None:
        raise InvalidInput("No quarantine bin is set up for the output.")
    return str(found)


def produce(
    uow: UnitOfWork, step_id: int, quantity: Decimal, bin_code: str,
    serials: Sequence[str] = (), expected_version: int | None = None,
) -> StepView:  # fmt: skip
    """The output made at this step, into a quarantine bin (serials for a serialised item)."""
    if quantity <= 0:
        raise InvalidInput("Output is more than 0.")
    scalar(
        uow,
        "SELECT workcell.wo_produce(:s, :qty, :bin, CAST(:serials AS text[]), :v)",
        {"s": step_id, "qty": quantity, "bin": bin_id(uow, bin_code),
         "serials": [x.strip() for x in serials] or None, "v": expected_version},
    )  # fmt: skip
    return step_view(uow, step_id)


def sign_step(uow: UnitOfWork, step_id: int, meaning: str, signing: Signing) -> StepView:
    """``record_step_signature``, then the step as it now stands (same transaction)."""
    record_step_signature(uow, step_id, meaning, signing)
    return step_view(uow, step_id)


def record_step_signature(uow: UnitOfWork, step_id: int, meaning: str, signing: Signing) -> None:
    """Sign the step as the routing demands (badge + PIN of the signer, who may be a
    supervisor at the operator's station). The database refuses a signature the step does
    not call for, out of order, by the wrong role, by the performer for verified/reviewed,
    or by someone not qualified. What the dialog showed (``signing.expected_version`` /
    ``expected_hash``) is what is signed; without it, the step's version and content now."""
    if meaning not in MEANINGS:
        raise InvalidInput(f"A step is signed as one of: {', '.join(MEANINGS)}.")
    sign(
        uow, RecordRef("step_instance", step_id), meaning, signing.creds, station=signing.station,
        policy=signing.policy, comment=signing.comment, expected_version=signing.expected_version,
        expected_hash=signing.expected_hash,
    )  # fmt: skip


def finish_step(uow: UnitOfWork, step_id: int, expected_version: int) -> StepView:
    """Close the step (in progress → done): refused while anything blocks it."""
    scalar(uow, "SELECT workcell.wo_step_done(:s, :v)", {"s": step_id, "v": expected_version})
    return step_view(uow, step_id)
