"""One row per thing to record at a step: what, the limits, the value in force, its buttons.

Rows talk up with `FieldRow.Asked` (which field, what the operator wants to do); the step
screen decides (keyboard, reason, save). Buttons never take a value themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Static

from screens.widgets.printable import printable
from screens.work_orders.backend import DataField, Entry

ACTIONS = {"numeric": ("enter",), "text": ("enter",), "pass_fail": ("pass", "fail"),
           "lot_scan": ("type-lot",), "output": ("enter",)}  # fmt: skip
LABELS = {"enter": "Enter", "pass": "PASS", "fail": "FAIL", "type-lot": "Type lot",
          "weigh": "Read balance"}  # fmt: skip


class FieldRow(Horizontal):
    DEFAULT_CSS = """
    FieldRow { height: auto; min-height: 3; margin-bottom: 1; }
    FieldRow > .field-text { width: 1fr; height: auto; min-height: 3; padding: 0 1; }
    FieldRow > Button { min-width: 9; margin-left: 1; }
    FieldRow.-missing > .field-text { border-left: thick $warning; }
    FieldRow.-alarm > .field-text { border-left: thick $error; }
    FieldRow.-done > .field-text { border-left: thick $success; }
    """

    @dataclass
    class Asked(Message):
        field: DataField
        action: str  # enter | pass | fail | type-lot | weigh

    def __init__(self, data_field: DataField, entry: Entry | None) -> None:
        super().__init__(classes="field-row")
        self.field = data_field
        self.entry = entry

    def compose(self) -> ComposeResult:
        yield Static(self._text(), classes="field-text")
        # a reading first (the big button); typing stays possible and is marked typed
        actions = ("weigh",) if self.field.weighable else ()
        for action in actions + ACTIONS.get(self.field.kind, ()):
            variant = {"pass": "success", "fail": "error", "weigh": "success"}.get(
                action, "primary"
            )
            yield Button(
                LABELS[action],
                id=f"{action}-{self.field.code.lower()}",
                name=action,
                variant=variant,  # type: ignore[arg-type]
            )

    def on_mount(self) -> None:
        self._mark()

    def show(self, entry: Entry | None) -> None:
        self.entry = entry
        self.query_one(".field-text", Static).update(self._text())
        self._mark()
        if self.field.kind in ("numeric", "text"):
            button = self.query_one(f"#enter-{self.field.code.lower()}", Button)
            button.label = "Correct" if entry is not None else "Enter"
        elif self.field.kind == "output":
            self.query_one(Button).display = entry is None  # made once; QA decides the rest

    def _mark(self) -> None:
        entry = self.entry
        self.set_class(entry is None and self.field.required, "-missing")
        self.set_class(entry is not None and entry.out_of_limit, "-alarm")
        self.set_class(entry is not None and not entry.out_of_limit, "-done")

    def _text(self) -> Text:
        f = self.field
        what = f.label if f.kind != "lot_scan" else f"Scan {f.component} {f.component_description}"
        text = Text.assemble((what, "bold"))
        limits = f.limits()
        if limits:
            text.append(f"  {limits}")
        if not f.required:
            text.append("  (optional)", style="dim")
        text.append("\n")
        entry = self.entry
        if entry is None:
            text.append("— not recorded yet —", style="italic")
        else:
            style = "bold reverse red" if entry.out_of_limit else "bold"
            text.append(printable(entry.shown), style=style)
            if entry.out_of_limit:
                text.append("  OUT OF LIMIT", style="bold red")
            text.append(f"  by {entry.entered_by}")
            if entry.source == "balance":
                text.append(f"\n⚖ read from {entry.instrument}", style="italic")
            elif self.field.weighable:
                text.append("\ntyped, not read from the balance", style="italic")
            if entry.corrected:
                text.append(f"  corrected: {printable(entry.reason)}", style="italic")
        return text

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Asked(self.field, event.button.name or ""))
