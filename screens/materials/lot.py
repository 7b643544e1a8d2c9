"""One lot: status, expiry and retest, holds with their reasons and sources, on hand by
bin, history (ledger lines and status transitions, who and when), signatures; QA
release/reject (signed), hold, release a hold (signed) and move — offered only where the
lot's state allows, enabled only for whoever may, the reason shown otherwise; scrap and
count adjustment open their screens (screens/materials/stock.py) on the lot. A produced
lot's batch record is printed from here ("Print record": screens/records/progress.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, Static

from domain.errors import WorkCellError
from screens.backend import SignatureLine
from screens.base import StationScreen, call_backend
from screens.materials.backend import LOT_ACTIONS, HoldRow, LotDetail, MaterialsBackend
from screens.materials.common import (
    SOURCES,
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
from screens.widgets.columns import fit_columns
from screens.widgets.keyboard import TouchInput
from screens.widgets.printable import printable
from screens.widgets.tap_table import TapTable

LABELS = {
    "release": "Release…",
    "reject": "Reject…",
    "hold": "Hold…",
    "move": "Move…",
    "scrap": "Scrap…",
    "adjust": "Adjust…",
}
VARIANTS: dict[str, Literal["default", "success", "error", "warning", "primary"]] = {
    "release": "success",
    "reject": "error",
    "hold": "warning",
    "move": "primary",
    "scrap": "error",
    "adjust": "default",
}


class LotScreen(StationScreen):
    CSS_PATH = "materials.tcss"
    TITLE_TEXT = "Lot"
    ACCEPTS_SCANS = True
    ASK_BEFORE_DISCARD = False

    def __init__(
        self,
        backend: MaterialsBackend,
        lot_number: str = "",
        *,
        open_hold: Callable[[str], Screen[Any]] | None = None,
        open_move: Callable[[str], Screen[Any]] | None = None,
        open_trace: Callable[[str], Screen[Any]] | None = None,
        open_scrap: Callable[[str], Screen[Any]] | None = None,
        open_adjust: Callable[[str], Screen[Any]] | None = None,
        open_record: Callable[[str, str], Screen[Any]] | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.lot_number = lot_number.strip().upper()
        self.open_trace = open_trace
        # the screens that open on this lot, by action (hold, move, scrap, adjust)
        self.openers = {"hold": open_hold, "move": open_move, "scrap": open_scrap,
                        "adjust": open_adjust}  # fmt: skip
        self.open_record = open_record  # (actor, lot) → the batch record printing modal
        self.detail: LotDetail | None = None
        self.hold: HoldRow | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="mat-row"):
            yield TouchInput(self.lot_number, placeholder="Scan or type a lot", id="lot-find")
            yield Button("Show", id="lot-show", variant="primary")
            yield Button("Trace", id="lot-trace", disabled=True)
            yield Button("Print record", id="lot-record")
        with Horizontal(classes="mat-row", id="lot-actions"):
            for action in LOT_ACTIONS:
                # disabled until the database has said who may (see _actions)
                yield Button(
                    LABELS[action], id=f"lot-{action}", variant=VARIANTS[action], disabled=True
                )
        yield Static("", id="lot-why", classes="mat-message", markup=False)
        with Horizontal(classes="mat-row", id="lot-reason-row"):
            yield TouchInput(placeholder="Reason (reject, release of a hold)", id="lot-reason")
        yield Static("", id="lot-message", classes="mat-message", markup=False)
        with VerticalScroll(classes="mat-scroll", id="lot-scroll"):
            yield Static("Scan a lot label or type a lot number.", id="lot-facts",
                         classes="mat-box", markup=False)  # fmt: skip
            yield Static("On hand by bin", classes="mat-title")
            yield Static("", id="lot-stock", markup=False)
            yield Static("Holds — tap an open one to release it", classes="mat-title")
            yield TapTable(id="lot-holds", cursor_type="row")
            with Horizontal(classes="mat-row", id="lot-hold-row"):
                yield Static("", id="lot-hold-chosen", classes="mat-heading", markup=False)
                yield Button("Release hold…", id="lot-unhold", variant="success", disabled=True)
            yield Static("History", classes="mat-title")
            yield Static("", id="lot-history", markup=False)
            yield Static("Signatures", classes="mat-title")
            yield Static("", id="lot-signatures", markup=False)

    def on_mount(self) -> None:
        self.query_one("#lot-record").display = False
        self.query_one("#lot-actions").display = False
        self.query_one("#lot-reason-row").display = False
        self.query_one("#lot-hold-row").display = False
        if self.lot_number:
            self.load()
        else:
            self.query_one("#lot-find", Input).focus()

    def on_screen_resume(self) -> None:
        if self.detail is not None:
            self.load()

    @on(BarcodeScanned)
    def scanned(self, message: BarcodeScanned) -> None:
        message.stop()
        self.query_one("#lot-find", Input).value = message.data.strip()
        self.find()

    @on(Input.Submitted, "#lot-find")
    @on(Button.Pressed, "#lot-show")
    def find(self) -> None:
        who = actor(self)
        text = self.query_one("#lot-find", Input).value.strip()
        if who is None or not text:
            return
        call_backend(
            self, lambda: self.backend.lot_number_of(who, text), self._found,
            failed=self._refused, group="find",
        )  # fmt: skip

    def _found(self, lot_number: str) -> None:
        self.lot_number = lot_number
        self.hold = None
        self.load()

    def load(self) -> None:
        who = actor(self)
        number = self.lot_number
        if who is not None and number:
            call_backend(
                self, lambda: self.backend.lot(who, number), self.show, failed=self._refused
            )

    def show(self, d: LotDetail) -> None:
        self.detail = d
        tz = station_of(self).tz
        self.query_one("#lot-find", Input).value = d.lot_number
        self.query_one("#lot-trace", Button).disabled = self.open_trace is None
        # the record of the work order that made it (refused there if not complete)
        self.query_one("#lot-record").display = self.open_record is not None and (
            d.origin == "produced"
        )
        supplier = (
            f"\nSupplier {d.supplier}, supplier lot {d.supplier_lot}"
            f" · PO {d.po_reference or '—'} · CoA {d.coa_reference or '—'}"
            if d.supplier
            else ""
        )
        dates = (f"Expiry {d.expiry_date:%Y-%m-%d}" if d.expiry_date else "No expiry") + (
            f" · retest {d.retest_date:%Y-%m-%d}" if d.retest_date else ""
        )
        self.query_one("#lot-facts", Static).update(
            printable(  # description, supplier lot, PO and CoA references are stored text
                f"{d.lot_number}  [{status_text(d.status, d.held, d.out_of_date)}]\n"
                f"{d.item_number}  {d.description}\n"
                f"{qty(d.quantity, d.unit)} {d.origin} on {fmt_time(d.created_at, tz)} by "
                f"{d.created_by} · on hand {qty(d.on_hand, d.unit)}\n{dates}{supplier}"
            )
        )
        self.query_one("#lot-stock", Static).update(
            "\n".join(f"{s.bin_code:<12} {s.zone_type:<15} {qty(s.quantity, d.unit)}"
                      for s in d.stock) or "Nothing on hand."
        )  # fmt: skip
        self._holds(d)
        self.query_one("#lot-history", Static).update(
            "\n".join(f"{fmt_time(h.at, tz)}  {h.what} — {h.actor}" for h in d.history)
            or "No history."
        )
        self.query_one("#lot-signatures", Static).update(manifestations(d.signatures, tz))
        self._actions(d)

    def _actions(self, d: LotDetail) -> None:
        """Only what the lot's state allows; disabled with the reason where the person may
        not (the database's own rules, asked before any badge)."""
        lines = []
        for action in LOT_ACTIONS:
            button = self.query_one(f"#lot-{action}", Button)
            button.display = action in d.actions
            why = d.actions.get(action)
            opened_elsewhere = action in self.openers
            button.disabled = why is not None or (opened_elsewhere and self.openers[action] is None)
            if action in d.actions and why:
                lines.append(f"{LABELS[action].rstrip('…')}: not for you — {why}")
        self.query_one("#lot-actions").display = bool(d.actions)
        self.query_one("#lot-reason-row").display = d.actions.get("reject", "") is None or any(
            h.status == "open" and h.release_refusal is None for h in d.holds
        )
        say(self.query_one("#lot-why", Static), "\n".join(lines), "why")

    def _holds(self, d: LotDetail) -> None:
        tz = station_of(self).tz
        table = self.query_one("#lot-holds", DataTable)
        cells = [
            (
                Text(STATUS.get(h.status, h.status), style="bold red" if h.status == "open"
                     else ""),
                SOURCES.get(h.source, h.source) + (f" {h.source_ref}" if h.source_ref else ""),
                h.reason,
                f"{fmt_time(h.placed_at, tz)} {h.placed_by}",
            )
            for h in d.holds
        ]  # fmt: skip
        fitted = fit_columns(table, ("Status", "Source", "Reason", "Placed"), cells, flex=2)
        height = row_height(self)
        for h, line in zip(d.holds, fitted, strict=True):
            table.add_row(*line, key=str(h.id), height=height)
        if not d.holds:
            table.add_row("—", "", "No holds.", "")
        kept = next((h for h in d.holds if self.hold and h.id == self.hold.id), None)
        self._choose_hold(kept)

    @on(DataTable.RowSelected, "#lot-holds")
    def hold_row(self, event: DataTable.RowSelected) -> None:
        if self.detail is None or not event.row_key.value:
            return
        chosen = next((h for h in self.detail.holds if str(h.id) == event.row_key.value), None)
        self._choose_hold(chosen)

    def _choose_hold(self, hold: HoldRow | None) -> None:
        self.hold = hold
        row = self.query_one("#lot-hold-row")
        button = self.query_one("#lot-unhold", Button)
        chosen = self.query_one("#lot-hold-chosen", Static)
        row.display = hold is not None
        if hold is None:
            return
        if hold.status != "open":
            chosen.update(f"Hold {hold.id} is closed.")
            button.disabled = True
        elif hold.release_refusal:
            chosen.update(f"Release: not for you — {hold.release_refusal}")
            button.disabled = True
        else:
            chosen.update(f"Hold {hold.id}: {hold.reason}")
            button.disabled = False

    # -- actions ----------------------------------------------------------------------------

    def _reason(self) -> str:
        return self.query_one("#lot-reason", Input).value.strip()

    @on(Button.Pressed, "#lot-release")
    @on(Button.Pressed, "#lot-reject")
    def sign_lot(self, event: Button.Pressed) -> None:
        who, d = actor(self), self.detail
        if who is None or d is None or event.button.id is None:
            return
        action = event.button.id.removeprefix("lot-")
        if action == "reject" and not self._reason():
            say(self.query_one("#lot-message", Static),
                "Say why the lot is rejected (Reason): it is part of the signature.")  # fmt: skip
            self.query_one("#lot-reason", Input).focus()
            return
        reason = self._reason() if action == "reject" else ""
        call_backend(
            self, lambda: self.backend.lot_signing(who, d.lot_number, action, d.version, reason),
            lambda signable: self.app.push_screen(SignatureModal(signable), self.signed),
            failed=self._refused, group="sign",
        )  # fmt: skip

    @on(Button.Pressed, "#lot-unhold")
    def unhold(self) -> None:
        who, hold = actor(self), self.hold
        if who is None or hold is None:
            return
        reason = self._reason()
        if not reason:
            say(self.query_one("#lot-message", Static),
                "Say why the hold is released (Reason): it is part of the signature.")  # fmt: skip
            self.query_one("#lot-reason", Input).focus()
            return
        call_backend(
            self, lambda: self.backend.hold_release(who, hold.id, reason),
            lambda signable: self.app.push_screen(SignatureModal(signable), self.signed),
            failed=self._refused, group="sign",
        )  # fmt: skip

    def signed(self, signature: SignatureLine | None) -> None:
        if signature is not None:
            self.query_one("#lot-reason", Input).value = ""
            say(self.query_one("#lot-message", Static),
                f"{signature.meaning.capitalize()} by {signature.printed_name}", "ok")  # fmt: skip
        self.load()

    @on(Button.Pressed, "#lot-hold")
    @on(Button.Pressed, "#lot-move")
    @on(Button.Pressed, "#lot-scrap")
    @on(Button.Pressed, "#lot-adjust")
    def open_on_lot(self, event: Button.Pressed) -> None:
        """Hold, Move, Scrap, Adjust: their own screen, on this lot (it checks again)."""
        opener = self.openers.get((event.button.id or "").removeprefix("lot-"))
        if opener is not None and self.detail is not None:
            self.app.push_screen(opener(self.detail.lot_number))

    @on(Button.Pressed, "#lot-trace")
    def trace(self) -> None:
        if self.open_trace is not None and self.detail is not None:
            self.app.push_screen(self.open_trace(self.detail.lot_number))

    @on(Button.Pressed, "#lot-record")
    def print_record(self) -> None:
        user = station_of(self).current_user
        if self.open_record is not None and self.detail is not None and user is not None:
            self.app.push_screen(self.open_record(user.username, self.detail.lot_number))

    def _refused(self, error: WorkCellError) -> None:
        refusal(self.query_one("#lot-message", Static), error)
