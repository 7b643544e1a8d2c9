"""The step's inspection line (migration 0030): the in-process or final inspection the
routing step names, its state (results entered, the database's decision, QA's disposition,
the NCR it went to) and what the step waits for, with one big button that opens the
inspection screen. Talks up with `InspectionRow.Asked`; the step screen decides."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Static

from screens.work_orders.backend import StepInspection, StepView

STATUS = {
    "open": "open: results being entered",
    "completed": "completed: waiting for QA",
    "released": "ACCEPTED by QA",
    "referred": "referred to an NCR",
}


class InspectionRow(Horizontal):
    DEFAULT_CSS = """
    InspectionRow { height: auto; min-height: 3; margin-bottom: 1; }
    InspectionRow > #inspection-text { width: 1fr; height: auto; min-height: 3; padding: 0 1; }
    InspectionRow > Button { min-width: 12; margin-left: 1; }
    InspectionRow.-waiting > #inspection-text { border-left: thick $warning; }
    InspectionRow.-accepted > #inspection-text { border-left: thick $success; }
    """

    @dataclass
    class Asked(Message):
        number: str  # the inspection to open; "" to start the step (it opens then)

    def __init__(self, view: StepView) -> None:
        super().__init__(id="inspection-row")
        self.view = view

    def compose(self) -> ComposeResult:
        yield Static(id="inspection-text")
        yield Button("Open inspection", id="inspection-open", variant="primary")
        yield Button("Start step", id="inspection-start", variant="primary")

    def on_mount(self) -> None:
        self.show(self.view)

    @staticmethod
    def text(i: StepInspection) -> Text:
        kind = i.kind.replace("_", "-")
        text = Text.assemble(("Inspection: ", "bold"), (f"{kind}", "bold"))
        if not i.number:  # what it waits for (the status line says it for an opened one)
            text.append("\n" + (i.waiting or "not opened yet"), style="italic")
        else:
            text.append(" ")
            text.append(i.number, style="bold reverse")
            text.append(f" — {STATUS.get(i.status, i.status)}")
            facts = [f"{i.results} of {i.needed} results"]
            if i.decision:
                facts.append(f"decision: {i.decision}")
            if i.ncr:
                facts.append(f"NCR {i.ncr}")
            text.append("\n" + " · ".join(facts), style="italic")
        return text

    def show(self, view: StepView) -> None:
        self.view = view
        i = view.inspection
        if i is None:
            return
        self.query_one("#inspection-text", Static).update(self.text(i))
        self.query_one("#inspection-open").display = bool(i.number)
        # not opened: a pending step starts here (the inspection opens with it)
        self.query_one("#inspection-start").display = not i.number and view.status == "pending"
        self.set_class(not i.accepted, "-waiting")
        self.set_class(i.accepted, "-accepted")

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        i = self.view.inspection
        if i is not None:
            self.post_message(self.Asked(i.number if event.button.id == "inspection-open" else ""))
