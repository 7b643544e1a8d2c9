"""The station's QualityBackend (screens/quality/backend.py) on the quality services.

Each method opens its own UnitOfWork in the acting person's database session. What a
person may do is asked of the database before any badge (`sign_check.signing_refusal`,
`access.require_permission`) and checked again when done. Completion, dispositions, NCR
approvals and CAPA sections are Signables driven by the shared SignatureModal; each checks
what it can (results missing, comment empty) before the PIN is asked.
"""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.services import sign_check, signatures
from domain.services.access import permissions_of
from domain.services.eco import Signing
from domain.services.materials.db import id_of, plant_today, run, scalar
from domain.services.quality import capa, inspections, matrix, ncr, switching
from domain.services.signatures import RecordRef
from domain.uow import UnitOfWork
from kiosk.backend import credentials, record_to_sign, signature_line
from kiosk.materials_backend import KioskMaterialsBackend
from screens.backend import Proof, RecordToSign, SignatureLine
from screens.quality.backend import (
    CapaDetail,
    CapaRow,
    Characteristic,
    InspectionDetail,
    InspectionRow,
    MatrixDetail,
    MatrixView,
    NcrDetail,
    NcrForm,
    NcrRow,
    OverdueLine,
    PlanLine,
    SectionLine,
    SwitchingRow,
    SwitchingView,
)

INSPECTION_MEANINGS = {"release": "released", "reject": "rejected", "refer": "referred"}

_OPEN = """
SELECT i.number, l.lot_number, it.item_number, s.code AS supplier, i.inspection_type, i.status,
       i.decision, i.sample_size,
       (SELECT count(*) FROM workcell.inspection_result r WHERE r.inspection_id = i.id
           AND NOT EXISTS (SELECT 1 FROM workcell.inspection_result_invalidation x WHERE x.result_id = r.id)) AS entered,
       (SELECT coalesce(sum(p.sample_size), 0) FROM workcell.inspection_plan p
          JOIN workcell.inspection_characteristic c ON c.template_id = i.template_id AND c.defect_class = p.defect_class
         WHERE p.inspection_id = i.id) AS needed,
       i.created_at
  FROM workcell.inspection i JOIN workcell.lot l ON l.id = i.lot_id
  JOIN workcell.item it ON it.id = l.item_id LEFT JOIN workcell.supplier s ON s.id = l.supplier_id
 WHERE i.status IN ('open', 'completed')
 ORDER BY i.status DESC, i.id LIMIT 200
"""
_CHARS = """
SELECT seq, name, kind, defect_class, unit, nominal, lower_limit, upper_limit, instruction
  FROM workcell.inspection_characteristic WHERE template_id = :t ORDER BY seq
"""
_NCRS = """
SELECT n.number, n.title, n.origin, n.risk_class, n.disposition, n.status,
       (SELECT count(*) FROM workcell.ncr_lot x WHERE x.ncr_id = n.id) AS lots, n.created_at
  FROM workcell.ncr n WHERE n.status <> 'closed' ORDER BY n.id DESC LIMIT 200
"""
_CAPAS = """
SELECT c.number, n.number AS ncr_number, c.title, c.status,
       (SELECT count(*) FROM workcell.capa_section s WHERE s.capa_id = c.id AND s.status = 'complete') AS complete,
       (SELECT count(*) FROM workcell.capa_section s WHERE s.capa_id = c.id AND s.status = 'open'
           AND s.due_date < workcell.plant_today()) AS overdue
  FROM workcell.capa c JOIN workcell.ncr n ON n.id = c.ncr_id
 WHERE c.status = 'open' ORDER BY c.id DESC LIMIT 200
"""


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(f"{what}: {text.strip()!r} is not a number.") from None
    if not value.is_finite():
        raise InvalidInput(f"{what}: {text.strip()!r} is not a number.")
    return value


def _scale(text: str, what: str) -> int:
    if text.strip() not in ("1", "2", "3", "4", "5"):
        raise InvalidInput(f"Choose the {what} (1 to 5).")
    return int(text.strip())


def _ncr_new(form: NcrForm) -> ncr.NewNcr:
    if not form.title.strip() or not form.description.strip():
        raise InvalidInput("Give the NCR a title and describe the nonconformance.")
    return ncr.NewNcr(
        form.title.strip(), form.description.strip(), _scale(form.severity, "severity"),
        _scale(form.occurrence, "occurrence"), tuple(x.strip().upper() for x in form.lots if x.strip()),
    )  # fmt: skip


def _count(text: str, what: str, least: int) -> int:
    """A whole number typed on the keypad, at least ``least``."""
    if not text.strip().isdigit() or int(text.strip()) < least:
        raise InvalidInput(f"{what}: give a whole number of at least {least} ({text.strip()!r}).")
    return int(text.strip())


APPROVAL_PERMISSIONS = {"qa_approved": "quality.ncr.qa", "engineering_approved": "quality.ncr.engineering",
                        "management_approved": "quality.ncr.management"}  # fmt: skip


def _lacks(permission: str) -> str:
    """Said without asking the database again: the person's permissions are at hand."""
    return f"that needs the {permission} permission, which your roles do not give."


def _database_says(uow: UnitOfWork, condition: str, ncr_id: int) -> str | None:
    """The database's own condition on the NCR's next move (its message, or None), asked
    before a PIN is: the same function the transition guard runs."""
    found = scalar(
        uow,
        f"SELECT workcell.{condition}('ncr', to_jsonb(n), NULL) FROM workcell.ncr n WHERE n.id = :i",
        {"i": ncr_id},
    )
    return None if found is None else str(found)


class KioskQualityBackend(KioskMaterialsBackend):
    """Quality on the materials backend's sessions (and its lot look-up by scan)."""

    # -- inspections ----------------------------------------------------------------------

    def open_inspections(self, actor: str) -> list[InspectionRow]:
        with self.uow(actor) as uow:
            return [InspectionRow(*r) for r in run(uow, _OPEN)]

    def inspection(self, actor: str, number: str) -> InspectionDetail:
        with self.uow(actor) as uow:
            return self._inspection(uow, actor, number)

    def _inspection(self, uow: UnitOfWork, actor: str, number: str) -> InspectionDetail:
        v = inspections.get_inspection(uow, number)
        chars = tuple(Characteristic(*r) for r in run(uow, _CHARS, {"t": v.template_id}))
        serialised = bool(scalar(
            uow, "SELECT EXISTS (SELECT 1 FROM workcell.serial s JOIN workcell.lot l ON l.id = s.lot_id"
            " WHERE l.lot_number = :n)", {"n": v.lot_number},
        ))  # fmt: skip
        record = RecordRef("inspection", v.id)
        plans = tuple(
            PlanLine(
                p.defect_class, p.source, p.describe(), p.sample_size, p.ac, p.re, p.nonconforming
            )
            for p in v.plans
        )
        detail = InspectionDetail(
            v.number, v.lot_number, v.item_number, v.supplier, v.inspection_type, v.status,
            v.version, v.lot_size, v.severity, v.sample_size, v.data_version, v.data_source,
            v.switching_status, v.switching_score, v.switching_rule, v.decision, v.decision_note,
            v.ncr_number, v.created_by, serialised, plans, chars,
            {p.defect_class: p.sample_size or 0 for p in v.plans},
            v.results,
            tuple(signature_line(s) for s in signatures.signatures_for(uow, record)),
            step=v.step,
        )  # fmt: skip
        detail.actions.update(self._inspection_actions(uow, actor, detail, record, v))
        return detail

    @staticmethod
    def _inspection_actions(
        uow: UnitOfWork, actor: str, d: InspectionDetail, record: RecordRef, v: Any
    ) -> dict[str, str | None]:
        actions: dict[str, str | None] = {}
        perms = permissions_of(uow, actor)
        if d.status == "open":
            # what the screen can say by itself first; the database's signing rules are
            # asked once the inspection could be signed (one round of savepoints, not one
            # per result entered)
            manual = [p.defect_class for p in d.plans if p.source == "manual_required"]
            missing = d.missing()
            why: str | None = None
            if "quality.inspect" not in perms:
                why = _lacks("quality.inspect")
            elif manual:
                why = f"no plan for {', '.join(manual)}: QA enters it first (the tables give none)."
            elif missing:
                why = f"{missing} result(s) still to enter."
            else:
                why = sign_check.signing_refusal(uow, record, "inspected", actor)
            actions["complete"] = why
            if manual:  # QA enters (and signs) the plan the tables do not give
                actions["plan"] = None if "quality.plan" in perms else _lacks("quality.plan")
        elif d.status == "completed":
            # released / rejected / referred have one signing rule (rules.sql: the same
            # permission, "inspected" first, distinct from the author and the inspector):
            # asked of the database once
            why = (
                sign_check.signing_refusal(uow, record, "released", actor)
                if "quality.disposition" in perms else _lacks("quality.disposition")
            )  # fmt: skip
            for action in INSPECTION_MEANINGS:
                if action == "release" and d.decision != "accept":
                    continue
                actions[action] = why
            if v.step is not None:  # made at a routing step (migration 0030): to an NCR
                actions["reject"] = f"made at {v.step}: refer it to an NCR, not rejected outright."
            if why is None and "quality.ncr.raise" not in perms:
                actions["refer"] = _lacks("quality.ncr.raise")
        return actions

    def record_result(
        self, actor: str, number: str, sample: int, seq: int, *, value: str = "",
        passed: bool | None = None, serial: str = "",
    ) -> InspectionDetail:  # fmt: skip
        amount = _decimal(value, "Measured value") if value.strip() else None
        if amount is None and passed is None:
            raise InvalidInput("Enter the measured value, or tap PASS or FAIL.")
        with self.uow(actor, f"inspection {number}: result entered") as uow:
            inspections.record_result(
                uow, number, sample, seq, value=amount, passed=passed if amount is None else None,
                serial=serial.strip() or None,
            )  # fmt: skip
            uow.commit()
            return self._inspection(uow, actor, number)

    def invalidate_result(
        self, actor: str, number: str, result_id: int, reason: str
    ) -> InspectionDetail:
        with self.uow(actor, f"inspection {number}: result invalidated") as uow:
            inspections.invalidate_result(uow, result_id, reason)
            uow.commit()
            return self._inspection(uow, actor, number)

    def _inspection_ref(self, number: str) -> Callable[[UnitOfWork], RecordRef]:
        key = number.strip().upper()

        def record(uow: UnitOfWork) -> RecordRef:
            return RecordRef("inspection", id_of(uow, "inspection", "number", key, "inspection"))

        return record

    def completion(self, actor: str, number: str) -> QualitySignature:
        def check(uow: UnitOfWork) -> None:
            why = self._inspection(uow, actor, number).actions.get("complete", "it is not open.")
            if why is not None:
                raise InvalidInput(f"Inspection {number} cannot be completed: {why}")

        return QualitySignature(
            self, actor, "inspected", self._inspection_ref(number),
            lambda uow, s: inspections.complete_inspection(uow, number, s), "", check,
        )  # fmt: skip

    def disposition(self, actor: str, number: str, action: str, comment: str) -> QualitySignature:
        if action not in ("release", "reject"):
            raise InvalidInput(f"An inspection is released or rejected here, not {action!r}.")
        if action == "reject" and not comment.strip():
            raise InvalidInput("Say why the lot is rejected (the reason is part of the signature).")
        fn = (
            inspections.release_inspection if action == "release" else inspections.reject_inspection
        )
        return QualitySignature(
            self, actor, INSPECTION_MEANINGS[action], self._inspection_ref(number),
            lambda uow, s: fn(uow, number, s), comment.strip(),
            self._may(actor, number, action),
        )  # fmt: skip

    def _may(self, actor: str, number: str, action: str) -> Callable[[UnitOfWork], None]:
        def check(uow: UnitOfWork) -> None:
            why = self._inspection(uow, actor, number).actions.get(action, "not offered now.")
            if why is not None:
                raise InvalidInput(f"Inspection {number}: {why}", title="Not for you")

        return check

    def referral(self, actor: str, number: str, form: NcrForm) -> QualitySignature:
        new = _ncr_new(form)
        return QualitySignature(
            self, actor, "referred", self._inspection_ref(number),
            lambda uow, s: ncr.refer_inspection(uow, number, new, s), f"NCR: {new.title}",
            self._may(actor, number, "refer"),
        )  # fmt: skip

    def plan_signing(
        self, actor: str, number: str, defect_class: str, n: str, ac: str, re: str, note: str
    ) -> QualitySignature:
        """Checked here before the dialog opens (numbers, Ac < Re, Ac < n, a note) and
        again against the inspection before the PIN (lot size, QA, the class waiting)."""
        size, accept, reject = (
            _count(n, "Sample size n", 1), _count(ac, "Ac", 0), _count(re, "Re", 1),
        )  # fmt: skip
        if not accept < reject:
            raise InvalidInput(f"Ac {accept} must be below Re {reject} (Re is usually Ac + 1).")
        if not accept < size:
            raise InvalidInput(f"Ac {accept} must be below the sample size {size}.")
        if not note.strip():
            raise InvalidInput("Say where the plan comes from (a procedure, QA's reasoning).")

        def check(uow: UnitOfWork) -> None:
            d = self._inspection(uow, actor, number)
            why = d.actions.get("plan", "no plan is waiting for QA.")
            if why is None and defect_class not in {p.defect_class for p in d.waiting_plans()}:
                why = f"the {defect_class} plan is not waiting for QA."
            if why is None and d.lot_size is not None and size > d.lot_size:
                why = f"n {size} is more than the lot ({d.lot_size}): inspect every unit."
            if why is not None:
                raise InvalidInput(f"Inspection {number}: {why}", title="Plan not entered")

        said = f"Plan {defect_class}: n={size} Ac {accept} Re {reject} — {note.strip()}"
        return QualitySignature(
            self, actor, "plan_approved", self._inspection_ref(number),
            lambda uow, s: inspections.approve_manual_plan(
                uow, number, defect_class, size, accept, reject, note.strip(), s
            ),
            said, check, bind=False,  # the plan is entered first: the content signed is new
        )  # fmt: skip

    # -- switching and the risk matrix ------------------------------------------------------

    def switching_states(self, actor: str) -> list[SwitchingRow]:
        with self.uow(actor) as uow:
            return switching.switching_states(uow)

    def switching(self, actor: str, key: str) -> SwitchingView:
        item, _, supplier = key.partition("/")
        with self.uow(actor) as uow:
            return switching.get_switching(uow, item, supplier)

    def switching_move(self, actor: str, key: str) -> tuple[str, str | None] | None:
        item, _, supplier = key.partition("/")
        with self.uow(actor) as uow:
            view = switching.get_switching(uow, item, supplier)
            return switching.judgement_move(view, "quality.switching" in permissions_of(uow, actor))

    def move_switching(self, actor: str, key: str, to: str, reason: str) -> SwitchingView:
        item, _, supplier = key.partition("/")
        with self.uow(actor, f"switching of {key} moved to {to}") as uow:
            view = switching.move_switching(uow, item, supplier, to, reason)
            uow.commit()
        return view

    def risk_matrix(self, actor: str) -> MatrixDetail:
        with self.uow(actor) as uow:
            return self._matrix(uow, actor)

    def _matrix(self, uow: UnitOfWork, actor: str) -> MatrixDetail:
        revisions = tuple(matrix.matrices(uow))
        draft_row = next((r for r in revisions if r.status == "draft"), None)
        draft: MatrixView | None = (
            None if draft_row is None else matrix.get_matrix(uow, draft_row.revision)
        )
        detail = MatrixDetail(matrix.get_matrix(uow), draft, revisions)
        configure = "quality.configure" in permissions_of(uow, actor)
        detail.actions["propose"] = None if configure else _lacks("quality.configure")
        if draft is not None:
            if not configure:
                why: str | None = _lacks("quality.configure")
            elif draft.created_by == actor:
                why = f"you proposed revision {draft.revision}: another QA person approves it."
            else:
                why = sign_check.signing_refusal(
                    uow, RecordRef("risk_matrix", draft.id), "approved", actor
                )
            detail.actions["approve"] = why
        return detail

    def propose_matrix(
        self,
        actor: str,
        title: str,
        cells: dict[tuple[int, int], str],
        approvals: dict[tuple[str, str], tuple[str, ...]] | None = None,
    ) -> MatrixDetail:
        with self.uow(actor) as uow:
            matrix.propose_matrix(uow, title, cells, approvals)
            uow.commit()
            return self._matrix(uow, actor)

    def matrix_signing(self, actor: str, revision: int) -> QualitySignature:
        def record(uow: UnitOfWork) -> RecordRef:
            return RecordRef("risk_matrix", matrix.get_matrix(uow, revision).id)

        def check(uow: UnitOfWork) -> None:
            d = self._matrix(uow, actor)
            if d.draft is None or d.draft.revision != revision:
                raise InvalidInput(f"Risk matrix revision {revision} is not the draft now.")
            why = d.actions.get("approve")
            if why is not None:
                raise InvalidInput(f"Risk matrix revision {revision}: {why}", title="Not for you")

        return QualitySignature(
            self, actor, "approved", record,
            lambda uow, s: matrix.release_matrix(uow, revision, s), "", check,
        )  # fmt: skip

    # -- NCRs -----------------------------------------------------------------------------

    def ncrs(self, actor: str) -> list[NcrRow]:
        with self.uow(actor) as uow:
            return [NcrRow(*r) for r in run(uow, _NCRS)]

    def ncr(self, actor: str, number: str) -> NcrDetail:
        with self.uow(actor) as uow:
            return self._ncr(uow, actor, number)

    def _ncr(self, uow: UnitOfWork, actor: str, number: str) -> NcrDetail:
        n = ncr.get_ncr(uow, number)
        record = RecordRef("ncr", n.id)
        found = run(
            uow, "SELECT number FROM workcell.capa WHERE ncr_id = :id ORDER BY id", {"id": n.id}
        )  # fmt: skip
        capas = tuple(str(r[0]) for r in found)
        detail = NcrDetail(
            n.number, n.origin, n.inspection, n.title, n.description, n.severity, n.occurrence,
            n.risk_class, n.matrix_revision, n.disposition, n.disposition_note, n.status,
            n.version, n.created_by, n.lots, n.required,
            n.missing, tuple(signature_line(s) for s in signatures.signatures_for(uow, record)),
            capas,
            tuple(f"{r.work_order} reworks lot {r.lot_number} ({r.quantity}) —"
                  f" {r.status.replace('_', ' ')}" for r in n.rework),
            n.deviation,
        )  # fmt: skip
        a = detail.actions
        perms = permissions_of(uow, actor)
        qa = None if "quality.disposition" in perms else _lacks("quality.disposition")
        if n.status == "open":
            a["choose"] = qa
            if n.disposition is not None:
                for meaning in n.required:
                    permission = APPROVAL_PERMISSIONS[meaning]
                    if meaning not in n.missing:
                        why: str | None = "already approved on this disposition."
                    elif permission not in perms:
                        why = _lacks(permission)
                    else:
                        why = sign_check.signing_refusal(uow, record, meaning, actor)
                    a[meaning] = why
                why = qa
                if why is None and n.missing:
                    why = f"approval missing: {', '.join(n.missing)} ({n.risk_class}, {n.disposition})."
                a["execute"] = why or _database_says(uow, "ncr_may_disposition", n.id)
        if n.status == "dispositioned":
            why = qa or sign_check.signing_refusal(uow, record, "closed", actor)
            a["close"] = why or _database_says(uow, "ncr_may_close", n.id)
        if n.status != "closed":
            a["capa"] = None if "quality.ncr.raise" in perms else _lacks("quality.ncr.raise")
        return detail

    def raise_ncr(self, actor: str, form: NcrForm) -> str:
        new = _ncr_new(form)
        if not new.lots and not form.deviation.strip():
            raise InvalidInput("Scan (or pick) the lots the NCR concerns, or name its deviation.")
        with self.uow(actor) as uow:
            if form.deviation.strip():
                raised = ncr.raise_from_deviation(uow, form.deviation, new)
            else:
                raised = ncr.raise_ncr(uow, new)
            uow.commit()
        return raised.number

    def choose_disposition(self, actor: str, number: str, disposition: str, note: str) -> NcrDetail:
        if not disposition:
            raise InvalidInput("Choose the disposition.")
        if not note.strip():
            raise InvalidInput("Say why this disposition (the approvers sign it with the note).")
        with self.uow(actor) as uow:
            ncr.choose_disposition(uow, number, disposition, note)
            uow.commit()
            return self._ncr(uow, actor, number)

    def ncr_signing(self, actor: str, number: str, meaning: str) -> QualitySignature:
        key = number.strip().upper()

        def record(uow: UnitOfWork) -> RecordRef:
            return RecordRef("ncr", id_of(uow, "ncr", "number", key, "NCR"))

        def check(uow: UnitOfWork) -> None:
            why = self._ncr(uow, actor, key).actions.get(meaning, "not offered now.")
            if why is not None:
                raise InvalidInput(f"NCR {key}: {why}", title="Not now")

        if meaning == "execute":
            return QualitySignature(
                self, actor, "released", record, lambda uow, s: ncr.disposition_ncr(uow, key, s),
                "", check, bind=False,
            )  # fmt: skip
        if meaning == "close":
            return QualitySignature(
                self, actor, "closed", record, lambda uow, s: ncr.close_ncr(uow, key, s), "", check
            )
        return QualitySignature(
            self, actor, meaning, record, lambda uow, s: ncr.approve_ncr(uow, key, meaning, s),
            "", check,
        )  # fmt: skip

    # -- CAPAs ----------------------------------------------------------------------------

    def people(self, actor: str) -> list[str]:
        with self.uow(actor) as uow:
            return [str(r[0]) for r in run(
                uow, "SELECT username FROM workcell.users WHERE kind = 'person' AND status = 'active'"
                " ORDER BY username LIMIT 500",
            )]  # fmt: skip

    def today(self, actor: str) -> dt.date:
        with self.uow(actor) as uow:
            return plant_today(uow)

    def raise_capa(
        self, actor: str, ncr_number: str, title: str, owners: list[str], due: list[str]
    ) -> str:
        if any(not o.strip() for o in owners) or len(owners) != 9:
            raise InvalidInput("Choose an owner for each of D0..D8.")
        dates = []
        for d, text in enumerate(due):
            try:
                dates.append(dt.date.fromisoformat(text.strip()))
            except ValueError:
                raise InvalidInput(
                    f"D{d}: due date {text.strip()!r} is not a date (YYYY-MM-DD)."
                ) from None
        with self.uow(actor) as uow:
            made = capa.raise_capa(uow, ncr_number, title, owners, dates)
            uow.commit()
        return made.number

    def capas(self, actor: str) -> list[CapaRow]:
        with self.uow(actor) as uow:
            return [CapaRow(*r) for r in run(uow, _CAPAS)]

    def capa(self, actor: str, number: str) -> CapaDetail:
        with self.uow(actor) as uow:
            return self._capa(uow, actor, number)

    def _capa(self, uow: UnitOfWork, actor: str, number: str) -> CapaDetail:
        c = capa.get_capa(uow, number)
        perms = permissions_of(uow, actor)
        qa = "quality.disposition" in perms
        lines, earlier_open = [], None
        for s in c.sections:
            write = complete = None
            if s.status != "open":
                write = complete = "complete: its content is signed."
            else:
                if s.owner != actor and not qa:
                    write = f"{s.title[:2]} is {s.owner}'s to write."
                if s.discipline == 8 and not qa:
                    complete = "D8 closure is signed by QA."
                elif s.discipline != 8 and s.owner != actor:
                    complete = f"{s.title[:2]} is signed by its owner, {s.owner}."
                elif earlier_open is not None:
                    complete = f"{earlier_open} is not complete yet (disciplines in order)."
                elif not s.content.strip():
                    complete = "write its content first."
                elif "quality.capa" not in perms:
                    complete = _lacks("quality.capa")
                else:  # the one section that may be signed next: the database's rules
                    complete = sign_check.signing_refusal(
                        uow, RecordRef("capa_section", s.id), "completed", actor
                    )
                earlier_open = earlier_open or s.title[:2]
            lines.append(SectionLine(
                s.discipline, s.title, s.content, s.owner, s.due_date, s.status, s.overdue, write,
                complete,
            ))  # fmt: skip
        close = None
        if c.status != "open":
            close = f"CAPA {c.number} is {c.status}."
        else:
            if earlier_open is not None:
                close = f"{earlier_open} is not complete yet."
            elif not qa:
                close = _lacks("quality.disposition")
            else:
                close = sign_check.signing_refusal(uow, RecordRef("capa", c.id), "closed", actor)
        return CapaDetail(
            c.number, c.ncr_number, c.title, c.status, c.created_by, tuple(lines), close
        )

    def write_section(self, actor: str, number: str, discipline: int, content: str) -> CapaDetail:
        if not content.strip():
            raise InvalidInput("Write the section's content.")
        with self.uow(actor) as uow:
            capa.write_section(uow, number, discipline, content)
            uow.commit()
            return self._capa(uow, actor, number)

    def capa_signing(self, actor: str, number: str, discipline: int | None) -> QualitySignature:
        key = number.strip().upper()
        if discipline is None:

            def closure(uow: UnitOfWork) -> RecordRef:
                return RecordRef("capa", id_of(uow, "capa", "number", key, "CAPA"))

            def may_close(uow: UnitOfWork) -> None:
                why = self._capa(uow, actor, key).close
                if why is not None:
                    raise InvalidInput(f"CAPA {key}: {why}", title="Not now")

            return QualitySignature(
                self, actor, "closed", closure, lambda uow, s: capa.close_capa(uow, key, s), "",
                may_close,
            )  # fmt: skip
        d = discipline

        def section(uow: UnitOfWork) -> RecordRef:
            found = scalar(
                uow, "SELECT s.id FROM workcell.capa_section s JOIN workcell.capa c ON c.id = s.capa_id"
                " WHERE c.number = :n AND s.discipline = :d", {"n": key, "d": d},
            )  # fmt: skip
            if found is None:
                raise NotFound(f"CAPA {key} has no D{d}.")
            return RecordRef("capa_section", int(found))

        def may(uow: UnitOfWork) -> None:
            line = next(s for s in self._capa(uow, actor, key).sections if s.discipline == d)
            if line.complete is not None:
                raise InvalidInput(f"CAPA {key} D{d}: {line.complete}", title="Not now")

        return QualitySignature(
            self, actor, "completed", section,
            lambda uow, s: capa.complete_section(uow, key, d, s), "", may,
        )  # fmt: skip

    def overdue_actions(self, actor: str) -> list[OverdueLine]:
        with self.uow(actor) as uow:
            return capa.overdue_actions(uow)


@dataclass(frozen=True)
class QualitySignature:
    """A quality signature to be made (a Signable). ``check`` says before the PIN what would
    be refused; ``bind`` False when the record shown is not the one signed first (carrying
    an NCR's disposition out signs its holds)."""

    backend: KioskQualityBackend
    actor: str
    meaning: str
    record: Callable[[UnitOfWork], RecordRef]
    apply: Callable[[UnitOfWork, Signing], Any]
    comment: str
    check: Callable[[UnitOfWork], None] | None = None
    bind: bool = True
    shown: dict[str, RecordToSign] = field(default_factory=dict)

    def describe(self) -> RecordToSign:
        with self.backend.uow(self.actor) as uow:
            if self.check is not None:
                self.check(uow)
            summary = signatures.describe_record(uow, self.record(uow))
        extra = (f"Reason: {self.comment}",) if self.comment.strip() else ()
        self.shown["record"] = shown = record_to_sign(summary, self.meaning, extra)
        return shown

    def sign(self, proof: Proof, comment: str | None) -> SignatureLine:
        b = self.backend
        shown = self.shown.get("record") if self.bind else None
        said = "; ".join(x for x in (self.comment.strip(), (comment or "").strip()) if x)
        signing = Signing(
            credentials(proof), b.station, b.policy, said or None,
            shown.version if shown else None, shown.content_hash if shown else None,
        )  # fmt: skip
        with b.uow(self.actor) as uow:
            before = scalar(uow, "SELECT coalesce(max(id), 0) FROM workcell.signature")
            self.apply(uow, signing)
            # this transaction's own signatures (the service signs one record or several)
            made = run(
                uow, "SELECT id FROM workcell.signature WHERE id > :b"
                " AND xmin = pg_current_xact_id()::xid ORDER BY id", {"b": before},
            )  # fmt: skip
            if not made:
                raise RuleViolation("Nothing was signed: reload the record.")
            row = run(
                uow, "SELECT printed_name, username, meaning, signed_at, comment, valid"
                " FROM workcell.signature_manifest WHERE id = :id", {"id": made[0][0]},
            )[0]  # fmt: skip
            uow.commit()
        return SignatureLine(*row)
