"""One item: its facts, its signatures (manifestation), and approval via the signature dialog."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from screens.backend import ItemDetail, ItemsBackend, SignatureLine
from screens.base import StationScreen, call_backend
from screens.modals.signature import SignatureModal
from screens.records.copy import OpenCopy, print_copy, show_print
from screens.station import fmt_time, station_of
from screens.widgets.printable import printable


class ItemDetailScreen(StationScreen):
    CSS_PATH = "item_detail.tcss"
    TITLE_TEXT = "Item"

    def __init__(
        self, backend: ItemsBackend, item_number: str, open_copy: OpenCopy | None = None
    ) -> None:
        super().__init__()
        self.backend = backend
        self.item_number = item_number
        self.open_copy = open_copy
        self.detail: ItemDetail | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="item-actions"):
            yield Static(self.item_number, id="item-heading", markup=False)
            yield Button("Approve…", id="item-approve", variant="success", disabled=True)
            yield Button("Print record", id="item-print")
        yield Static("", id="item-approve-why", markup=False)
        yield Static("", id="item-print-why", markup=False)
        with VerticalScroll(id="item-scroll"):
            yield Static("Loading…", id="item-facts", markup=False)
            yield Static("Signatures", id="item-signatures-title")
            yield Static("", id="item-signatures", markup=False)

    def on_mount(self) -> None:
        show_print(self.query_one("#item-print", Button),
                   self.query_one("#item-print-why", Static), self.open_copy)  # fmt: skip
        self.load()

    @on(Button.Pressed, "#item-print")
    def print_record(self) -> None:
        print_copy(self, self.open_copy, "item", self.item_number)

    def load(self) -> None:
        user = station_of(self).current_user
        if user is not None:
            call_backend(
                self, lambda: self.backend.item_detail(user.username, self.item_number), self.show
            )

    def show(self, detail: ItemDetail) -> None:
        first_load = self.detail is None
        self.detail = detail
        item = detail.item
        state = f"[{item.status.upper()}, v{item.version}]"
        heading = f"{item.item_number} — {item.description}   {state}"
        self.query_one("#item-heading", Static).update(printable(heading))
        width = max((len(k) for k, _ in detail.facts), default=0)
        facts = "\n".join(f"{k:<{width}}  {v}" for k, v in detail.facts)
        self.query_one("#item-facts", Static).update(printable(facts))
        self.query_one("#item-signatures", Static).update(self._manifestation(detail.signatures))
        approve = self.query_one("#item-approve", Button)
        approve.disabled = not detail.can_approve
        why = self.query_one("#item-approve-why", Static)
        why.update(
            f"Approve is not for you: {detail.approve_refusal}" if detail.approve_refusal else ""
        )
        why.display = bool(detail.approve_refusal)
        if detail.can_approve and first_load:
            approve.focus()  # keyboard users: Enter approves (the dialog still asks)

    def _manifestation(self, signatures: tuple[SignatureLine, ...]) -> str:
        if not signatures:
            return "No signatures yet."
        tz = station_of(self).tz
        lines = []
        for sig in signatures:
            mark = "" if sig.valid else "  ✖ INVALID (record changed after signing)"
            lines.append(
                f"{sig.meaning.upper():<10} {sig.printed_name}  {fmt_time(sig.signed_at, tz)}{mark}"
            )
            if sig.comment:
                lines.append(f"{'':<10} “{sig.comment}”")
        return "\n".join(lines)

    @on(Button.Pressed, "#item-approve")
    def approve(self) -> None:
        user = station_of(self).current_user
        if self.detail is None or user is None:
            return
        signable = self.backend.approval(
            user.username, self.detail.item.item_number, self.detail.item.version
        )
        self.app.push_screen(SignatureModal(signable), self.signed)

    def signed(self, signature: SignatureLine | None) -> None:
        if signature is not None:
            self.notify(f"{signature.meaning.upper()} by {signature.printed_name}", title="Signed")
            self.load()
