"""The step's equipment line: the class the routing step needs and the unit recorded as
used (with its calibration), or what to do ("scan its asset tag, or pick it"). Talks up
with `EquipmentRow.Asked` ("pick", "tare"); the step screen decides."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Static

from screens.work_orders.backend import StepView


class EquipmentRow(Horizontal):
    DEFAULT_CSS = """
    EquipmentRow { height: auto; min-height: 3; margin-bottom: 1; }
    EquipmentRow > #equipment-text { width: 1fr; height: auto; min-height: 3; padding: 0 1; }
    EquipmentRow > Button { min-width: 9; margin-left: 1; }
    EquipmentRow.-missing > #equipment-text { border-left: thick $warning; }
    EquipmentRow.-done > #equipment-text { border-left: thick $success; }
    """

    @dataclass
    class Asked(Message):
        action: str  # pick | tare

    def __init__(self, view: StepView) -> None:
        super().__init__(id="equipment-row")
        self.view = view

    def compose(self) -> ComposeResult:
        yield Static(id="equipment-text")
        yield Button("Pick unit", id="equipment-pick", name="pick", variant="primary")
        yield Button("Tare", id="equipment-tare", name="tare", variant="warning")

    def on_mount(self) -> None:
        self.show(self.view)

    def show(self, view: StepView) -> None:
        self.view = view
        unit = view.unit
        text = Text.assemble(("Equipment: ", "bold"), (view.equipment_class, "bold"), "\n")
        if unit is None:
            text.append("— scan its asset tag, or pick it —", style="italic")
        else:
            text.append(unit.asset_id, style="bold reverse")
            text.append(f" {unit.description}")
            facts = (
                [f"calibrated until {unit.calibration_due:%Y-%m-%d}"]
                if unit.calibration_due
                else []
            )
            if unit.balance:
                facts.append("balance connected" if view.unit_connected else "not wired here: type")
            if facts:
                text.append("\n" + " · ".join(facts), style="italic")
        self.query_one("#equipment-text", Static).update(text)
        self.query_one("#equipment-pick", Button).label = "Pick unit" if unit is None else "Change"
        tare = bool(unit and unit.balance and view.unit_connected)
        self.query_one("#equipment-tare").display = tare
        self.set_class(unit is None, "-missing")
        self.set_class(unit is not None, "-done")

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Asked(event.button.name or ""))
