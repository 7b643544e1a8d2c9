"""The station's WorkOrderBackend (screens/work_orders/backend.py) on the work-order
services (domain/services/work_orders/). Each method opens its own UnitOfWork, commits
what it recorded at once (progress survives a crash) and returns the screens' views. No
SQL here: every read is a domain service's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from domain.errors import InvalidInput, PermissionDenied
from domain.gs1 import parse_gs1
from domain.services import sign_check, signatures
from domain.services.eco import Signing
from domain.services.identity import IdentityPolicy
from domain.services.materials import lots
from domain.services.materials.db import lot_id
from domain.services.quality import step_inspections
from domain.services.signatures import RecordRef
from domain.services.work_orders import deviations, execution, planning, review, training
from domain.uow import UnitOfWork
from domain.views import work_orders as v
from kiosk.backend import credentials, record_to_sign
from kiosk.sessions import SessionBook
from kiosk.settings import StationSettings
from kiosk.station_balances import StationBalances
from kiosk.work_order_equipment import EquipmentAtStep, source_of, unit_connected, weighable
from kiosk.work_order_inspection import inspection_dto
from screens.backend import Proof, RecordToSign, SignatureLine
from screens.scans import looks_like_gs1
from screens.work_orders import backend as s

RUNNING = ("released", "in_progress")
TO_REVIEW = ("complete", "reviewed")


class KioskWorkOrderBackend(EquipmentAtStep):
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: StationSettings,
        *,
        sessions: SessionBook | None = None,
        balances: StationBalances | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.station = settings.name
        self.policy = IdentityPolicy.from_settings(settings)
        self.sessions = sessions or SessionBook(session_factory)
        self.balances = balances or StationBalances(settings.balances)

    def uow(self, actor: str, reason: str | None = None) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self.sessions.require(actor), reason)

    def signing(self, proof: Proof, comment: str | None, shown: RecordToSign | None) -> Signing:
        return Signing(
            credentials(proof), self.station, self.policy, comment,
            shown.version if shown else None, shown.content_hash if shown else None,
        )  # fmt: skip

    # -- queue ---------------------------------------------------------------------------------

    def work_centres(self, actor: str) -> list[str]:
        with self.uow(actor) as uow:
            return sorted({r.work_centre for r in planning.queue(uow)})

    def queue(self, actor: str, work_centre: str) -> list[s.QueueRow]:
        with self.uow(actor) as uow:
            # only the running ones (the plant's closed history is not read on every showing)
            orders = {o.number: o for status in RUNNING
                      for o in planning.list_work_orders(uow, status)}  # fmt: skip
            rows = planning.queue(uow, work_centre or None)
            return [_queue_row(orders[r.work_order], r) for r in rows if r.work_order in orders]

    def review_queue(self, actor: str) -> list[s.QueueRow]:
        with self.uow(actor) as uow:
            orders = [o for status in TO_REVIEW for o in planning.list_work_orders(uow, status)]
        return [_queue_row(o, None) for o in orders]

    # -- one step at a time --------------------------------------------------------------------

    def current_step(self, actor: str, number: str) -> s.StepView:
        with self.uow(actor) as uow:
            return self._current(uow, actor, number)

    def _current(self, uow: UnitOfWork, actor: str, number: str) -> s.StepView:
        return self._next(uow, actor, planning.get_work_order(uow, number))

    def _next(self, uow: UnitOfWork, actor: str, order: v.WorkOrderSummary) -> s.StepView:
        step_id = execution.next_open_step(uow, order.number)
        if step_id is None:
            return _done(order, order.steps_total)
        return self._step(uow, actor, order, execution.step_view(uow, step_id), order.steps_total)

    def _shown(self, uow: UnitOfWork, actor: str, step: v.StepView) -> s.StepView:
        order = planning.get_work_order(uow, step.work_order)
        if step.status == "done":  # the next one, or "all done"
            return self._next(uow, actor, order)
        return self._step(uow, actor, order, step, order.steps_total)

    def _step(
        self, uow: UnitOfWork, actor: str, order: v.WorkOrderSummary, step: v.StepView, total: int
    ) -> s.StepView:
        return s.StepView(
            work_order=order.number, item_number=order.item_number,
            description=order.item_description, quantity=_qty(order.quantity, order.unit),
            step_id=step.id, seq=step.seq, steps=total, op_number=step.op_number,
            op_title=step.op_title, work_centre=step.work_centre, step_number=step.step_number,
            title=step.title, instructions="\n\n".join(
                t for t in (step.op_instructions, step.instructions) if t.strip()),
            critical=step.critical, status=step.status, version=step.version,
            fields=tuple(
                replace(_field(f), weighable=weighable(step, f, self.balances)) for f in step.fields
            ) + _output_field(step, order),
            entries=tuple(_entries(step)) + _output_entry(step),
            signoffs=tuple(self._signoff(uow, actor, step, g) for g in step.signoffs),
            deviations=step.deviations,
            qualification=", ".join(step.qualifications),
            equipment_class=step.equipment_class or "", unit=step.unit,
            unit_connected=unit_connected(step, self.balances),
            inspection=inspection_dto(step),
        )  # fmt: skip

    def _signoff(
        self, uow: UnitOfWork, actor: str, step: v.StepView, g: v.SignoffView
    ) -> s.Signoff:
        signed = None
        if g.signed_by is not None and g.signed_at is not None:
            signed = SignatureLine(g.signed_by, g.signed_by_username or "", g.meaning, g.signed_at)
        refusal = None if signed else _own_refusal(uow, actor, step, g)
        return s.Signoff(g.meaning, g.role, signed, refusal)

    def record_value(self, actor: str, step_id: int, code: str, value: str, why: str) -> s.StepView:
        # The reason names the change in the audit trail (and a correction's reason).
        reason = why or f"step entry {code}"
        with self.uow(actor, reason) as uow:
            step = execution.step_view(uow, step_id)
            data = next((f for f in step.fields if f.code == code), None)
            if data is None:
                raise InvalidInput(f"Step {step.seq} records no field {code}.")
            current = data.current
            if current is not None:
                after = execution.correct_value(uow, current.id, value, why, step.version)
            else:
                after = execution.enter_value(uow, step_id, code, value, step.version)
            uow.commit()
        with self.uow(actor) as uow:
            return self._shown(uow, actor, execution.step_view(uow, after.id))

    def scan_component(self, actor: str, step_id: int, scanned: str) -> s.StepView:
        if self._is_unit(actor, step_id, scanned):
            return self.use_equipment(actor, step_id, scanned)
        with self.uow(actor, "component scan") as uow:
            step = execution.step_view(uow, step_id)
            lot_number, serial, count = _label(uow, scanned)
            lot = lots.get_lot(uow, lot_number)
            # a label's count is in the lot's unit; otherwise what the locked BOM needs,
            # in the BOM's unit (converted to the lot's by the ledger, exactly or refused)
            quantity, unit = (count, None) if count is not None else (
                execution.bom_requirement(uow, step_id, lot.lot_number))  # fmt: skip
            execution.record_consumption(
                uow, step_id, lot.lot_number, _bin_for(lot), quantity, serial=serial,
                unit=unit, expected_version=step.version,
            )  # fmt: skip
            uow.commit()  # at once: the ledger holds the lot's stock row until then
            return self._shown(uow, actor, execution.step_view(uow, step_id))

    def _is_unit(self, actor: str, step_id: int, scanned: str) -> bool:
        with self.uow(actor) as uow:
            return self.equipment_scanned(uow, execution.step_view(uow, step_id), scanned)

    def record_output(self, actor: str, step_id: int, quantity: str) -> s.StepView:
        amount = _decimal(quantity, "The quantity made")
        with self.uow(actor, "output recorded") as uow:
            step = execution.step_view(uow, step_id)
            bin_code = execution.output_bin(uow)
            after = execution.produce(uow, step_id, amount, bin_code, expected_version=step.version)
            uow.commit()
            return self._shown(uow, actor, after)

    def complete(self, actor: str, number: str, issued: str, used: str, destroyed: str) -> str:
        counts = [int(_decimal(x, "A label count")) for x in (issued, used, destroyed)]
        with self.uow(actor, "work order completed") as uow:
            planning.set_label_counts(uow, number, *counts)
            order = planning.complete_work_order(uow, number)
            uow.commit()
        return order.status

    def raise_deviation(self, actor: str, step_id: int, what: str, why: str) -> s.StepView:
        with self.uow(actor, "deviation raised at the step") as uow:
            deviations.open_deviation(uow, step_id, "other", what, "", "", why)
            uow.commit()
            return self._shown(uow, actor, execution.step_view(uow, step_id))

    def sign_step(self, actor: str, step_id: int, meaning: str, version: int) -> StepSign:
        return StepSign(self, actor, step_id, meaning, version)

    def approve_deviation(self, actor: str, number: str, version: int) -> DeviationApproval:
        return DeviationApproval(self, actor, number)

    def start_step(self, actor: str, step_id: int, version: int) -> s.StepView:
        with self.uow(actor, "step started") as uow:
            step_inspections.start_step(uow, step_id, version)
            uow.commit()
            return self._shown(uow, actor, execution.step_view(uow, step_id))

    def finish_step(self, actor: str, step_id: int, version: int) -> s.StepView:
        with self.uow(actor, "step closed") as uow:
            step = execution.finish_step(uow, step_id, version)
            uow.commit()
            return self._shown(uow, actor, step)

    def close_after_approval(self, actor: str, step_id: int) -> s.StepView:
        """After QA's approval (its own transaction, attributed to QA): the step closes as
        the signed-in person's act, when nothing else blocks it and they may close it (QA
        approving at their own desk holds no work.execute: the step waits for the operator)."""
        try:
            with self.uow(actor, "step closed after the deviation's approval") as uow:
                self.finish_if_ready(uow, execution.step_view(uow, step_id))
                uow.commit()
        except PermissionDenied:
            pass  # the step stays open: Next step ▶ closes it
        with self.uow(actor) as uow:
            return self._shown(uow, actor, execution.step_view(uow, step_id))

    def finish_if_ready(self, uow: UnitOfWork, step: v.StepView) -> v.StepView:
        """Close the step once nothing blocks it (the last signature, the last approval)."""
        return execution.finish_step(uow, step.id, step.version) if step.can_finish else step

    # -- QA review ------------------------------------------------------------------------------

    def review(self, actor: str, number: str) -> s.ReviewView:
        with self.uow(actor) as uow:
            order = planning.get_work_order(uow, number)
            rows = review.review_by_exception(uow, number)
            steps = execution.steps_of(uow, number)
            signed = signatures.signatures_for(uow, RecordRef("work_order", order.id))
            refusals = _review_refusals(uow, actor, order)
        return s.ReviewView(
            number=order.number, item_number=order.item_number,
            description=order.item_description, quantity=_qty(order.quantity, order.unit),
            status=order.status, version=order.version, output_lot=order.output_lot or "",
            output_status=order.output_lot_status or "",
            exceptions=tuple(rows),
            record=tuple(line for step in steps for line in _record(step)),
            signatures=tuple(_line(x) for x in signed), refusals=refusals,
        )  # fmt: skip

    def sign_review(self, actor: str, number: str, version: int) -> OrderSign:
        return OrderSign(self, actor, number, "reviewed")

    def lot_decision(self, actor: str, number: str, decision: str, version: int) -> OrderSign:
        return OrderSign(self, actor, number, decision)

    def expiring_qualifications(self, actor: str, days: int) -> list[v.ExpiringQualification]:
        with self.uow(actor) as uow:
            return training.expiring(uow, days)


# -- Signables --------------------------------------------------------------------------------


@dataclass
class StepSign:
    """A step signature (performed, verified, reviewed). ``after`` is the step to show
    next, read in the signature's own worker right after the commit."""

    backend: KioskWorkOrderBackend
    actor: str
    step_id: int
    meaning: str
    version: int
    shown: dict[str, RecordToSign] = field(default_factory=dict)
    after: s.StepView | None = None

    def describe(self) -> RecordToSign:
        with self.backend.uow(self.actor) as uow:
            summary = signatures.describe_record(uow, RecordRef("step_instance", self.step_id))
            inspected = _inspected(step_inspections.step_inspection(uow, self.step_id))
        self.shown["record"] = record = record_to_sign(summary, self.meaning, inspected)
        return record

    def sign(self, proof: Proof, comment: str | None) -> SignatureLine:
        b = self.backend
        signing = b.signing(proof, comment, self.shown.get("record"))
        with b.uow(self.actor, f"step signed {self.meaning}") as uow:
            step = execution.sign_step(uow, self.step_id, self.meaning, signing)
            step = b.finish_if_ready(uow, step)
            uow.commit()
            signoff = next(g for g in step.signoffs if g.meaning == self.meaning)
            self.after = b._shown(uow, self.actor, step)
        if signoff.signed_at is None:  # the content moved on under the signature
            raise InvalidInput("The signature is not on the step's content: look at it again.")
        return SignatureLine(
            signoff.signed_by or "", signoff.signed_by_username or "", self.meaning,
            signoff.signed_at, comment,
        )  # fmt: skip


@dataclass
class DeviationApproval:
    """QA's approval of a deviation, signed with QA's badge at any station (an operator's
    included: the operator stays signed in). Its step closes at once when nothing else
    blocks it; ``after`` is the step to show next, read in the signature's own worker."""

    backend: KioskWorkOrderBackend
    actor: str
    number: str
    meaning: str = "approved"
    shown: dict[str, RecordToSign] = field(default_factory=dict)
    after: s.StepView | None = None

    def describe(self) -> RecordToSign:
        # the database's summary of the deviation says what, expected, actual and why
        with self.backend.uow(self.actor) as uow:
            d = deviations.get_deviation(uow, self.number)
            summary = signatures.describe_record(uow, RecordRef("deviation", d.id))
        self.shown["record"] = record = record_to_sign(summary, self.meaning)
        return record

    def sign(self, proof: Proof, comment: str | None) -> SignatureLine:
        b = self.backend
        signing = b.signing(proof, comment, self.shown.get("record"))
        with b.uow(self.actor, f"deviation {self.number} approved") as uow:
            d = deviations.approve_deviation(uow, self.number, signing)
            uow.commit()
        if d.step_id is not None:
            self.after = b.close_after_approval(self.actor, d.step_id)
        return SignatureLine(d.decided_by or "", "", self.meaning, d.decided_at or d.opened_at)


@dataclass
class OrderSign:
    """QA's "reviewed" on a work order, or the release / rejection of its output lot."""

    backend: KioskWorkOrderBackend
    actor: str
    number: str
    action: str  # reviewed | release | reject
    shown: dict[str, RecordToSign] = field(default_factory=dict)

    @property
    def meaning(self) -> str:
        return {"reviewed": "reviewed", "release": "released", "reject": "rejected"}[self.action]

    def _record(self, uow: UnitOfWork) -> RecordRef:
        order = planning.get_work_order(uow, self.number)
        if self.action == "reviewed":
            return RecordRef("work_order", order.id)
        return RecordRef("lot", lot_id(uow, order.output_lot or ""))

    def describe(self) -> RecordToSign:
        with self.backend.uow(self.actor) as uow:
            summary = signatures.describe_record(uow, self._record(uow))
        lines = ("Includes the review of the work order's audit trail (Annex 11 §9).",)
        extra = lines if self.action == "reviewed" else ()
        self.shown["record"] = record = record_to_sign(summary, self.meaning, extra)
        return record

    def sign(self, proof: Proof, comment: str | None) -> SignatureLine:
        b = self.backend
        signing = b.signing(proof, comment, self.shown.get("record"))
        with b.uow(self.actor, f"work order {self.number} {self.meaning}") as uow:
            if self.action == "reviewed":
                review.review_work_order(uow, self.number, signing)
            elif self.action == "release":
                review.release_output(uow, self.number, signing)
            else:
                order = planning.get_work_order(uow, self.number)
                lots.reject_lot(uow, order.output_lot or "", signing)
            record = self._record(uow)
            uow.commit()
            line = _line(signatures.signatures_for(uow, record)[-1])
        return line


# -- mapping views ------------------------------------------------------------------------------


def _inspected(i: v.StepInspectionView | None) -> tuple[str, ...]:
    """The inspection the signature binds (it is in the step's signed content), named."""
    if i is None:
        return ()
    how = (i.decision or "no decision").replace("_", " ")
    ncr = ""
    if i.ncr_number:
        ncr = f", {i.ncr_number} {(i.ncr_disposition or 'open').replace('_', ' ')}"
    kind = i.inspection_type.replace("_", "-")
    return (f"Inspection: {kind} {i.number} of lot {i.lot_number}, {i.status} ({how}{ncr})",)


def _qty(quantity: Decimal, unit: str) -> str:
    return f"{quantity.normalize():f} {unit}"


def _queue_row(order: v.WorkOrderSummary, r: v.QueueRow | None) -> s.QueueRow:
    attention = f"{order.open_deviations} deviation(s) open" if order.open_deviations else ""
    step = f"Op {r.op_number} · {r.seq}/{order.steps_total} {r.title}" if r else order.progress
    return s.QueueRow(order.number, order.item_number, order.item_description,
                      _qty(order.quantity, order.unit), order.due_date, order.status, step,
                      attention)  # fmt: skip


def _done(order: v.WorkOrderSummary, total: int) -> s.StepView:
    return s.StepView(
        order.number, order.item_number, order.item_description, _qty(order.quantity, order.unit),
        0, total, total, 0, "", "", 0, "", "", False, "done", order.version, work_order_done=True,
    )  # fmt: skip


def _field(f: v.FieldView) -> s.DataField:
    return s.DataField(
        f.code, f.label, f.kind, f.unit or "", f.lower_limit, f.upper_limit, f.target,
        f.required, f.component or "",
    )  # fmt: skip


def _output_field(step: v.StepView, order: v.WorkOrderSummary) -> tuple[s.DataField, ...]:
    if not step.output:
        return ()
    label = f"Output made of {order.item_number} (planned {_qty(order.quantity, order.unit)})"
    return (s.DataField(s.OUTPUT_CODE, label, "output", order.unit),)


def _output_entry(step: v.StepView) -> tuple[s.Entry, ...]:
    return tuple(
        s.Entry(s.OUTPUT_CODE, e.value, False, e.entered_by, e.entered_at) for e in step.outputs
    )


def _entries(step: v.StepView) -> list[s.Entry]:
    out = []
    for f in step.fields:
        live = [e for e in f.history if not e.superseded]
        if f.kind == "lot_scan" and live:
            shown = ", ".join(e.value for e in live)
            last = live[-1]
            out.append(s.Entry(f.code, shown, False, last.entered_by, last.entered_at))
        elif live:
            e = live[-1]
            unit = f" {f.unit}" if f.unit and f.kind == "numeric" else ""
            shown = e.value.upper() if f.kind == "pass_fail" else e.value + unit
            source, instrument = source_of(e, f.unit or "")
            out.append(s.Entry(f.code, shown, e.out_of_limit, e.entered_by, e.entered_at,
                               e.supersedes is not None, e.reason, source, instrument))  # fmt: skip
    return out


def _decimal(text_value: str, what: str) -> Decimal:
    try:
        value = Decimal(text_value.strip())
    except ArithmeticError:
        raise InvalidInput(f"{what} is a number: {text_value!r} is not.") from None
    if not value.is_finite() or value < 0:
        raise InvalidInput(f"{what} is a number of 0 or more.")
    return value


def _own_refusal(uow: UnitOfWork, actor: str, step: v.StepView, g: v.SignoffView) -> str | None:
    """Why ``actor`` may not give this signature now, before any badge (the database's
    signing rules, then the step's own: the performer never verifies)."""
    if g.meaning != "performed":
        took_part = any(e.entered_by_username == actor for f in step.fields for e in f.history)
        signed = any(x.signed_by_username == actor for x in step.signoffs if x.meaning != g.meaning)
        if took_part or signed:
            return (f"You {'made entries at' if took_part else 'signed'} this step: another "
                    f"person signs it as {g.meaning}.")  # fmt: skip
    gap = training.qualification_gap(uow, actor, step.id)
    if gap and g.meaning in ("performed", "verified"):
        return f"Not qualified: {gap}"
    refusal = sign_check.signing_refusal(uow, RecordRef("step_instance", step.id), g.meaning, actor)
    return refusal


def _review_refusals(uow: UnitOfWork, actor: str, order: v.WorkOrderSummary) -> dict[str, str]:
    out: dict[str, str] = {}
    part = review.took_part(uow, actor, order.number)
    if order.status != "complete":
        out["reviewed"] = f"The work order is {order.status.replace('_', ' ')}."
    elif part:
        out["reviewed"] = f"You {part}: someone who took no part reviews it."
    elif order.open_deviations:
        out["reviewed"] = f"{order.open_deviations} deviation(s) open: QA approves them first."
    else:
        why = sign_check.signing_refusal(uow, RecordRef("work_order", order.id), "reviewed", actor)
        if why:
            out["reviewed"] = why
    for action in ("release", "reject"):
        if order.status != "reviewed":
            out[action] = "After QA's review of the work order."
        elif not order.output_lot or order.output_lot_status != "quarantine":
            out[action] = f"The output lot is {order.output_lot_status or 'not made'}."
        elif part and action == "release":
            out[action] = f"You {part}: nobody releases a lot they worked on."
    return out


def _record(step: v.StepView) -> list[s.RecordLine]:
    name = f"Op {step.op_number} · {step.seq} {step.title}"
    lines = [s.RecordLine(name, f"[{step.status}]")]
    if step.unit is not None:
        due = step.unit.calibration_due
        lines.append(s.RecordLine(
            name, f"{step.unit.class_name} used: {step.unit.asset_id} ({step.unit.description})"
            + (f", calibrated until {due:%Y-%m-%d}" if due else ""),
            step.unit.recorded_at, step.unit.recorded_by))  # fmt: skip
    for f in step.fields:
        for e in f.history:
            flag = " OUT OF LIMIT" if e.out_of_limit else ""
            flag += f" (read from {e.read_from})" if e.value_source == "balance" else ""
            old = " (superseded)" if e.superseded else ""
            why = f" — {e.reason}" if e.reason else ""
            lines.append(s.RecordLine(name, f"{f.label}: {e.value}{flag}{old}{why}",
                                      e.entered_at, e.entered_by))  # fmt: skip
    for g in step.signoffs:
        if g.signed_by:
            lines.append(s.RecordLine(name, f"signed {g.meaning}", g.signed_at, g.signed_by))
    return lines


def _line(x: signatures.SignatureView) -> SignatureLine:
    return SignatureLine(x.printed_name, x.username, x.meaning, x.signed_at, x.comment, x.valid)


def _label(uow: UnitOfWork, scanned: str) -> tuple[str, str | None, Decimal | None]:
    """(lot number, serial, count) from a GS1 label (AIs 10, 21, 30) or our lot label."""
    raw = scanned.strip()
    if looks_like_gs1(raw):
        label = parse_gs1(raw)
        if not label.lot:
            raise InvalidInput("The label carries no lot number (10): scan the lot label.")
        count = Decimal(label.count) if label.count is not None else None
        return label.lot, label.serial, count
    if not raw:
        raise InvalidInput("Nothing was scanned.")
    return raw.upper(), None, None


def _bin_for(lot: lots.LotView) -> str:
    """The bin holding the most of the lot (the ledger refuses a short one)."""
    held = sorted((x for x in lot.stock if x.quantity > 0), key=lambda x: -x.quantity)
    if not held:
        raise InvalidInput(f"Lot {lot.lot_number} has no stock in any bin.")
    return held[0].bin_code
