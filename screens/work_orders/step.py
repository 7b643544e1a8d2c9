"""One step at a time: instructions, the entries (each committed as it is made), the
component scans, the step's signatures, its deviations; the next step once it is signed.

Nothing here is held unsaved: every value is in the database the moment OK is tapped, so a
crash, a lock or another person at the station loses nothing and the step resumes where it
was (``current_step``). What a value means against its limits is shown while it is typed;
a value outside asks why (that opens the deviation) before it is saved. A supervisor
verifies at this station with their own badge and PIN (the signature dialog), without the
operator signing out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Static

from domain.errors import WorkCellError
from screens.backend import SignatureLine
from screens.base import StationScreen, call_backend
from screens.messages import BarcodeScanned
from screens.modals.signature import SignatureModal
from screens.station import station_of
from screens.widgets.keyboard import KeyboardModal
from screens.widgets.printable import printable
from screens.work_orders.backend import (
    PERFORMED,
    ROLE_NAMES,
    DataField,
    Signoff,
    StepSignable,
    StepView,
    WorkOrderBackend,
)
from screens.work_orders.complete import CompleteModal
from screens.work_orders.equipment_row import EquipmentRow
from screens.work_orders.fields import FieldRow
from screens.work_orders.inspection_row import InspectionRow
from screens.work_orders.step_equipment import StepEquipment

MEANINGS = ("performed", "verified", "reviewed")
SIGN_LABEL = {"performed": "Performed", "verified": "Verify", "reviewed": "QA review"}


class StepScreen(StepEquipment, StationScreen):
    CSS_PATH = "work_orders.tcss"
    TITLE_TEXT = "Step"
    ACCEPTS_SCANS = True

    def __init__(
        self,
        backend: WorkOrderBackend,
        number: str,
        open_inspection: Callable[[str], Screen[Any]] | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.number = number
        # the inspection screen of the quality area (composed by the kiosk; None: not here)
        self.open_inspection = open_inspection
        self.inspecting = False  # the inspection screen is open over this one
        self.view: StepView | None = None
        self.typed: dict[str, str] = {}  # a value typed but not saved (a reason was refused)
        self.finished = False  # every step done and the completion dialog answered
        self.shown_fields: tuple[DataField, ...] = ()

    def compose_body(self) -> ComposeResult:
        yield Static(f"{self.number}: loading…", id="step-heading", markup=False)
        yield Static("", id="step-title")
        with Horizontal(id="step-body"):
            with VerticalScroll(id="step-instructions"):
                yield Static("", id="step-text", markup=False)
            yield VerticalScroll(id="step-fields")
        yield Static("", id="step-status", markup=False)  # it quotes stored text
        with Horizontal(id="step-actions"):
            for meaning in MEANINGS:
                yield Button(SIGN_LABEL[meaning], id=f"sign-{meaning}", variant="success")
            yield Button("Approve dev.", id="step-approve", variant="warning")
            yield Button("Next step ▶", id="step-next", variant="primary")
            yield Button("Deviation…", id="step-deviation")
            yield Button("Complete short…", id="step-short", variant="warning")

    def on_mount(self) -> None:
        for button in self.query("#step-actions > Button").results(Button):
            button.display = False
        self.load()

    def load(self) -> None:
        user = station_of(self).current_user
        if user is not None:
            call_backend(
                self, lambda: self.backend.current_step(user.username, self.number), self.show,
                failed=self.refused,
            )  # fmt: skip

    # -- showing a step ------------------------------------------------------------------------

    def show(self, view: StepView) -> None:
        new_step = self.view is None or self.view.step_id != view.step_id
        self.view = view
        if view.work_order_done:
            if not any(isinstance(x, CompleteModal) for x in self.app.screen_stack):
                self.app.push_screen(CompleteModal(self.backend, view.work_order), self._completed)
            return
        self.query_one("#step-heading", Static).update(view.heading)
        title = f"{view.step_number:d} {escape(printable(view.title))}"
        if view.critical:
            title += "  [b reverse yellow] CRITICAL [/]"
        if view.qualification:
            title += f"  needs {escape(printable(view.qualification))}"
        self.query_one("#step-title", Static).update(title)
        if new_step:
            self.typed.clear()
            self.query_one("#step-text", Static).update(
                printable(view.instructions or "(no instructions)")
            )
            self.query_one("#step-instructions", VerticalScroll).scroll_home(animate=False)
        if new_step or self.shown_fields != view.fields:  # a balance recorded: Read balance
            self.shown_fields = view.fields
            self.call_later(self._rows)
        else:
            for row in self.query(FieldRow).results(FieldRow):
                row.show(view.entry(row.field.code))
                row.disabled = view.stops_work_order
            for unit_row in self.query(EquipmentRow).results(EquipmentRow):
                unit_row.show(view)
                unit_row.disabled = view.stops_work_order
            for inspection_row in self.query(InspectionRow).results(InspectionRow):
                inspection_row.show(view)
        self._actions(view)

    async def _rows(self) -> None:
        """The step's rows, built again (the old ones gone first: the same ids come back),
        from the newest view (a save may have landed meanwhile)."""
        box = self.query_one("#step-fields", VerticalScroll)
        await box.remove_children()
        view = self.view
        if view is None:
            return
        recording: list[Widget] = [EquipmentRow(view)] if view.equipment_class else []
        recording += [FieldRow(f, view.entry(f.code)) for f in view.fields]
        for row in recording:  # its NCR stopped the work here: the database takes no entry
            row.disabled = view.stops_work_order
        rows: list[Widget] = [InspectionRow(view)] if view.inspection else []
        await box.mount_all(rows + recording)

    def _completed(self, status: str | None) -> None:
        if status is not None:
            self.notify(f"{self.number} is {status.replace('_', ' ')}.", title="Work order")
        # Back to the queue either way (nothing is left to run here) once this screen is
        # shown again (a dismiss from inside the modal's result callback never completed).
        self.finished = True

    def on_screen_resume(self) -> None:
        # Shown again with every step done: the completion dialog was answered (its
        # callback is not relied on to leave). A resume handled after the completion
        # dialog was pushed (a signature's dialog closed on the last step) is not one.
        if self.app.screen is not self:
            return
        if self.inspecting:  # back from the inspection: its state (and the step's) anew
            self.inspecting = False
            self.load()
            return
        if self.finished or (self.view is not None and self.view.work_order_done):
            self.dismiss(None)

    def _actions(self, view: StepView) -> None:
        """One button per signature the step still needs; what stops each, said in one or
        two lines before anyone taps a badge (the database checks again when signing)."""
        user = station_of(self).current_user
        said: list[str] = []
        needed = {s.meaning: s for s in view.signoffs}
        performed = needed.get(PERFORMED)
        waiting = performed is not None and performed.signed is None
        for meaning in MEANINGS:
            button = self.query_one(f"#sign-{meaning}", Button)
            signoff = needed.get(meaning)
            button.display = signoff is not None and signoff.signed is None
            if signoff is None or signoff.signed is not None:
                continue
            # the database asks for the routing step's role (workcell.user_role)
            theirs = user is not None and signoff.role in user.roles
            reason = self._refusal(view, signoff, waiting, theirs)
            button.disabled = reason is not None
            if reason and not (meaning != PERFORMED and waiting):
                said.append(reason)
            elif reason is None and meaning != PERFORMED and not theirs:
                said.append(f"{SIGN_LABEL[meaning]}: {ROLE_NAMES[signoff.role]} taps their "
                            "badge here and signs.")  # fmt: skip
        for deviation in view.open_deviations:
            said.append(f"Blocked: {deviation.number} ({deviation.what}) waits for QA approval.")
        signed = [f"{s.meaning} by {s.signed.printed_name}" for s in view.signoffs if s.signed]
        if signed:
            said.append("Signed " + ", ".join(signed) + ".")
        self.query_one("#step-approve").display = bool(view.open_deviations)
        # Every signature given: the step closes (at once after the last signature; this
        # button when it waited for something done elsewhere, e.g. QA approving at their desk)
        self.query_one("#step-next").display = all(g.signed for g in view.signoffs)
        self.query_one("#step-deviation").display = True
        # its NCR scrapped the work: nothing more runs here, the work order ends short
        self.query_one("#step-short").display = view.stops_work_order
        self._status("\n".join(said), alarm=bool(view.open_deviations))

    @staticmethod
    def _refusal(view: StepView, signoff: Signoff, waiting: bool, theirs: bool) -> str | None:
        """Why this signature cannot be given now."""
        if view.waits_for_inspection and view.inspection is not None:
            return view.inspection.waiting or "The step's inspection is accepted first."
        if signoff.meaning == PERFORMED:
            if view.needs_unit:
                return f"Scan the {view.equipment_class} you use (or pick it), then sign."
            if view.missing:
                return "Record " + ", ".join(f.label for f in view.missing) + ", then sign."
            return signoff.refusal
        if waiting:
            return f"{SIGN_LABEL[signoff.meaning]} after Performed."
        # Someone else signs at this station with their own badge (a supervisor walking
        # up): the database checks them. The signed-in person's own refusal (e.g. they
        # performed it) counts only where the signature would be theirs to give.
        return signoff.refusal if theirs else None

    def _status(self, text: str, *, alarm: bool = False) -> None:
        status = self.query_one("#step-status", Static)
        status.update(printable(text))  # it quotes stored and scanned text
        status.set_class(alarm, "-alarm")

    def refused(self, error: WorkCellError) -> None:
        """A refusal (a scan, a value, a signature's precondition): said, nothing changed."""
        self._status(f"Refused — {error.title}: {error.message}", alarm=True)

    # -- entries -------------------------------------------------------------------------------

    @on(FieldRow.Asked)
    def asked(self, message: FieldRow.Asked) -> None:
        data_field, action = message.field, message.action
        if action == "pass":
            self._save(data_field, "pass", "")
        elif action == "fail":
            self._ask_why(data_field, "fail", "FAIL: what was found? (opens a deviation)")
        elif action == "weigh":
            self.weigh(data_field)
        elif action == "type-lot":
            modal = KeyboardModal(f"Lot of {data_field.component} (as on its label)", "")
            self.app.push_screen(modal, lambda text: self.scan(text) if text else None)
        else:
            self._enter(data_field)

    def _enter(self, data_field: DataField) -> None:
        numeric = data_field.kind in ("numeric", "output")
        label = data_field.label + (f" [{data_field.limits()}]" if data_field.limits() else "")

        def check(text: str) -> tuple[str, bool]:
            judged = data_field.judge(text)
            return judged.text, judged.ok and not judged.within

        modal = KeyboardModal(
            label, self.typed.get(data_field.code, ""), numeric=numeric,
            check=check if numeric else None,
        )  # fmt: skip
        self.app.push_screen(modal, lambda text: self._typed(data_field, text))

    def _typed(self, data_field: DataField, text: str | None) -> None:
        if text is None or not text.strip():
            return
        self.typed[data_field.code] = text
        view = self.view
        if data_field.kind == "output":
            self._output(text)
            return
        if data_field.kind == "numeric":
            judged = data_field.judge(text)
            if not judged.ok:
                self._status(judged.text, alarm=True)
                return
            if not judged.within:
                self._ask_why(data_field, text, f"{text} {data_field.unit}: {judged.text} Why?")
                return
        if view is not None and view.entry(data_field.code) is not None:
            self._ask_why(data_field, text, "Correction: the reason (the old value is kept)")
            return
        self._save(data_field, text, "")

    def _ask_why(self, data_field: DataField, value: str, question: str) -> None:
        def answered(why: str | None) -> None:
            if why and why.strip():
                self._save(data_field, value, why.strip())
            else:
                self._status("Not saved: a reason is needed. Tap the field again.", alarm=True)

        self.app.push_screen(KeyboardModal(question, ""), answered)

    def _save(self, data_field: DataField, value: str, why: str) -> None:
        user, view = station_of(self).current_user, self.view
        if user is None or view is None:
            return
        self._status("Saving…")

        def saved(new: StepView) -> None:
            self.typed.pop(data_field.code, None)
            self.show(new)

        call_backend(
            self, lambda: self.backend.record_value(
                user.username, view.step_id, data_field.code, value, why),
            saved, failed=self.refused, group="step-entry",
        )  # fmt: skip

    def _output(self, quantity: str) -> None:
        user, view = station_of(self).current_user, self.view
        if user is None or view is None:
            return
        self._status("Recording the output…")
        call_backend(
            self, lambda: self.backend.record_output(user.username, view.step_id, quantity),
            self.show, failed=self.refused, group="step-entry",
        )  # fmt: skip

    @on(BarcodeScanned)
    def scanned(self, message: BarcodeScanned) -> None:
        self.scan(message.data)

    def scan(self, data: str) -> None:
        user, view = station_of(self).current_user, self.view
        if user is None or view is None:
            return
        self._status("Checking the scan…")
        call_backend(
            self, lambda: self.backend.scan_component(user.username, view.step_id, data),
            self.show, failed=self.refused, group="step-scan",
        )  # fmt: skip

    # -- the step's inspection ------------------------------------------------------------

    @on(InspectionRow.Asked)
    def inspection(self, message: InspectionRow.Asked) -> None:
        user, view = station_of(self).current_user, self.view
        if not message.number:  # start the step: the database opens its inspection
            if user is not None and view is not None:
                self._status("Starting the step…")
                who, step, version = user.username, view.step_id, view.version
                call_backend(
                    self, lambda: self.backend.start_step(who, step, version),
                    self.show, failed=self.refused, group="step-entry",
                )  # fmt: skip
            return
        if self.open_inspection is None:
            self._status(f"Open inspection {message.number} from Inspections on the home screen.")
            return
        self.inspecting = True
        self.app.push_screen(self.open_inspection(message.number))

    # -- deviations and signatures --------------------------------------------------------

    @on(Button.Pressed, "#step-deviation")
    def deviation(self) -> None:
        def described(what: str | None) -> None:
            if what and what.strip():
                self.app.push_screen(
                    KeyboardModal("Why (cause, what was done)?", ""),
                    lambda why: self._raise(what.strip(), why or ""),
                )

        self.app.push_screen(KeyboardModal("Deviation: what happened?", ""), described)

    def _raise(self, what: str, why: str) -> None:
        user, view = station_of(self).current_user, self.view
        if user is not None and view is not None:
            call_backend(
                self, lambda: self.backend.raise_deviation(user.username, view.step_id, what, why),
                self.show, failed=self.refused, group="step-entry",
            )  # fmt: skip

    @on(Button.Pressed, "#step-next")
    def next_step(self) -> None:
        user, view = station_of(self).current_user, self.view
        if user is None or view is None:
            return
        self._status("Closing the step…")
        call_backend(
            self, lambda: self.backend.finish_step(user.username, view.step_id, view.version),
            self.show, failed=self.refused, group="step-entry",
        )  # fmt: skip

    @on(Button.Pressed, "#step-short")
    def complete_short(self) -> None:
        view = self.view
        if view is None or not view.stops_work_order or view.inspection is None:
            return
        stopped = f"stopped at step {view.seq} by {view.inspection.ncr}"
        self.app.push_screen(
            CompleteModal(self.backend, view.work_order, stopped=stopped), self._completed
        )

    @on(Button.Pressed, "#step-approve")
    def approve(self) -> None:
        user, view = station_of(self).current_user, self.view
        if user is None or view is None or not view.open_deviations:
            return
        deviation = view.open_deviations[0]
        signable = self.backend.approve_deviation(
            user.username, deviation.number, deviation.version
        )
        self.app.push_screen(SignatureModal(signable), lambda line: self._signed(line, signable))

    @on(Button.Pressed, "#sign-performed, #sign-verified, #sign-reviewed")
    def sign(self, event: Button.Pressed) -> None:
        meaning = (event.button.id or "").removeprefix("sign-")
        user, view = station_of(self).current_user, self.view
        if meaning not in MEANINGS or user is None or view is None:
            return
        signable = self.backend.sign_step(user.username, view.step_id, meaning, view.version)
        self.app.push_screen(SignatureModal(signable), lambda line: self._signed(line, signable))

    def _signed(self, line: SignatureLine | None, signable: StepSignable | None) -> None:
        if line is None:
            return  # cancelled: the step is as it was
        after = signable.after if signable is not None else None
        if after is not None:
            self.show(after)  # read in the signature's worker: no second round trip
        else:
            self.load()
