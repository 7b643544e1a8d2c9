"""Shipping: open a shipment for a customer, pick its lines by scanning lot labels, confirm
it with a signature. Anything not released (or held, or out of date, or not at a shipping
bin) is refused at the pick with the reason; the database refuses the same at confirmation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, Static

from domain.errors import WorkCellError
from screens.backend import SignatureLine
from screens.base import StationScreen, call_backend
from screens.materials.backend import MaterialsBackend, ShipmentDetail, ShipmentSummary
from screens.materials.common import (
    STATUS,
    actor,
    manifestations,
    qty,
    refusal,
    row_height,
    say,
    status_text,
)
from screens.messages import BarcodeScanned
from screens.modals.signature import SignatureModal
from screens.station import fmt_time, station_of
from screens.widgets.choice import ChoiceButton
from screens.widgets.columns import fit_columns
from screens.widgets.keyboard import TouchInput
from screens.widgets.tap_table import TapTable

SEP = " · "


class ShipmentsScreen(StationScreen):
    """Open shipments (tap one to pick it) and a new one for a customer."""

    CSS_PATH = "materials.tcss"
    TITLE_TEXT = "Shipping"
    ASK_BEFORE_DISCARD = False

    def __init__(
        self, backend: MaterialsBackend, open_shipment: Callable[[str], Screen[Any]]
    ) -> None:
        super().__init__()
        self.backend = backend
        self.open_shipment = open_shipment

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="mat-row"):
            yield ChoiceButton("Customer", [], id="shp-customer")
            yield TouchInput(placeholder="Customer PO / reference", id="shp-reference")
            yield Button("New shipment", id="shp-new", variant="success")
        yield Static("", id="shp-message", classes="mat-message", markup=False)
        yield Static("", id="shp-count", classes="mat-muted", markup=False)
        yield TapTable(id="shp-table", cursor_type="row", classes="mat-fill")

    def on_mount(self) -> None:
        who = actor(self)
        if who is not None:
            call_backend(self, lambda: self.backend.customers(who), self._customers,
                         group="customers")  # fmt: skip
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def _customers(self, customers: list[tuple[str, str]]) -> None:
        choice = self.query_one("#shp-customer", ChoiceButton)
        choice.options = [f"{code}{SEP}{name}" for code, name in customers]

    def load(self) -> None:
        who = actor(self)
        if who is not None:
            call_backend(self, lambda: self.backend.open_shipments(who), self.show,
                         failed=self._refused)  # fmt: skip

    def show(self, rows: list[ShipmentSummary]) -> None:
        tz = station_of(self).tz
        table = self.query_one("#shp-table", DataTable)
        cells = [
            (Text(s.number, style="bold"), s.customer_name, s.reference, str(s.lines),
             f"{fmt_time(s.created_at, tz)} {s.created_by}")
            for s in rows
        ]  # fmt: skip
        fitted = fit_columns(
            table, ("Shipment", "Customer", "Reference", "Lines", "Opened"), cells, flex=1
        )
        height = row_height(self)
        for s, line in zip(rows, fitted, strict=True):
            table.add_row(*line, key=s.number, height=height)
        self.query_one("#shp-count", Static).update(
            f"{len(rows)} open shipment(s) — tap one to pick and confirm"
            if rows
            else "No open shipments."
        )

    @on(DataTable.RowSelected, "#shp-table")
    def row(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.app.push_screen(self.open_shipment(event.row_key.value))

    @on(Button.Pressed, "#shp-new")
    def new(self) -> None:
        who = actor(self)
        customer = self.query_one("#shp-customer", ChoiceButton).value.split(SEP, 1)[0]
        reference = self.query_one("#shp-reference", Input).value
        if who is None:
            return
        if not customer:
            say(self.query_one("#shp-message", Static), "Choose the customer first.")
            return
        call_backend(
            self, lambda: self.backend.create_shipment(who, customer, reference), self._created,
            failed=self._refused,
        )  # fmt: skip

    def _created(self, number: str) -> None:
        self.query_one("#shp-reference", Input).value = ""
        say(self.query_one("#shp-message", Static), "")
        self.app.push_screen(self.open_shipment(number))

    def _refused(self, error: WorkCellError) -> None:
        refusal(self.query_one("#shp-message", Static), error)


class ShipmentScreen(StationScreen):
    """One shipment: its lines, pick by scan (or typed lot), confirm by signature."""

    CSS_PATH = "materials.tcss"
    TITLE_TEXT = "Shipment"
    ACCEPTS_SCANS = True
    ASK_BEFORE_DISCARD = False

    def __init__(self, backend: MaterialsBackend, number: str) -> None:
        super().__init__()
        self.backend = backend
        self.number = number
        self.detail: ShipmentDetail | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="mat-row"):
            yield Static(self.number, id="shp-heading", classes="mat-heading", markup=False)
            yield Button("Confirm…", id="shp-confirm", variant="success", disabled=True)
        with Horizontal(classes="mat-row", id="shp-pick-row"):
            yield TouchInput(placeholder="Scan the lot label (or type the lot)", id="shp-scan")
            yield TouchInput(placeholder="Qty", id="shp-qty", type="number")
            yield Button("Pick", id="shp-pick", variant="primary")
        yield Static("", id="shp-why", classes="mat-message", markup=False)
        yield Static("", id="shp-message", classes="mat-message", markup=False)
        yield TapTable(id="shp-lines", cursor_type="row", classes="mat-fill")
        yield Static("", id="shp-signatures", classes="mat-muted", markup=False)

    def on_mount(self) -> None:
        self.query_one("#shp-scan", Input).focus()
        self.load()

    def load(self) -> None:
        who = actor(self)
        if who is not None:
            call_backend(self, lambda: self.backend.shipment(who, self.number), self.show,
                         failed=self._refused)  # fmt: skip

    def show(self, d: ShipmentDetail) -> None:
        self.detail = d
        s = d.summary
        tz = station_of(self).tz
        self.query_one("#shp-heading", Static).update(
            f"{s.number}  [{STATUS.get(s.status, s.status)}]  {s.customer_name}"
            + (f"  ({s.reference})" if s.reference else "")
        )
        is_open = s.status == "open"
        self.query_one("#shp-pick-row").display = is_open
        confirm = self.query_one("#shp-confirm", Button)
        confirm.display = is_open
        confirm.disabled = d.confirm_refusal is not None
        why = f"Confirm: not for you — {d.confirm_refusal}" if is_open and d.confirm_refusal else ""
        say(self.query_one("#shp-why", Static), why, "why")
        table = self.query_one("#shp-lines", DataTable)
        cells = [
            (Text(x.lot_number, style="bold"), x.item_number, x.serial or "", x.bin_code,
             qty(x.quantity, x.unit), status_text(x.lot_status, x.held))
            for x in d.lines
        ]  # fmt: skip
        fitted = fit_columns(
            table, ("Lot", "Item", "Serial", "Bin", "Qty", "Status"), cells, flex=1
        )
        height = row_height(self)
        for n, line in enumerate(fitted):
            table.add_row(*line, key=str(n), height=height)
        self.query_one("#shp-signatures", Static).update(manifestations(d.signatures, tz))

    @on(BarcodeScanned)
    def scanned(self, message: BarcodeScanned) -> None:
        message.stop()
        self.query_one("#shp-scan", Input).value = message.data.strip()
        self.pick()

    @on(Input.Submitted, "#shp-scan")
    @on(Button.Pressed, "#shp-pick")
    def pick(self) -> None:
        who = actor(self)
        scan = self.query_one("#shp-scan", Input).value
        amount = self.query_one("#shp-qty", Input).value
        if who is None or not scan.strip():
            return
        call_backend(
            self, lambda: self.backend.pick(who, self.number, scan, amount), self._picked,
            failed=self._refused, group="pick",
        )  # fmt: skip

    def _picked(self, d: ShipmentDetail) -> None:
        self.query_one("#shp-scan", Input).value = ""
        self.query_one("#shp-qty", Input).value = ""
        last = d.lines[-1] if d.lines else None
        self.show(d)
        if last is not None:
            say(self.query_one("#shp-message", Static),
                f"Picked {last.lot_number} {last.serial or ''} {qty(last.quantity, last.unit)}"
                .replace("  ", " "), "ok")  # fmt: skip

    @on(Button.Pressed, "#shp-confirm")
    def confirm(self) -> None:
        who, d = actor(self), self.detail
        if who is None or d is None:
            return
        version = d.summary.version
        call_backend(
            self, lambda: self.backend.shipment_confirmation(who, self.number, version),
            lambda signable: self.app.push_screen(SignatureModal(signable), self.signed),
            failed=self._refused,
        )  # fmt: skip

    def signed(self, signature: SignatureLine | None) -> None:
        if signature is not None:
            say(self.query_one("#shp-message", Static),
                f"Confirmed by {signature.printed_name}: shipped.", "ok")  # fmt: skip
        self.load()

    def _refused(self, error: WorkCellError) -> None:
        refusal(self.query_one("#shp-message", Static), error)
