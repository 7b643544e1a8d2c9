"""One inspection: the plan (code letter, n, Ac/Re, the reference data's version and source,
the switching state and the rule that moved it), results sample by sample with big
PASS/FAIL buttons and measured values on the keypad (limits shown while typing), the
sample's serial by scan, the database's decision, and the signatures: "inspected" by the
inspector, then QA's release / rejection / referral to an NCR. An invalidated result stays
in the list with its reason."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Static

from domain.errors import WorkCellError
from screens.backend import SignatureLine
from screens.base import StationScreen, call_backend
from screens.messages import BarcodeScanned
from screens.modals.signature import SignatureModal
from screens.quality.backend import (
    Characteristic,
    InspectionDetail,
    NcrForm,
    QualityBackend,
    ResultLine,
)
from screens.quality.common import actor, manifestations, offer, refusal, say, word
from screens.quality.plan import PlanScreen
from screens.station import fmt_time, station_of
from screens.widgets.choice import ChoiceButton
from screens.widgets.columns import fit_columns
from screens.widgets.keyboard import KeyboardModal, TouchInput
from screens.widgets.printable import printable
from screens.widgets.tap_table import TapTable

SCALE = ("1", "2", "3", "4", "5")


def judge(c: Characteristic, text: str) -> tuple[str, bool]:
    """What the keypad says under a typed value: the limits, and whether it is outside."""
    limits = c.limits()
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return (f"{limits} — type the measured value", False)
    low = c.lower_limit is not None and value < c.lower_limit
    high = c.upper_limit is not None and value > c.upper_limit
    if low or high:
        return (f"OUT OF LIMITS ({limits}): saved as a FAIL", True)
    return (f"within limits ({limits})", False)


class CharRow(Horizontal):
    """One characteristic of the current sample: what, limits, the result, its buttons."""

    @dataclass
    class Asked(Message):
        row: CharRow
        action: str  # pass | fail | enter | invalidate

    def __init__(self, c: Characteristic, result: ResultLine | None, editable: bool) -> None:
        super().__init__()
        self.c, self.result, self.editable = c, result, editable

    def compose(self) -> ComposeResult:
        yield Static(self._text(), classes="char-text")
        seq = self.c.seq
        if self.editable and self.result is None:
            if self.c.kind == "variable":
                yield Button("Enter", id=f"enter-{seq}", name="enter", variant="primary")
            else:
                yield Button("PASS", id=f"pass-{seq}", name="pass", variant="success")
                yield Button("FAIL", id=f"fail-{seq}", name="fail", variant="error")
        elif self.editable:
            yield Button("Invalidate", id=f"invalidate-{seq}", name="invalidate", variant="warning")

    def on_mount(self) -> None:
        r = self.result
        self.set_class(r is None, "-missing")
        self.set_class(r is not None and not r.passed, "-fail")
        self.set_class(r is not None and r.passed, "-done")

    def _text(self) -> Text:
        c, r = self.c, self.result
        text = Text.assemble((f"{c.seq}. {c.name}", "bold"), f" · {c.defect_class}, {c.kind}")
        if c.limits():
            text.append(f"\n{c.limits()}")
        if c.instruction:
            text.append(f"\n{printable(c.instruction)}", style="italic")
        if r is not None:
            got = "PASS" if r.passed else "FAIL"
            value = f"{r.value.normalize():f} {c.unit or ''} → " if r.value is not None else ""
            text.append(
                f"\n{value}{got} ({r.entered_by})", style="bold green" if r.passed else "bold red"
            )
        return text

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Asked(self, event.button.name or ""))


class InspectionScreen(StationScreen):
    CSS_PATH = "quality.tcss"
    TITLE_TEXT = "Inspection"
    ACCEPTS_SCANS = True

    def __init__(self, backend: QualityBackend, number: str) -> None:
        super().__init__()
        self.backend = backend
        self.number = number
        self.detail: InspectionDetail | None = None
        self.sample = 1
        self.serial = ""  # scanned for the current sample, sent with its first result
        self.answers = 0  # backend answers shown (tests wait on it)

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(classes="q-scroll", id="insp-scroll"):
            yield Static("Loading…", id="insp-head", classes="q-title", markup=False)
            yield Static("", id="insp-plan", classes="q-box", markup=False)
            yield Static("", id="insp-decision", classes="q-decision", markup=False)
            yield Static("", id="insp-message", classes="q-message", markup=False)
            with Horizontal(classes="q-row", id="insp-plan-row"):  # no plan in the tables
                yield Button("Enter plan…", id="insp-enter-plan", variant="warning")
            yield Static("", id="insp-enter-plan-why", classes="q-why", markup=False)
            with Horizontal(classes="q-row", id="insp-samples"):
                yield Button("◀ Prev", id="insp-prev")
                yield Static("", id="insp-sample", classes="q-label", markup=False)
                yield Button("Next ▶", id="insp-next")
                yield Button("Next missing", id="insp-missing", variant="primary")
                yield Button("Type serial", id="insp-serial")
            yield VerticalScroll(id="insp-chars")
            with Horizontal(classes="q-row", id="insp-complete-row"):
                yield Button("Complete — sign as inspected…", id="insp-complete", variant="success")
            yield Static("", id="insp-complete-why", classes="q-why", markup=False)
            with Horizontal(classes="q-row", id="insp-qa-row"):
                yield TouchInput(placeholder="Reason / what was found", id="insp-comment")
                yield Button("Release…", id="insp-release", variant="success")
                yield Button("Reject…", id="insp-reject", variant="error")
            yield Static("", id="insp-release-why", classes="q-why", markup=False)
            yield Static("", id="insp-reject-why", classes="q-why", markup=False)
            with Horizontal(classes="q-row", id="insp-refer-row"):
                yield TouchInput(placeholder="NCR title", id="insp-ncr-title")
                yield ChoiceButton("Severity", SCALE, id="insp-severity")
                yield ChoiceButton("Occurrence", SCALE, id="insp-occurrence")
                yield Button("Refer to NCR…", id="insp-refer", variant="warning")
            yield Static("", id="insp-refer-why", classes="q-why", markup=False)
            yield Static(
                "Results (every one kept; an invalidated one with its reason)", classes="q-title"
            )
            yield TapTable(id="insp-results", cursor_type="row")
            yield Static("Signatures", classes="q-title")
            yield Static("", id="insp-signatures", classes="q-box", markup=False)

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        who = actor(self)
        if who is not None:
            call_backend(
                self,
                lambda: self.backend.inspection(who, self.number),
                self.show,
                failed=self._refused,
            )

    def show(self, d: InspectionDetail) -> None:
        self.detail = d
        self.answers += 1
        self.query_one("#insp-head", Static).update(
            f"{d.number} · lot {d.lot_number} · {d.item_number}"
            + (f" · supplier {d.supplier}" if d.supplier else "")
            + f" · {d.inspection_type.replace('_', ' ')} · {word(d.status)}"
            + (f" · made at {d.step}" if d.step else "")
        )
        self.query_one("#insp-plan", Static).update(self._plan_text(d))
        decision = self.query_one("#insp-decision", Static)
        decision.display = d.decision is not None
        decision.remove_class("-accept", "-reject")
        if d.decision is not None:
            decision.add_class(f"-{d.decision}")
            decision.update(f"Decision (by the database): {word(d.decision)} — {d.decision_note}")
        self._show_sample()
        a = d.actions
        self.query_one("#insp-plan-row").display = "plan" in a
        offer(
            self.query_one("#insp-enter-plan", Button),
            self.query_one("#insp-enter-plan-why", Static),
            a,
            "plan",
            "Enter plan",
        )
        self.query_one("#insp-complete-row").display = "complete" in a
        offer(
            self.query_one("#insp-complete", Button),
            self.query_one("#insp-complete-why", Static),
            a,
            "complete",
            "Complete",
        )
        qa = d.status == "completed"
        self.query_one("#insp-qa-row").display = qa
        self.query_one("#insp-refer-row").display = qa
        offer(
            self.query_one("#insp-release", Button),
            self.query_one("#insp-release-why", Static),
            a,
            "release",
            "Release",
        )
        offer(
            self.query_one("#insp-reject", Button),
            self.query_one("#insp-reject-why", Static),
            a,
            "reject",
            "Reject",
        )
        offer(
            self.query_one("#insp-refer", Button),
            self.query_one("#insp-refer-why", Static),
            a,
            "refer",
            "Refer to NCR",
        )
        self._show_results(d)
        self.query_one("#insp-signatures", Static).update(
            manifestations(d.signatures, station_of(self).tz)
        )

    @staticmethod
    def _plan_text(d: InspectionDetail) -> str:
        lines = [
            f"Lot size {d.lot_size if d.lot_size is not None else '— (not counted in units)'}"
            f" · samples n={d.sample_size or '—'} · severity {d.severity.upper()}"
        ]
        if d.switching_status is not None:
            lines.append(
                f"Switching ({d.item_number}/{d.supplier or '—'}): {d.switching_status}, score "
                f"{d.switching_score} — {d.switching_rule or 'no move yet'}"
            )
        lines += [f"  {p.text}  · nonconforming {p.nonconforming}" for p in d.plans]
        lines.append(f"Reference data: {d.data_version} — {d.data_source}")
        return "\n".join(lines)

    # -- samples ----------------------------------------------------------------------------

    def _show_sample(self) -> None:
        d = self.detail
        if d is None:
            return
        n = d.sample_size or 0
        self.sample = max(1, min(self.sample, n or 1))
        editable = d.status == "open"
        self.query_one("#insp-samples").display = n > 0
        serial = d.serial_of(self.sample) or self.serial
        where = (
            f" · serial {serial}"
            if serial
            else (" · scan its serial" if d.serialised and editable else "")
        )
        self.query_one("#insp-sample", Static).update(f"Sample {self.sample} of {n}{where}")
        self.query_one("#insp-prev", Button).disabled = self.sample <= 1
        self.query_one("#insp-next", Button).disabled = self.sample >= n
        self.query_one("#insp-missing", Button).display = editable and d.missing() > 0
        self.query_one("#insp-serial", Button).display = editable and d.serialised
        box = self.query_one("#insp-chars", VerticalScroll)
        box.remove_children()
        box.mount_all(
            CharRow(c, d.result(self.sample, c.seq), editable) for c in d.needed(self.sample)
        )

    def rows_current(self) -> bool:
        """The sample's rows show what the last answer says (they are rebuilt after each)."""
        d = self.detail
        if d is None:
            return False
        rows = [r for r in self.query(CharRow) if r.is_mounted and r.parent is not None]
        needed = d.needed(self.sample)
        return len(rows) == len(needed) and all(
            r.c.seq == c.seq and r.result == d.result(self.sample, c.seq)
            for r, c in zip(rows, needed, strict=True)
        )

    def _go(self, sample: int) -> None:
        if sample != self.sample:
            self.serial = ""
        self.sample = sample
        self._show_sample()

    @on(Button.Pressed, "#insp-prev")
    def prev(self) -> None:
        self._go(self.sample - 1)

    @on(Button.Pressed, "#insp-next")
    def next(self) -> None:
        self._go(self.sample + 1)

    @on(Button.Pressed, "#insp-missing")
    def next_missing(self) -> None:
        d = self.detail
        if d is None:
            return
        n = d.sample_size or 0
        order = [*range(self.sample, n + 1), *range(1, self.sample)]
        for s in order:
            if any(d.result(s, c.seq) is None for c in d.needed(s)):
                self._go(s)
                return

    @on(BarcodeScanned)
    def scanned(self, message: BarcodeScanned) -> None:
        message.stop()
        self._serial(message.data)

    @on(Button.Pressed, "#insp-serial")
    def type_serial(self) -> None:
        self.app.push_screen(
            KeyboardModal(f"Serial of sample {self.sample}", self.serial),
            lambda text: self._serial(text or ""),
        )

    def _serial(self, text: str) -> None:
        d = self.detail
        if d is None or d.status != "open" or not text.strip():
            return
        self.serial = text.strip().upper()
        say(
            self.query_one("#insp-message", Static),
            f"Sample {self.sample}: serial {self.serial} — goes with its next result.",
            "why",
        )
        self._show_sample()

    @on(CharRow.Asked)
    def asked(self, event: CharRow.Asked) -> None:
        c, action = event.row.c, event.action
        if action in ("pass", "fail"):
            self._save(c, passed=action == "pass")
        elif action == "enter":
            modal = KeyboardModal(
                f"Sample {self.sample}: {c.name} ({c.unit or ''})",
                "",
                numeric=True,
                check=lambda text: judge(c, text),
            )
            self.app.push_screen(modal, lambda text: self._save(c, value=text) if text else None)
        elif action == "invalidate" and event.row.result is not None:
            result = event.row.result
            self.app.push_screen(
                KeyboardModal(f"Why is result {c.name} of sample {self.sample} invalid?", ""),
                lambda why: self._invalidate(result.id, why or ""),
            )

    def _save(self, c: Characteristic, *, value: str = "", passed: bool | None = None) -> None:
        who, sample, serial = actor(self), self.sample, self.serial
        d = self.detail
        if who is None or d is None:
            return
        if d.serialised and not serial and not d.serial_of(sample):
            say(
                self.query_one("#insp-message", Static),
                f"Scan the serial of sample {sample} first (this lot is serialised).",
            )
            return
        send = serial if not d.serial_of(sample) else ""
        call_backend(
            self,
            lambda: self.backend.record_result(
                who, self.number, sample, c.seq, value=value, passed=passed, serial=send
            ),
            self._saved,
            failed=self._refused,
        )

    def _saved(self, d: InspectionDetail) -> None:
        self.serial = ""
        say(self.query_one("#insp-message", Static), "")
        self.show(d)

    def _invalidate(self, result_id: int, why: str) -> None:
        who = actor(self)
        if who is None:
            return
        if not why.strip():
            say(
                self.query_one("#insp-message", Static),
                "Not invalidated: say why (the result is kept, with the reason).",
            )
            return
        call_backend(
            self,
            lambda: self.backend.invalidate_result(who, self.number, result_id, why),
            self._invalidated,
            failed=self._refused,
        )

    def _invalidated(self, d: InspectionDetail) -> None:
        say(
            self.query_one("#insp-message", Static),
            "Result invalidated (kept, with the reason): enter it again.",
            "ok",
        )
        self.show(d)

    def _show_results(self, d: InspectionDetail) -> None:
        tz = station_of(self).tz
        table = self.query_one("#insp-results", DataTable)
        units = {c.seq: c.unit or "" for c in d.characteristics}
        cells = [
            (
                str(r.sample_no),
                r.characteristic,
                (f"{r.value.normalize():f} {units.get(r.seq, '')} " if r.value is not None else "")
                + ("PASS" if r.passed else "FAIL"),
                r.serial or "",
                f"{fmt_time(r.entered_at, tz)} {r.entered_by}",
                Text(f"INVALID: {r.invalidated}", style="bold red") if r.invalidated else "",
            )
            for r in d.results
        ]
        fitted = fit_columns(
            table,
            ("Sample", "Characteristic", "Result", "Serial", "Entered", "Invalidated"),
            cells,
            flex=5,
        )
        for r, line in zip(d.results, fitted, strict=True):
            table.add_row(*line, key=str(r.id))

    # -- signatures -------------------------------------------------------------------------

    @on(Button.Pressed, "#insp-complete")
    def complete(self) -> None:
        who = actor(self)
        if who is not None:
            call_backend(
                self,
                lambda: self.backend.completion(who, self.number),
                lambda s: self.app.push_screen(SignatureModal(s), self.signed),
                failed=self._refused,
            )

    @on(Button.Pressed, "#insp-enter-plan")
    def enter_plan(self) -> None:
        if self.detail is not None:
            self.app.push_screen(PlanScreen(self.backend, self.detail), self.signed)

    @on(Button.Pressed, "#insp-release")
    def release(self) -> None:
        self._dispose("release")

    @on(Button.Pressed, "#insp-reject")
    def reject(self) -> None:
        self._dispose("reject")

    def _dispose(self, action: str) -> None:
        who = actor(self)
        comment = self.query_one("#insp-comment", Input).value
        if who is not None:
            call_backend(
                self,
                lambda: self.backend.disposition(who, self.number, action, comment),
                lambda s: self.app.push_screen(SignatureModal(s), self.signed),
                failed=self._refused,
            )

    @on(Button.Pressed, "#insp-refer")
    def refer(self) -> None:
        who = actor(self)
        form = NcrForm(
            self.query_one("#insp-ncr-title", Input).value,
            self.query_one("#insp-comment", Input).value,
            self.query_one("#insp-severity", ChoiceButton).value,
            self.query_one("#insp-occurrence", ChoiceButton).value,
        )
        if who is not None:
            call_backend(
                self,
                lambda: self.backend.referral(who, self.number, form),
                lambda s: self.app.push_screen(SignatureModal(s), self.signed),
                failed=self._refused,
            )

    def signed(self, signature: SignatureLine | None) -> None:
        if signature is not None:
            say(
                self.query_one("#insp-message", Static),
                f"Signed {signature.meaning} by {signature.printed_name}.",
                "ok",
            )
            self.query_one("#insp-comment", Input).value = ""
        self.load()

    def _refused(self, error: WorkCellError) -> None:
        self.answers += 1
        refusal(self.query_one("#insp-message", Static), error)
