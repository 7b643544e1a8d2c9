"""Receiving: scan the supplier's GS1 label (or type it), choose the supplier from the
item's approved list, supplier lot, PO and CoA references, quantity on the keypad; every
check runs before anything is created, a refusal is shown with the form kept; the lot
starts in quarantine in a receiving bin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, Label, Static

from domain.errors import WorkCellError
from screens.base import StationScreen, call_backend
from screens.materials.backend import (
    BinChoice,
    ItemForReceipt,
    MaterialsBackend,
    ReceiptForm,
    ReceiptPreview,
)
from screens.materials.common import actor, qty, refusal, row_height, say
from screens.messages import BarcodeScanned
from screens.modals.confirm import ConfirmModal
from screens.widgets.choice import ChoiceButton
from screens.widgets.columns import fit_columns
from screens.widgets.keyboard import TouchInput
from screens.widgets.tap_table import TapTable

FIELDS = ("rcv-scan", "rcv-item", "rcv-lot", "rcv-qty", "rcv-expiry", "rcv-po", "rcv-coa")


class ReceivingScreen(StationScreen):
    CSS_PATH = "materials.tcss"
    TITLE_TEXT = "Receiving"
    ACCEPTS_SCANS = True
    DRAFT_SCREEN = "receiving"

    def __init__(
        self,
        backend: MaterialsBackend,
        open_lot: Callable[[str], Screen[Any]] | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.open_lot = open_lot
        self.initial = dict(values or {})
        self.item: ItemForReceipt | None = None
        self.supplier = str(self.initial.get("supplier", ""))
        self.received: str | None = None
        self.answers = 0  # backend answers shown (item or refusal): what tests wait on

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="mat-row"):
            yield TouchInput(placeholder="Scan or type the supplier's label", id="rcv-scan")
            yield Button("Read", id="rcv-read", variant="primary")
        yield Static("", id="rcv-message", classes="mat-message", markup=False)
        with VerticalScroll(classes="mat-scroll", id="rcv-scroll"):
            with Horizontal(classes="mat-row"):
                yield Label("Item", classes="mat-label")
                yield TouchInput(placeholder="Item (without a label)", id="rcv-item")
                yield ChoiceButton("Bin", [], id="rcv-bin")
            yield Static("Scan the label or enter the item.", id="rcv-item-text", markup=False)
            yield Static("Supplier (the item's approved list) — tap one", classes="mat-title")
            yield TapTable(id="rcv-suppliers", cursor_type="row")
            with Horizontal(classes="mat-row"):
                yield Label("Supp. lot", classes="mat-label")
                yield TouchInput(placeholder="Supplier lot", id="rcv-lot")
                yield Label("Quantity", classes="mat-label")
                yield TouchInput(placeholder="Quantity", id="rcv-qty", type="number")
            with Horizontal(classes="mat-row"):
                yield Label("Expiry", classes="mat-label")
                yield TouchInput(placeholder="YYYY-MM-DD if not on the label", id="rcv-expiry")
                yield Label("", classes="mat-label")
                yield Static("", classes="mat-fill-x")
            with Horizontal(classes="mat-row"):
                yield Label("PO", classes="mat-label")
                yield TouchInput(placeholder="PO reference", id="rcv-po")
                yield Label("CoA", classes="mat-label")
                yield TouchInput(placeholder="CoA reference", id="rcv-coa")
        with Horizontal(classes="mat-row"):  # outside the scroll: always in reach
            yield Button("Receive…", id="rcv-receive", variant="success")
            yield Button("Clear", id="rcv-clear")
            yield Button("Open lot", id="rcv-open", disabled=True)

    def on_mount(self) -> None:
        for name in FIELDS:
            value = self.initial.get(name.removeprefix("rcv-"))
            if value:
                self.query_one(f"#{name}", Input).value = str(value)
        self.query_one("#rcv-scan", Input).focus()
        who = actor(self)
        if who is not None:
            call_backend(self, lambda: self.backend.receiving_bins(who), self._bins, group="bins")
        if self.initial.get("scan") or self.initial.get("item"):
            self.read()

    def _bins(self, bins: list[BinChoice]) -> None:
        choice = self.query_one("#rcv-bin", ChoiceButton)
        choice.options = [b.code for b in bins]
        wanted = str(self.initial.get("bin", ""))
        if wanted in choice.options:
            choice.value = wanted
        elif len(bins) == 1:
            choice.value = bins[0].code

    # -- the label or the item --------------------------------------------------------------

    @on(BarcodeScanned)
    def scanned(self, message: BarcodeScanned) -> None:
        """Wherever the focus is, a scan is the supplier's label."""
        message.stop()
        self.query_one("#rcv-scan", Input).value = message.data.strip()
        self.read()

    @on(Input.Submitted, "#rcv-scan")
    @on(Input.Submitted, "#rcv-item")
    @on(Button.Pressed, "#rcv-read")
    def read(self) -> None:
        who = actor(self)
        if who is None:
            return
        scan = self.query_one("#rcv-scan", Input).value
        item = self.query_one("#rcv-item", Input).value
        call_backend(
            self, lambda: self.backend.item_for_receipt(who, scan, item), self._item,
            failed=self._refused, group="item",
        )  # fmt: skip

    def _item(self, item: ItemForReceipt) -> None:
        self.answers += 1
        self.item = item
        say(self.query_one("#rcv-message", Static), "")
        self.query_one("#rcv-item", Input).value = item.item_number
        label = []
        for name, value in (
            ("rcv-lot", item.label_lot),
            ("rcv-qty", qty(item.label_quantity) if item.label_quantity is not None else None),
            ("rcv-expiry", item.label_expiry.isoformat() if item.label_expiry else None),
        ):
            if value:
                self.query_one(f"#{name}", Input).value = value
                label.append(value)
        read = f" — from the label: {', '.join(label)}" if label else ""
        self.query_one("#rcv-item-text", Static).update(
            f"{item.item_number}  {item.description}  (in {item.unit}, {item.tracking}){read}"
        )
        table = self.query_one("#rcv-suppliers", DataTable)
        cells = [
            (s.code, s.name, Text(s.status.upper(), style="bold" if s.status == "approved"
                                  else "bold red"), s.note)
            for s in item.suppliers
        ]  # fmt: skip
        fitted = fit_columns(table, ("Supplier", "Name", "Status", "Note"), cells, flex=3)
        height = row_height(self)
        for s, line in zip(item.suppliers, fitted, strict=True):
            table.add_row(*line, key=s.code, height=height)
        codes = [s.code for s in item.suppliers]
        approved = [s.code for s in item.suppliers if s.status == "approved"]
        if self.supplier not in codes:
            self.supplier = approved[0] if len(approved) == 1 else ""
        if self.supplier:
            table.move_cursor(row=codes.index(self.supplier))
        if not item.suppliers:
            self._say(f"{item.item_number} has no approved supplier: it cannot be received.")

    @on(DataTable.RowSelected, "#rcv-suppliers")
    def chose_supplier(self, event: DataTable.RowSelected) -> None:
        self.supplier = str(event.row_key.value or "")

    # -- receive ----------------------------------------------------------------------------

    def form(self) -> ReceiptForm:
        def value(name: str) -> str:
            return self.query_one(f"#{name}", Input).value.strip()

        return ReceiptForm(
            self.query_one("#rcv-bin", ChoiceButton).value, self.supplier, value("rcv-scan"),
            value("rcv-item"), value("rcv-lot"), value("rcv-qty"), value("rcv-expiry"),
            value("rcv-po"), value("rcv-coa"),
        )  # fmt: skip

    @on(Button.Pressed, "#rcv-receive")
    def check(self) -> None:
        who = actor(self)
        if who is None:
            return
        form = self.form()
        call_backend(
            self, lambda: self.backend.check_receipt(who, form),
            lambda preview: self._confirm(form, preview), failed=self._refused, group="receive",
        )  # fmt: skip

    def _confirm(self, form: ReceiptForm, p: ReceiptPreview) -> None:
        expiry = f", expiry {p.expiry:%Y-%m-%d}" if p.expiry else ", no expiry"
        text = (
            f"{qty(p.quantity, p.unit)} of {p.item_number} from {p.supplier_code}, supplier lot "
            f"{p.supplier_lot}{expiry}, into {p.bin_code}. It starts in quarantine until QA "
            "releases it."
        )
        self.app.push_screen(
            ConfirmModal("Receive this lot?", text, confirm="Receive", cancel="Back to form"),
            lambda yes: self._receive(form) if yes else None,
        )

    def _receive(self, form: ReceiptForm) -> None:
        who = actor(self)
        if who is not None:
            call_backend(
                self, lambda: self.backend.receive(who, form), self._received,
                failed=self._refused, group="receive",
            )  # fmt: skip

    def _received(self, lot_number: str) -> None:
        self.received = lot_number
        self._clear()
        say(
            self.query_one("#rcv-message", Static),
            f"Received: lot {lot_number} is in quarantine. Scan the next label.",
            "ok",
        )
        self.query_one("#rcv-open", Button).disabled = self.open_lot is None

    def _refused(self, error: WorkCellError) -> None:
        self.answers += 1
        refusal(self.query_one("#rcv-message", Static), error)  # the form stays as it is

    def _say(self, text: str) -> None:
        say(self.query_one("#rcv-message", Static), text)

    @on(Button.Pressed, "#rcv-clear")
    def _clear(self) -> None:
        for name in FIELDS:
            self.query_one(f"#{name}", Input).value = ""
        self.item, self.supplier = None, ""
        self.query_one("#rcv-suppliers", DataTable).clear(columns=True)
        self.query_one("#rcv-item-text", Static).update("Scan the label or enter the item.")
        say(self.query_one("#rcv-message", Static), "")
        self.query_one("#rcv-scan", Input).focus()

    @on(Button.Pressed, "#rcv-open")
    def _open(self) -> None:
        if self.open_lot is not None and self.received:
            self.app.push_screen(self.open_lot(self.received))

    def unsaved_input(self) -> tuple[str, dict[str, Any]] | None:
        values = {n.removeprefix("rcv-"): self.query_one(f"#{n}", Input).value for n in FIELDS}
        if not any(v.strip() for v in values.values()):
            return None
        values["supplier"] = self.supplier
        values["bin"] = self.query_one("#rcv-bin", ChoiceButton).value
        what = values["lot"] or values["item"] or values["scan"][:20]
        return (f"Receipt {what}".strip(), values)
