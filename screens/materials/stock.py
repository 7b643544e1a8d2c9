"""Scrap and count adjustment of a lot: scan the lot (its verdict shows at once: may it be
scrapped or adjusted, and by you), choose the bin, quantity on the keypad, say why. Every
check runs before anything is confirmed or signed; a scrap is confirmed, an adjustment is
signed by the adjuster ("adjusted"). A refusal is shown with the form kept."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from domain.errors import WorkCellError
from screens.backend import SignatureLine
from screens.base import StationScreen, call_backend
from screens.materials.backend import (
    MaterialsBackend,
    StockChangeForm,
    StockChangePreview,
    StockLotView,
)
from screens.materials.common import actor, qty, refusal, say, status_text
from screens.messages import BarcodeScanned
from screens.modals.confirm import ConfirmModal
from screens.modals.signature import SignatureModal
from screens.widgets.choice import ChoiceButton
from screens.widgets.keyboard import TouchInput
from screens.widgets.printable import literal_label

SEP = " · "
DIRECTIONS = {"+ found more": "+", "− missing": "-"}
TITLES = {"scrap": "Scrap", "adjust": "Adjust count"}


def _code(option: str) -> str:
    return option.split(SEP, 1)[0]


class StockChangeScreen(StationScreen):
    """The screen both kinds share (``ScrapScreen``, ``AdjustScreen``)."""

    CSS_PATH = "materials.tcss"
    ACCEPTS_SCANS = True
    KIND: ClassVar[str] = ""
    DRAFT_SCREEN: ClassVar[str] = ""

    def __init__(self, backend: MaterialsBackend, lot_number: str = "", **values: str) -> None:
        super().__init__()
        self.backend = backend
        self.kind = self.KIND
        self.initial_lot = lot_number
        self.initial = values
        self.lot: StockLotView | None = None
        self.verdicts = 0  # lot verdicts (or refusals of a scan) shown: what tests wait on
        self.done = 0  # changes made on this screen

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="mat-row"):
            yield TouchInput(self.initial_lot, placeholder="Scan or type the lot", id="sc-lot")
            yield Button("Show", id="sc-show", variant="primary")
        yield Static("", id="sc-message", classes="mat-message", markup=False)
        with VerticalScroll(classes="mat-scroll"):
            yield Static(f"Scan the lot to {self.kind}.", id="sc-facts", classes="mat-box",
                         markup=False)  # fmt: skip
            with Horizontal(classes="mat-row"):
                yield ChoiceButton("Bin", [], id="sc-bin")
                if self.kind == "adjust":
                    yield ChoiceButton("Count", list(DIRECTIONS), id="sc-direction")
            with Horizontal(classes="mat-row"):
                yield Label("Quantity", classes="mat-label", id="sc-qty-label", markup=False)
                yield TouchInput(self.initial.get("quantity", ""), placeholder="Quantity",
                                 id="sc-qty", type="number")  # fmt: skip
                if self.kind == "scrap":
                    yield Button("All", id="sc-all")
                    yield TouchInput(self.initial.get("serial", ""), placeholder="Serial (if any)",
                                     id="sc-serial")  # fmt: skip
            with Horizontal(classes="mat-row"):
                yield Label("Reason", classes="mat-label")
                yield TouchInput(self.initial.get("reason", ""), id="sc-reason",
                                 placeholder=f"Why it is {self._done_word()}")  # fmt: skip
        with Horizontal(classes="mat-row"):  # outside the scroll: always in reach
            yield Button(literal_label(f"{TITLES[self.kind].split()[0]}…"), id="sc-go",
                         variant="error" if self.kind == "scrap" else "warning")  # fmt: skip
            yield Button("Clear", id="sc-clear")

    def on_mount(self) -> None:
        wanted = self.initial.get("direction", "")
        if self.kind == "adjust" and wanted in DIRECTIONS:
            self.query_one("#sc-direction", ChoiceButton).value = wanted
        if self.initial_lot:
            self.find()
        else:
            self.query_one("#sc-lot", Input).focus()

    # -- the lot and its verdict ------------------------------------------------------------

    @on(BarcodeScanned)
    def scanned(self, message: BarcodeScanned) -> None:
        """A bin label chooses the bin (once a lot is shown); anything else is the lot."""
        message.stop()
        data = message.data.strip()
        choice = self.query_one("#sc-bin", ChoiceButton)
        match = next((o for o in choice.options if _code(o) == data.upper()), None)
        if self.lot is not None and match is not None:
            choice.value = match
            return
        self.query_one("#sc-lot", Input).value = data
        self.find()

    @on(Input.Submitted, "#sc-lot")
    @on(Button.Pressed, "#sc-show")
    def find(self) -> None:
        who = actor(self)
        text = self.query_one("#sc-lot", Input).value.strip()
        if who is None or not text:
            return
        kind = self.kind
        call_backend(
            self, lambda: self.backend.stock_lot(who, text, kind), self.show,
            failed=self._scan_refused, group="lot",
        )  # fmt: skip

    def show(self, lot: StockLotView, *, keep_message: bool = False) -> None:
        self.lot = lot
        self.query_one("#sc-lot", Input).value = lot.lot_number
        stock = ", ".join(f"{s.bin_code} {qty(s.quantity, lot.unit)}" for s in lot.stock)
        hold = f"\nHold: {lot.hold}" if lot.hold else ""
        self.query_one("#sc-facts", Static).update(
            f"{lot.lot_number}  [{status_text(lot.status, lot.hold is not None, lot.late)}]  "
            f"{lot.item_number} {lot.description}\nOn hand: {stock or 'nothing'}{hold}"
        )
        choice = self.query_one("#sc-bin", ChoiceButton)
        kept = _code(choice.value) or self.initial.get("bin", "")
        choice.options = [f"{s.bin_code}{SEP}{qty(s.quantity, lot.unit)}" for s in lot.stock]
        match = next((o for o in choice.options if _code(o) == kept), "")
        choice.value = match or (choice.options[0] if len(choice.options) == 1 else "")
        self.query_one("#sc-go", Button).disabled = lot.refusal is not None
        self.query_one("#sc-qty-label", Label).update(f"Qty ({lot.unit})")
        if not keep_message:
            box = self.query_one("#sc-message", Static)
            if lot.refusal is not None:
                say(box, f"{TITLES[self.kind]}: not possible — {lot.refusal}")
            else:
                say(box, f"Lot {lot.lot_number} may be {self._done_word()}: choose the bin, "
                    "quantity and reason.", "why")  # fmt: skip
        self.verdicts += 1

    def _done_word(self) -> str:
        return "scrapped" if self.kind == "scrap" else "adjusted"

    def _scan_refused(self, error: WorkCellError) -> None:
        self.lot = None
        self.query_one("#sc-go", Button).disabled = True
        refusal(self.query_one("#sc-message", Static), error)
        self.verdicts += 1

    @on(Button.Pressed, "#sc-all")
    def take_all(self) -> None:
        lot, code = self.lot, _code(self.query_one("#sc-bin", ChoiceButton).value)
        found = next((s for s in lot.stock if s.bin_code == code), None) if lot else None
        if found is not None:
            self.query_one("#sc-qty", Input).value = qty(found.quantity)

    # -- check, then confirm or sign --------------------------------------------------------

    def form(self) -> StockChangeForm:
        def value(name: str) -> str:
            found = self.query(f"#{name}")
            return found.first(Input).value.strip() if found else ""

        direction = ""
        if self.kind == "adjust":
            direction = DIRECTIONS.get(self.query_one("#sc-direction", ChoiceButton).value, "")
        lot = self.lot.lot_number if self.lot else value("sc-lot")
        return StockChangeForm(
            self.kind, lot, _code(self.query_one("#sc-bin", ChoiceButton).value),
            value("sc-qty"), value("sc-reason"), direction, value("sc-serial"),
        )  # fmt: skip

    @on(Button.Pressed, "#sc-go")
    def check(self) -> None:
        who = actor(self)
        if who is None:
            return
        if self.lot is None:
            say(self.query_one("#sc-message", Static), f"Scan the lot to {self.kind} first.")
            return
        form = self.form()
        call_backend(
            self, lambda: self.backend.check_stock_change(who, form),
            lambda preview: self._ask(form, preview), failed=self._refused, group="change",
        )  # fmt: skip

    def _ask(self, form: StockChangeForm, p: StockChangePreview) -> None:
        if p.kind == "scrap":
            serial = f" (serial {p.serial})" if p.serial else ""
            text = (
                f"Scrap {qty(p.quantity, p.unit)}{serial} of lot {p.lot_number} "
                f"({p.item_number}) from {p.bin_code}: {qty(p.on_hand, p.unit)} there now, "
                f"{qty(p.after, p.unit)} after. Reason: {p.reason}"
            )
            self.app.push_screen(
                ConfirmModal("Scrap this?", text, confirm="Scrap", cancel="Back to form"),
                lambda yes: self._scrap(form) if yes else None,
            )
            return
        who = actor(self)
        if who is not None:
            call_backend(
                self, lambda: self.backend.adjustment(who, form),
                lambda signable: self.app.push_screen(SignatureModal(signable), self._signed),
                failed=self._refused, group="change",
            )  # fmt: skip

    def _scrap(self, form: StockChangeForm) -> None:
        who = actor(self)
        if who is not None:
            call_backend(
                self, lambda: self.backend.scrap(who, form),
                lambda lot: self._changed(lot, form), failed=self._refused, group="change",
            )  # fmt: skip

    def _signed(self, signature: SignatureLine | None) -> None:
        who, lot = actor(self), self.lot
        if signature is None or who is None or lot is None:
            return  # cancelled: the form stays as it is
        form = self.form()
        number = lot.lot_number
        call_backend(
            self, lambda: self.backend.stock_lot(who, number, "adjust"),
            lambda new: self._changed(new, form, signature.printed_name), failed=self._refused,
        )  # fmt: skip

    def _changed(self, lot: StockLotView, form: StockChangeForm, signer: str = "") -> None:
        self.done += 1
        for name in ("#sc-qty", "#sc-reason", "#sc-serial"):
            for widget in self.query(name):
                if isinstance(widget, Input):
                    widget.value = ""
        self.show(lot, keep_message=True)
        sign = "" if form.kind == "scrap" else ("+" if form.direction == "+" else "−")
        by = f", signed by {signer}" if signer else ""
        say(self.query_one("#sc-message", Static),
            f"{'Scrapped' if form.kind == 'scrap' else 'Adjusted'} {sign}{form.quantity} "
            f"{lot.unit} of {lot.lot_number} in {form.bin_code}{by}.", "ok")  # fmt: skip

    def _refused(self, error: WorkCellError) -> None:
        refusal(self.query_one("#sc-message", Static), error)  # the form stays as it is

    @on(Button.Pressed, "#sc-clear")
    def clear(self) -> None:
        for widget in self.query(TouchInput):
            widget.value = ""
        self.query_one("#sc-bin", ChoiceButton).options = []
        self.query_one("#sc-bin", ChoiceButton).value = ""
        self.lot = None
        self.query_one("#sc-facts", Static).update(f"Scan the lot to {self.kind}.")
        say(self.query_one("#sc-message", Static), "")
        self.query_one("#sc-go", Button).disabled = False
        self.query_one("#sc-lot", Input).focus()

    def unsaved_input(self) -> tuple[str, dict[str, Any]] | None:
        form = self.form()
        values = {"lot": form.lot_number, "bin": form.bin_code, "quantity": form.quantity,
                  "reason": form.reason, "serial": form.serial}  # fmt: skip
        if self.kind == "adjust":
            values["direction"] = self.query_one("#sc-direction", ChoiceButton).value
        if not (form.quantity or form.reason):
            return None
        return (f"{TITLES[self.kind]} of {form.lot_number or 'a lot'}", values)


class ScrapScreen(StockChangeScreen):
    KIND = "scrap"
    TITLE_TEXT = "Scrap"
    DRAFT_SCREEN = "scrap"


class AdjustScreen(StockChangeScreen):
    KIND = "adjust"
    TITLE_TEXT = "Adjust count"
    DRAFT_SCREEN = "adjust"
