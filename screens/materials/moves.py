"""Moves: all or part of a lot from one bin to another — scan the lot, tap (or scan) the
bin it goes to, quantity on the keypad or "All"; the database's zone rules decide, and a
refusal is shown with the form kept."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Static

from domain.errors import WorkCellError
from screens.base import StationScreen, call_backend
from screens.materials.backend import BinChoice, LotDetail, MaterialsBackend
from screens.materials.common import actor, qty, refusal, say, status_text
from screens.messages import BarcodeScanned
from screens.widgets.choice import ChoiceButton
from screens.widgets.keyboard import TouchInput

SEP = " · "


def _code(option: str) -> str:
    return option.split(SEP, 1)[0]


class MoveScreen(StationScreen):
    CSS_PATH = "materials.tcss"
    TITLE_TEXT = "Move"
    ACCEPTS_SCANS = True
    DRAFT_SCREEN = "move"

    def __init__(self, backend: MaterialsBackend, lot_number: str = "", **values: str) -> None:
        super().__init__()
        self.backend = backend
        self.initial_lot = lot_number
        self.initial = values
        self.detail: LotDetail | None = None
        self.bins: list[BinChoice] = []

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="mat-row"):
            yield TouchInput(self.initial_lot, placeholder="Scan or type the lot", id="mv-lot")
            yield Button("Show", id="mv-show", variant="primary")
        yield Static("", id="mv-message", classes="mat-message", markup=False)
        with VerticalScroll(classes="mat-scroll"):
            yield Static("Scan the lot to move.", id="mv-facts", classes="mat-box", markup=False)
            with Horizontal(classes="mat-row"):
                yield ChoiceButton("From", [], id="mv-from")
                yield ChoiceButton("To", [], id="mv-to")
            with Horizontal(classes="mat-row"):
                yield TouchInput(self.initial.get("quantity", ""), placeholder="Quantity",
                                 id="mv-qty", type="number")  # fmt: skip
                yield Button("All", id="mv-all")
                yield TouchInput(self.initial.get("serial", ""), placeholder="Serial (if any)",
                                 id="mv-serial")  # fmt: skip
                yield Button("Move", id="mv-move", variant="success")

    def on_mount(self) -> None:
        who = actor(self)
        if who is not None:
            call_backend(self, lambda: self.backend.bins(who), self._bins, group="bins")
        if self.initial_lot:
            self.find()
        else:
            self.query_one("#mv-lot", Input).focus()

    def _bins(self, bins: list[BinChoice]) -> None:
        self.bins = bins
        to = self.query_one("#mv-to", ChoiceButton)
        to.options = [f"{b.code}{SEP}{b.zone_type}" for b in bins]
        wanted = self.initial.get("to", "")
        match = next((o for o in to.options if _code(o) == wanted), "")
        if match:
            to.value = match

    @on(BarcodeScanned)
    def scanned(self, message: BarcodeScanned) -> None:
        """A bin label sets where it goes (once a lot is shown); anything else is the lot."""
        message.stop()
        data = message.data.strip().upper()
        to = self.query_one("#mv-to", ChoiceButton)
        match = next((o for o in to.options if _code(o) == data), None)
        if self.detail is not None and match is not None:
            to.value = match
            return
        self.query_one("#mv-lot", Input).value = message.data.strip()
        self.find()

    @on(Input.Submitted, "#mv-lot")
    @on(Button.Pressed, "#mv-show")
    def find(self) -> None:
        who = actor(self)
        text = self.query_one("#mv-lot", Input).value.strip()
        if who is None or not text:
            return

        def load() -> LotDetail:
            return self.backend.lot(who, self.backend.lot_number_of(who, text))

        call_backend(self, load, self.show, failed=self._refused, group="lot")

    def show(self, d: LotDetail) -> None:
        self.detail = d
        self.query_one("#mv-lot", Input).value = d.lot_number
        stock = ", ".join(f"{s.bin_code} {qty(s.quantity, d.unit)}" for s in d.stock)
        self.query_one("#mv-facts", Static).update(
            f"{d.lot_number}  [{status_text(d.status, d.held, d.out_of_date)}]  "
            f"{d.item_number} {d.description}\nOn hand: {stock or 'nothing'}"
        )
        source = self.query_one("#mv-from", ChoiceButton)
        source.options = [f"{s.bin_code}{SEP}{qty(s.quantity, d.unit)}" for s in d.stock]
        wanted = self.initial.get("from", "")
        match = next((o for o in source.options if _code(o) == wanted), "")
        if source.value not in source.options or not source.value:
            source.value = match or (source.options[0] if len(source.options) == 1 else "")
        if d.actions.get("move"):
            say(self.query_one("#mv-message", Static), f"Move: not for you — {d.actions['move']}",
                "why")  # fmt: skip

    @on(Button.Pressed, "#mv-all")
    def take_all(self) -> None:
        d = self.detail
        source = _code(self.query_one("#mv-from", ChoiceButton).value)
        found = next((s for s in d.stock if s.bin_code == source), None) if d else None
        if found is not None:
            self.query_one("#mv-qty", Input).value = qty(found.quantity)

    @on(Button.Pressed, "#mv-move")
    def move(self) -> None:
        who, d = actor(self), self.detail
        if who is None:
            return
        if d is None:
            say(self.query_one("#mv-message", Static), "Scan the lot to move first.")
            return
        source = _code(self.query_one("#mv-from", ChoiceButton).value)
        to = _code(self.query_one("#mv-to", ChoiceButton).value)
        amount = self.query_one("#mv-qty", Input).value
        serial = self.query_one("#mv-serial", Input).value
        lot = d.lot_number
        call_backend(
            self, lambda: self.backend.move(who, lot, source, to, amount, serial),
            lambda new: self._moved(new, source, to, amount), failed=self._refused,
        )  # fmt: skip

    def _moved(self, d: LotDetail, source: str, to: str, amount: str) -> None:
        self.query_one("#mv-qty", Input).value = ""
        self.query_one("#mv-serial", Input).value = ""
        self.query_one("#mv-from", ChoiceButton).value = ""
        self.show(d)
        say(self.query_one("#mv-message", Static),
            f"Moved {amount} {d.unit} of {d.lot_number}: {source} → {to}.", "ok")  # fmt: skip

    def _refused(self, error: WorkCellError) -> None:
        refusal(self.query_one("#mv-message", Static), error)

    def unsaved_input(self) -> tuple[str, dict[str, Any]] | None:
        values = {
            "lot": self.query_one("#mv-lot", Input).value.strip(),
            "quantity": self.query_one("#mv-qty", Input).value.strip(),
            "serial": self.query_one("#mv-serial", Input).value.strip(),
            "from": _code(self.query_one("#mv-from", ChoiceButton).value),
            "to": _code(self.query_one("#mv-to", ChoiceButton).value),
        }
        if not (values["quantity"] or values["to"]):
            return None
        return (f"Move of {values['lot'] or 'a lot'}", values)
