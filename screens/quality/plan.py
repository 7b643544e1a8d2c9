"""QA enters a sampling plan the Z1.4 tables do not give (a lot not counted in units, a
missing cell — never a guess of ours): sample size n, Ac and Re on the keypad, where the
plan comes from on the keyboard, checked as typed and again before the PIN, then signed by
QA "plan_approved" (migration 0033: the inspection cannot be completed without it).

Pushed by the inspection screen's "Enter plan" (offered to QA only; others see why not).
Dismissed with the signature (None when left without signing)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Static

from domain.errors import WorkCellError
from screens.backend import SignatureLine
from screens.base import StationScreen, call_backend
from screens.modals.signature import SignatureModal
from screens.quality.backend import InspectionDetail, QualityBackend
from screens.quality.common import actor, refusal, say
from screens.widgets.choice import ChoiceButton
from screens.widgets.keyboard import KeyboardModal, TouchInput
from screens.widgets.printable import literal_label

FIELDS = (("n", "Sample size n"), ("ac", "Accept Ac"), ("re", "Reject Re"))


def plan_problem(n: str, ac: str, re: str, note: str, lot_size: int | None) -> str | None:
    """What is wrong with the plan as typed (None: it may be signed). The database checks
    it again (workcell.set_manual_plan)."""
    if not (n.isdigit() and ac.isdigit() and re.isdigit()):
        return "Enter n, Ac and Re (whole numbers) on the keypad."
    size, accept, reject = int(n), int(ac), int(re)
    if size < 1:
        return "The sample size is at least 1."
    if lot_size is not None and size > lot_size:
        return f"n {size} is more than the lot ({lot_size} units): inspect every unit instead."
    if accept >= reject:
        return f"Ac {accept} must be below Re {reject} (Re is usually Ac + 1)."
    if accept >= size:
        return f"Ac {accept} must be below the sample size {size}."
    if not note.strip():
        return "Say where the plan comes from (a procedure, QA's reasoning): it is kept."
    return None


class PlanScreen(StationScreen):
    CSS_PATH = "quality.tcss"
    TITLE_TEXT = "Enter sampling plan"

    def __init__(self, backend: QualityBackend, detail: InspectionDetail) -> None:
        super().__init__()
        self.backend = backend
        self.detail = detail
        self.values = {"n": "", "ac": "", "re": ""}
        self.signature: SignatureLine | None = None

    def compose_body(self) -> ComposeResult:
        d = self.detail
        classes = [p.defect_class for p in d.waiting_plans()]
        with VerticalScroll(classes="q-scroll"):
            yield Static(
                f"{d.number} · lot {d.lot_number} · {d.item_number} · lot size "
                f"{d.lot_size if d.lot_size is not None else 'not counted in units'}",
                id="plan-head",
                classes="q-title",
                markup=False,
            )
            yield Static(
                "\n".join(p.text for p in d.waiting_plans())
                + f"\nReference data {d.data_version} (its source: on the inspection)",
                id="plan-why",
                classes="q-box",
                markup=False,
            )
            with Horizontal(classes="q-row"):
                yield ChoiceButton(
                    "Defect class", classes, classes[0] if len(classes) == 1 else "",
                    id="plan-class",
                )  # fmt: skip
            for key, label in FIELDS:
                with Horizontal(classes="q-row"):
                    yield Static(label, classes="q-label plan-label", markup=False)
                    yield Button("— tap to enter —", id=f"plan-{key}", classes="plan-value")
            with Horizontal(classes="q-row"):
                yield TouchInput(placeholder="Where the plan comes from (kept)", id="plan-note")
        # below the scroll: what is wrong and the signing button, never off-screen at 80x24
        yield Static("", id="plan-check", classes="q-why", markup=False)
        yield Static("", id="plan-message", classes="q-message", markup=False)
        with Horizontal(classes="q-row"):
            yield Button("Sign plan as approved…", id="plan-sign", variant="success")

    def on_mount(self) -> None:
        self._check()

    def _problem(self) -> str | None:
        if not self.query_one("#plan-class", ChoiceButton).value:
            return "Choose the defect class the plan is for."
        v = self.values
        note = self.query_one("#plan-note", Input).value
        return plan_problem(v["n"], v["ac"], v["re"], note, self.detail.lot_size)

    def _check(self) -> None:
        problem = self._problem()
        self.query_one("#plan-check", Static).update(problem or "Ready to sign.")
        self.query_one("#plan-sign", Button).disabled = problem is not None

    @on(Input.Changed, "#plan-note")
    @on(ChoiceButton.Changed)  # the one choice on this screen: the defect class
    def changed(self) -> None:
        self._check()

    @on(Button.Pressed, ".plan-value")
    def enter(self, event: Button.Pressed) -> None:
        key = (event.button.id or "").removeprefix("plan-")
        label = dict(FIELDS)[key]
        self.app.push_screen(
            KeyboardModal(label, self.values[key], numeric=True),
            lambda text: self._entered(key, text),
        )

    def _entered(self, key: str, text: str | None) -> None:
        if text is None:
            return
        self.values[key] = text.strip()
        self.query_one(f"#plan-{key}", Button).label = literal_label(
            text.strip() or "— tap to enter —"
        )
        self._check()

    @on(Button.Pressed, "#plan-sign")
    def sign(self) -> None:
        who = actor(self)
        problem = self._problem()
        if problem is not None:  # the button is disabled; a key press may still get here
            say(self.query_one("#plan-message", Static), problem)
            return
        if who is None:
            return
        cls = self.query_one("#plan-class", ChoiceButton).value
        note = self.query_one("#plan-note", Input).value
        v = self.values
        call_backend(
            self,
            lambda: self.backend.plan_signing(
                who, self.detail.number, cls, v["n"], v["ac"], v["re"], note
            ),
            lambda s: self.app.push_screen(SignatureModal(s), self._signed),
            failed=self._refused,
        )

    def _signed(self, signature: SignatureLine | None) -> None:
        if signature is not None:
            self.signature = signature
            self.dismiss(signature)

    def _refused(self, error: WorkCellError) -> None:
        refusal(self.query_one("#plan-message", Static), error)
