"""NCRs: the open ones, raising one by hand on scanned (or picked) lots with severity and
occurrence, and one NCR: the risk class the released matrix gives, the lots on NCR hold
(with the forward trace), the disposition and the approvals its risk class demands — each
approval button disabled with the database's reason before any badge — carrying it out,
closing, and the CAPA raised on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from domain.errors import WorkCellError
from screens.backend import SignatureLine
from screens.base import StationScreen, call_backend
from screens.messages import BarcodeScanned
from screens.modals.signature import SignatureModal
from screens.quality.backend import (
    APPROVALS,
    DISPOSITIONS,
    NcrDetail,
    NcrForm,
    NcrRow,
    QualityBackend,
)
from screens.quality.common import actor, manifestations, offer, refusal, say, word
from screens.quality.lists import RecordList
from screens.records.copy import OpenCopy, print_copy, show_print
from screens.station import fmt_time, station_of
from screens.widgets.choice import ChoiceButton
from screens.widgets.keyboard import TouchInput
from screens.widgets.printable import literal_label, printable
from screens.widgets.tap_table import TapTable

SCALE = ("1", "2", "3", "4", "5")


class NcrsScreen(RecordList[NcrRow]):
    TITLE_TEXT = "NCRs"
    ACCEPTS_SCANS = True
    PREFIX = "ncrs"
    HEADERS = ("NCR", "Title", "Risk", "Disposition", "Status", "Lots", "Raised")
    FLEX = 1

    def __init__(self, backend: QualityBackend, open_one: Callable[[str], Screen[Any]]) -> None:
        super().__init__(backend, open_one)
        self.lots: list[str] = []

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(classes="q-scroll"):
            yield Static("", id="ncrs-message", classes="q-message", markup=False)
            yield Static("Loading…", id="ncrs-count", classes="q-muted", markup=False)
            yield TapTable(id="ncrs-table", cursor_type="row")
            yield Static("Raise an NCR by hand, or from a deviation", classes="q-title")
            with Horizontal(classes="q-row"):
                yield TouchInput(placeholder="Lot (scan, or type)", id="ncrs-lot")
                yield Button("Add lot", id="ncrs-add")
                yield Button("Clear lots", id="ncrs-clear")
            yield Static(
                "Lots: none yet — scan each lot label",
                id="ncrs-lots",
                classes="q-muted",
                markup=False,
            )
            with Horizontal(classes="q-row"):
                yield TouchInput(
                    placeholder="From deviation (DEV-…; its work order's lot if no lots)",
                    id="ncrs-deviation",
                )
            with Horizontal(classes="q-row"):
                yield TouchInput(placeholder="Title", id="ncrs-title")
            with Horizontal(classes="q-row"):
                yield TouchInput(placeholder="What is nonconforming", id="ncrs-description")
            with Horizontal(classes="q-row"):
                yield ChoiceButton("Severity", SCALE, id="ncrs-severity")
                yield ChoiceButton("Occurrence", SCALE, id="ncrs-occurrence")
                yield Button("Raise NCR", id="ncrs-raise", variant="warning")

    def fetch(self, who: str) -> list[NcrRow]:
        return self.backend.ncrs(who)

    def cells(self, r: NcrRow) -> tuple[object, ...]:
        return (
            Text(r.number, style="bold"),
            r.title,
            r.risk_class.upper(),
            word(r.disposition),
            word(r.status),
            str(r.lots),
            fmt_time(r.created_at, station_of(self).tz),
        )

    def count_text(self, rows: list[NcrRow]) -> str:
        return f"{len(rows)} NCR(s) not closed — tap one" if rows else "No NCRs open."

    @on(BarcodeScanned)
    def scanned(self, message: BarcodeScanned) -> None:
        message.stop()
        self._add(message.data)

    @on(Button.Pressed, "#ncrs-add")
    def add_typed(self) -> None:
        self._add(self.query_one("#ncrs-lot", Input).value)

    def _add(self, text: str) -> None:
        who = actor(self)
        if who is None or not text.strip():
            return
        call_backend(
            self,
            lambda: self.backend.lot_number_of(who, text),
            self._added,
            failed=self.refused,
            group="scan",
        )

    def _added(self, lot: str) -> None:
        self.answers += 1
        if lot not in self.lots:
            self.lots.append(lot)
        self.query_one("#ncrs-lot", Input).value = ""
        self.query_one("#ncrs-lots", Static).update("Lots: " + ", ".join(self.lots))

    @on(Button.Pressed, "#ncrs-clear")
    def clear_lots(self) -> None:
        self.lots = []
        self.query_one("#ncrs-lots", Static).update("Lots: none yet — scan each lot label")

    @on(Button.Pressed, "#ncrs-raise")
    def raise_ncr(self) -> None:
        who = actor(self)
        form = NcrForm(
            self.query_one("#ncrs-title", Input).value,
            self.query_one("#ncrs-description", Input).value,
            self.query_one("#ncrs-severity", ChoiceButton).value,
            self.query_one("#ncrs-occurrence", ChoiceButton).value,
            tuple(self.lots),
            self.query_one("#ncrs-deviation", Input).value,
        )
        if who is not None:
            call_backend(
                self, lambda: self.backend.raise_ncr(who, form), self._raised, failed=self.refused
            )

    def _raised(self, number: str) -> None:
        for field in ("#ncrs-title", "#ncrs-description", "#ncrs-deviation"):
            self.query_one(field, Input).value = ""
        self.clear_lots()
        say(
            self.query_one("#ncrs-message", Static),
            f"{number} raised: its lots are on NCR hold.",
            "ok",
        )
        self.load()
        self.app.push_screen(self.open_one(number))

    def unsaved_input(self) -> tuple[str, dict[str, Any]] | None:
        title = self.query_one("#ncrs-title", Input).value.strip()
        text = self.query_one("#ncrs-description", Input).value.strip()
        return ("NCR being raised", {"title": title}) if title or text or self.lots else None


class NcrScreen(StationScreen):
    CSS_PATH = "quality.tcss"
    TITLE_TEXT = "NCR"

    def __init__(
        self,
        backend: QualityBackend,
        number: str,
        *,
        open_capa: Callable[[str], Screen[Any]] | None = None,
        new_capa: Callable[[str], Screen[Any]] | None = None,
        open_copy: OpenCopy | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.number = number
        self.open_capa = open_capa
        self.new_capa = new_capa
        self.open_copy = open_copy
        self.detail: NcrDetail | None = None
        self.answers = 0

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(classes="q-scroll"):
            yield Static("Loading…", id="ncr-head", classes="q-title", markup=False)
            with Horizontal(classes="q-row"):
                yield Button("Print record", id="ncr-print")
            yield Static("", id="ncr-print-why", classes="q-why", markup=False)
            yield Static("", id="ncr-risk", classes="q-box", markup=False)
            yield Static("", id="ncr-message", classes="q-message", markup=False)
            yield Static("Lots", classes="q-title")
            yield Static("", id="ncr-lots", classes="q-box", markup=False)
            yield Static("Disposition", classes="q-title")
            with Horizontal(classes="q-row", id="ncr-choose-row"):
                yield ChoiceButton("Disposition", DISPOSITIONS, id="ncr-disposition")
                yield TouchInput(placeholder="Why this disposition", id="ncr-note")
                yield Button("Set", id="ncr-choose", variant="primary")
            yield Static("", id="ncr-choose-why", classes="q-why", markup=False)
            yield Static("", id="ncr-needs", classes="q-muted", markup=False)
            with Horizontal(classes="q-row", id="ncr-approvals"):
                for meaning in APPROVALS:
                    yield Button(
                        literal_label(word(meaning) + "…"), id=f"ncr-{meaning}", name=meaning
                    )
            for meaning in APPROVALS:
                yield Static("", id=f"ncr-{meaning}-why", classes="q-why", markup=False)
            with Horizontal(classes="q-row"):
                yield Button("Carry out disposition…", id="ncr-execute", variant="success")
                yield Button("Close NCR…", id="ncr-close", variant="primary")
                yield Button("Raise CAPA", id="ncr-capa", variant="warning")
                yield Button("Open CAPA", id="ncr-open-capa")
            yield Static("", id="ncr-execute-why", classes="q-why", markup=False)
            yield Static("", id="ncr-close-why", classes="q-why", markup=False)
            yield Static("", id="ncr-capa-why", classes="q-why", markup=False)
            yield Static("Signatures", classes="q-title")
            yield Static("", id="ncr-signatures", classes="q-box", markup=False)

    def on_mount(self) -> None:
        show_print(self.query_one("#ncr-print", Button), self.query_one("#ncr-print-why", Static),
                   self.open_copy)  # fmt: skip
        self.load()

    def on_screen_resume(self) -> None:
        if self.detail is not None:
            self.load()

    @on(Button.Pressed, "#ncr-print")
    def print_record(self) -> None:
        print_copy(self, self.open_copy, "ncr", self.number)

    def load(self) -> None:
        who = actor(self)
        if who is not None:
            call_backend(
                self, lambda: self.backend.ncr(who, self.number), self.show, failed=self._refused
            )

    def show(self, d: NcrDetail) -> None:
        self.detail = d
        self.answers += 1
        origin = (
            f"from inspection {d.inspection}" if d.inspection
            else f"from deviation {d.deviation}" if d.deviation else d.origin
        )  # fmt: skip
        self.query_one("#ncr-head", Static).update(
            printable(
                f"{d.number} · {d.title} · {word(d.status)} · raised by {d.created_by} ({origin})"
            )
        )
        self.query_one("#ncr-risk", Static).update(
            f"{printable(d.description)}\n"
            f"Severity {d.severity} × occurrence {d.occurrence} → risk class "
            f"{d.risk_class.upper()} (risk matrix revision {d.matrix_revision})"
        )
        self.query_one("#ncr-lots", Static).update(
            "\n".join(
                f"{x.lot_number} ({'named' if x.via == 'direct' else 'forward trace'}) — lot "
                f"{x.lot_status}, NCR hold {x.hold_status or '—'}"
                for x in d.lots
            )
            + "".join(f"\nRework: {printable(line)}" for line in d.rework)
            or "No lots."
        )
        a = d.actions
        self.query_one("#ncr-choose-row").display = "choose" in a
        offer(
            self.query_one("#ncr-choose", Button),
            self.query_one("#ncr-choose-why", Static),
            a,
            "choose",
            "Disposition",
        )
        if d.disposition:
            self.query_one("#ncr-disposition", ChoiceButton).value = d.disposition
        needs = self.query_one("#ncr-needs", Static)
        if d.disposition:
            needs.update(
                f"{word(d.disposition)} on a {d.risk_class} NCR needs: "
                f"{', '.join(word(m) for m in d.required) or 'no approval'}"
                + (
                    f" — missing {', '.join(word(m) for m in d.missing)}"
                    if d.missing
                    else " — all given"
                )
                + (f"\nNote: {d.disposition_note}" if d.disposition_note else "")
            )
        else:
            needs.update("No disposition chosen yet." if d.status == "open" else "")
        for meaning in APPROVALS:
            offer(
                self.query_one(f"#ncr-{meaning}", Button),
                self.query_one(f"#ncr-{meaning}-why", Static),
                a,
                meaning,
                word(meaning),
            )
        for action, what in (("execute", "Carry out"), ("close", "Close"), ("capa", "Raise CAPA")):
            offer(
                self.query_one(f"#ncr-{action}", Button),
                self.query_one(f"#ncr-{action}-why", Static),
                a,
                action,
                what,
            )
        self.query_one("#ncr-capa", Button).display = "capa" in a and self.new_capa is not None
        self.query_one("#ncr-open-capa", Button).display = (
            bool(d.capas) and self.open_capa is not None
        )
        self.query_one("#ncr-signatures", Static).update(
            manifestations(d.signatures, station_of(self).tz)
        )

    @on(Button.Pressed, "#ncr-choose")
    def choose(self) -> None:
        who = actor(self)
        disposition = self.query_one("#ncr-disposition", ChoiceButton).value
        note = self.query_one("#ncr-note", Input).value
        if who is not None:
            call_backend(
                self,
                lambda: self.backend.choose_disposition(who, self.number, disposition, note),
                self._chosen,
                failed=self._refused,
            )

    def _chosen(self, d: NcrDetail) -> None:
        self.query_one("#ncr-note", Input).value = ""
        say(
            self.query_one("#ncr-message", Static),
            f"Disposition {word(d.disposition)}: approvals start over.",
            "ok",
        )
        self.show(d)

    @on(Button.Pressed, "#ncr-approvals Button, #ncr-execute, #ncr-close")
    def sign(self, event: Button.Pressed) -> None:
        who = actor(self)
        meaning = event.button.name or (event.button.id or "").removeprefix("ncr-")
        if who is not None:
            call_backend(
                self,
                lambda: self.backend.ncr_signing(who, self.number, meaning),
                lambda s: self.app.push_screen(SignatureModal(s), self.signed),
                failed=self._refused,
            )

    def signed(self, signature: SignatureLine | None) -> None:
        if signature is not None:
            say(
                self.query_one("#ncr-message", Static),
                f"Signed {word(signature.meaning)} by {signature.printed_name}.",
                "ok",
            )
        self.load()

    @on(Button.Pressed, "#ncr-capa")
    def capa(self) -> None:
        if self.new_capa is not None:
            self.app.push_screen(self.new_capa(self.number))

    @on(Button.Pressed, "#ncr-open-capa")
    def open_existing(self) -> None:
        if self.detail is not None and self.detail.capas and self.open_capa is not None:
            self.app.push_screen(self.open_capa(self.detail.capas[-1]))

    def _refused(self, error: WorkCellError) -> None:
        self.answers += 1
        refusal(self.query_one("#ncr-message", Static), error)
