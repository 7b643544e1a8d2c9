"""Holds: every open hold in the plant; place a hand (QA) hold on a scanned lot with a
reason; release one with a signature (QA and recall holds; an inspection or NCR hold
closes through its own record, and the screen says so before any badge)."""

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
from screens.materials.backend import HoldRow, MaterialsBackend
from screens.materials.common import SOURCES, actor, refusal, row_height, say
from screens.messages import BarcodeScanned
from screens.modals.signature import SignatureModal
from screens.station import fmt_time, station_of
from screens.widgets.columns import fit_columns
from screens.widgets.keyboard import TouchInput
from screens.widgets.tap_table import TapTable

HOLD_PLACE = "hold.place"


class HoldsScreen(StationScreen):
    CSS_PATH = "materials.tcss"
    TITLE_TEXT = "Holds"
    ACCEPTS_SCANS = True
    DRAFT_SCREEN = "holds"

    def __init__(
        self,
        backend: MaterialsBackend,
        lot_number: str = "",
        *,
        open_lot: Callable[[str], Screen[Any]] | None = None,
        reason: str = "",
    ) -> None:
        super().__init__()
        self.backend = backend
        self.initial_lot = lot_number
        self.initial_reason = reason
        self.open_lot = open_lot
        self.rows: list[HoldRow] = []
        self.chosen: HoldRow | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="mat-row", id="holds-place-row"):
            yield TouchInput(self.initial_lot, placeholder="Lot to hold (scan)", id="holds-lot")
            yield TouchInput(self.initial_reason, placeholder="Why it is held", id="holds-reason")
            yield Button("Hold", id="holds-place", variant="warning")
        yield Static("", id="holds-message", classes="mat-message", markup=False)
        yield Static("", id="holds-count", classes="mat-muted", markup=False)
        yield TapTable(id="holds-table", cursor_type="row", classes="mat-fill")
        with Horizontal(classes="mat-row", id="holds-release-row"):
            yield TouchInput(placeholder="Why the hold is released", id="holds-comment")
            yield Button("Release…", id="holds-release", variant="success", disabled=True)
            yield Button("Open lot", id="holds-open", disabled=True)

    def on_mount(self) -> None:
        user = station_of(self).current_user
        if user is not None and not user.may(HOLD_PLACE):
            self.query_one("#holds-place-row").display = False
            say(self.query_one("#holds-message", Static),
                f"Placing a hold is not for you: it needs the {HOLD_PLACE} permission "
                "(QA or a supervisor).", "why")  # fmt: skip
        self.query_one("#holds-release-row").display = False
        self.load()

    def load(self) -> None:
        who = actor(self)
        if who is not None:
            call_backend(
                self, lambda: self.backend.open_holds(who), self.show, failed=self._refused
            )

    def show(self, rows: list[HoldRow]) -> None:
        self.rows = rows
        tz = station_of(self).tz
        table = self.query_one("#holds-table", DataTable)
        cells = [
            (
                Text(h.lot_number, style="bold"),
                h.item_number,
                SOURCES.get(h.source, h.source) + (f" {h.source_ref}" if h.source_ref else ""),
                h.reason,
                f"{fmt_time(h.placed_at, tz)} {h.placed_by}",
            )
            for h in rows
        ]
        fitted = fit_columns(table, ("Lot", "Item", "Source", "Reason", "Placed"), cells, flex=3)
        height = row_height(self)
        for h, line in zip(rows, fitted, strict=True):
            table.add_row(*line, key=str(h.id), height=height)
        self.query_one("#holds-count", Static).update(
            f"{len(rows)} open hold(s) — tap one to release it" if rows else "No open holds."
        )
        kept = next((h for h in rows if self.chosen and h.id == self.chosen.id), None)
        self.choose(kept)

    @on(DataTable.RowSelected, "#holds-table")
    def row(self, event: DataTable.RowSelected) -> None:
        self.choose(next((h for h in self.rows if str(h.id) == event.row_key.value), None))

    def choose(self, hold: HoldRow | None) -> None:
        self.chosen = hold
        self.query_one("#holds-release-row").display = hold is not None
        self.query_one("#holds-open", Button).disabled = hold is None or self.open_lot is None
        release = self.query_one("#holds-release", Button)
        release.disabled = hold is None or hold.release_refusal is not None
        if hold is not None and hold.release_refusal:
            say(self.query_one("#holds-message", Static),
                f"Release of the hold on {hold.lot_number}: not for you — "
                f"{hold.release_refusal}", "why")  # fmt: skip

    @on(BarcodeScanned)
    def scanned(self, message: BarcodeScanned) -> None:
        message.stop()
        who, data = actor(self), message.data.strip()
        if who is not None:
            call_backend(
                self, lambda: self.backend.lot_number_of(who, data),
                lambda lot: setattr(self.query_one("#holds-lot", Input), "value", lot),
                failed=self._refused, group="scan",
            )  # fmt: skip

    @on(Button.Pressed, "#holds-place")
    def place(self) -> None:
        who = actor(self)
        lot = self.query_one("#holds-lot", Input).value.strip()
        reason = self.query_one("#holds-reason", Input).value.strip()
        if who is None:
            return
        if not lot or not reason:
            say(self.query_one("#holds-message", Static),
                "Scan the lot and say why it is held.")  # fmt: skip
            return
        call_backend(
            self, lambda: self.backend.place_hold(who, lot, reason), lambda _: self._placed(lot),
            failed=self._refused,
        )  # fmt: skip

    def _placed(self, lot: str) -> None:
        self.query_one("#holds-lot", Input).value = ""
        self.query_one("#holds-reason", Input).value = ""
        say(self.query_one("#holds-message", Static), f"Lot {lot.upper()} is on hold.", "ok")
        self.load()

    @on(Button.Pressed, "#holds-release")
    def release(self) -> None:
        who, hold = actor(self), self.chosen
        comment = self.query_one("#holds-comment", Input).value.strip()
        if who is None or hold is None:
            return
        if not comment:
            say(self.query_one("#holds-message", Static),
                "Say why the hold is released: it is part of the signature.")  # fmt: skip
            return
        call_backend(
            self, lambda: self.backend.hold_release(who, hold.id, comment),
            lambda signable: self.app.push_screen(SignatureModal(signable), self.signed),
            failed=self._refused,
        )  # fmt: skip

    def signed(self, signature: SignatureLine | None) -> None:
        if signature is not None:
            self.query_one("#holds-comment", Input).value = ""
            say(self.query_one("#holds-message", Static),
                f"Hold released by {signature.printed_name}.", "ok")  # fmt: skip
            self.chosen = None
        self.load()

    @on(Button.Pressed, "#holds-open")
    def open_chosen(self) -> None:
        if self.chosen is not None and self.open_lot is not None:
            self.app.push_screen(self.open_lot(self.chosen.lot_number))

    def _refused(self, error: WorkCellError) -> None:
        refusal(self.query_one("#holds-message", Static), error)

    def unsaved_input(self) -> tuple[str, dict[str, Any]] | None:
        lot = self.query_one("#holds-lot", Input).value.strip()
        reason = self.query_one("#holds-reason", Input).value.strip()
        if not (lot or reason) or (lot == self.initial_lot and not reason):
            return None
        return (f"Hold on {lot or 'a lot'}", {"lot": lot, "reason": reason})
