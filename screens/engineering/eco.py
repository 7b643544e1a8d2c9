"""One ECO: what changes and why, impact, history and signatures; the signed steps
(submit, review, approve, reject) go through the shared SignatureModal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from domain.errors import WorkCellError
from domain.views.engineering import EcoView
from screens.backend import SignatureLine
from screens.base import StationScreen, call_backend
from screens.engineering.backend import EngineeringBackend
from screens.engineering.common import STATUS, manifestations
from screens.modals.confirm import ConfirmModal
from screens.modals.signature import SignatureModal
from screens.records.copy import OpenCopy, print_copy, show_print
from screens.station import fmt_time, station_of
from screens.widgets.keyboard import TouchInput
from screens.widgets.printable import literal_label

# Which signed step each status offers (the signing rules decide who may).
STEPS = {"draft": ("submit",), "in_review": ("review", "reject"), "reviewed": ("approve", "reject")}
LABELS = {"submit": "Submit…", "review": "Review…", "approve": "Approve…", "reject": "Reject…"}


class EcoScreen(StationScreen):
    CSS_PATH = "engineering.tcss"
    TITLE_TEXT = "ECO"

    def __init__(
        self,
        backend: EngineeringBackend,
        number: str,
        open_draft: Callable[[str, str], Screen[Any]] | None = None,
        open_copy: OpenCopy | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.number = number
        self.open_draft = open_draft
        self.open_copy = open_copy
        self.view: EcoView | None = None
        self.drafts: dict[str, tuple[str, str]] = {}
        self.loads = 0  # button ids are per load: removal of the old ones is not awaited

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="eng-row", id="eco-actions"):
            yield Static(self.number, id="eco-heading", markup=False)
            for action, label in LABELS.items():
                yield Button(
                    label, id=f"eco-{action}", variant="error" if action == "reject" else "success"
                )
            yield Button("Cancel ECO", id="eco-cancel")
            yield Button("Print record", id="eco-print")
        yield Static("", id="eco-why", markup=False)
        yield Static("", id="eco-print-why", markup=False)
        with Horizontal(classes="eng-row", id="eco-add-row"):
            yield TouchInput(placeholder="Item to change (new BOM draft)", id="eco-add-item")
            yield Button("Add item", id="eco-add", variant="primary")
        yield Horizontal(classes="eng-row", id="eco-edit-row")
        with VerticalScroll(id="eco-scroll"):
            yield Static("Loading…", id="eco-facts", markup=False, classes="eng-box")
            yield Static("Affected items", classes="eng-title")
            yield Static("", id="eco-items", markup=False)
            yield Static("History", classes="eng-title")
            yield Static("", id="eco-history", markup=False)
            yield Static("Signatures", classes="eng-title")
            yield Static("", id="eco-signatures", markup=False)

    def on_mount(self) -> None:
        show_print(self.query_one("#eco-print", Button), self.query_one("#eco-print-why", Static),
                   self.open_copy)  # fmt: skip
        self.load()

    @on(Button.Pressed, "#eco-print")
    def print_record(self) -> None:
        print_copy(self, self.open_copy, "eco", self.number)

    def load(self) -> None:
        user = station_of(self).current_user
        if user is not None:
            call_backend(self, lambda: self.backend.eco(user.username, self.number), self.show)

    def show(self, loaded: tuple[EcoView, tuple[SignatureLine, ...]]) -> None:
        view, sigs = loaded
        self.view = view
        tz = station_of(self).tz
        self.query_one("#eco-heading", Static).update(
            f"{view.number}  [{STATUS.get(view.status, view.status)}]"
        )
        when = fmt_time(view.effective_from, tz) if view.effective_from else "when approved"
        self.query_one("#eco-facts", Static).update(
            f"{view.title}\nReason: {view.reason}\nEffective: {when}\n"
            f"Author: {view.created_by} · version {view.version}"
        )
        self.query_one("#eco-items", Static).update(self._items(view))
        self.query_one("#eco-history", Static).update(
            "\n".join(
                f"{fmt_time(h.at, tz)}  {h.action} by {h.actor}"
                + (f" — “{h.comment}”" if h.comment else "")
                for h in view.history
            )
            or "Not submitted yet."
        )
        self.query_one("#eco-signatures", Static).update(manifestations(sigs, tz))
        offered = STEPS.get(view.status, ())
        for action in LABELS:
            self.query_one(f"#eco-{action}", Button).display = action in offered
        self.query_one("#eco-cancel", Button).display = view.is_open
        self.query_one("#eco-add-row").display = view.status == "draft"
        self._edit_buttons(view)
        for action in offered:  # until the signing rules have answered
            self.query_one(f"#eco-{action}", Button).disabled = True
        user = station_of(self).current_user
        if user is not None and offered:
            call_backend(
                self,
                lambda: self.backend.step_refusals(user.username, view.number),
                lambda refusals: self._explain(view, refusals),
                failed=lambda _: self._explain(view, {}),  # the database decides when signing
                group="eco-refusals",
            )

    def _explain(self, view: EcoView, refusals: dict[str, str]) -> None:
        """Disable each offered step this person may not sign, and say why, before anyone
        taps a badge (the database's signing rules; it checks again when signing)."""
        if self.view is not view:
            return  # a newer load is on screen
        offered = STEPS.get(view.status, ())
        lines = []
        for action in offered:
            why = refusals.get(action)
            self.query_one(f"#eco-{action}", Button).disabled = why is not None
            if why:
                lines.append(f"{LABELS[action].rstrip('…')}: not for you — {why}")
        why_box = self.query_one("#eco-why", Static)
        why_box.update("\n".join(lines))
        why_box.display = bool(lines)

    def _edit_buttons(self, view: EcoView) -> None:
        """One button per draft BOM on a draft ECO: the way to change what the ECO carries."""
        row = self.query_one("#eco-edit-row", Horizontal)
        row.remove_children()
        self.drafts = {}
        self.loads += 1
        if view.status != "draft" or self.open_draft is None:
            row.display = False
            return
        for n, i in enumerate(x for x in view.items if x.bom_revision and x.bom_status == "draft"):
            assert i.bom_revision is not None
            key = f"eco-edit-{self.loads}-{n}"
            self.drafts[key] = (i.item_number, i.bom_revision)
            label = f"Edit {i.item_number} rev {i.bom_revision}"
            row.mount(Button(literal_label(label), id=key, classes="eco-edit", variant="warning"))
        row.display = bool(self.drafts)

    @on(Button.Pressed, ".eco-edit")
    def edit_draft(self, event: Button.Pressed) -> None:
        target = self.drafts.get(event.button.id or "")
        if target is not None and self.open_draft is not None:
            self.app.push_screen(self.open_draft(*target), lambda _: self.load())

    def _items(self, view: EcoView) -> str:
        lines = []
        for i in view.items:
            revs = ", ".join(
                f"{k} rev {r} ({STATUS.get(s or '', s)})"
                for k, r, s in (
                    ("BOM", i.bom_revision, i.bom_status),
                    ("routing", i.routing_revision, i.routing_status),
                )
                if r
            )
            lines.append(f"{i.item_number}  {i.description}\n  ↳ {revs}")
        for r in view.impact:
            lines.append(
                f"  ⇡ {r.item_number} is used in {r.used_in} rev {r.revision} (level {r.level})"
            )
        return "\n".join(lines) or "No items yet: add the item whose BOM changes."

    @on(Button.Pressed, "#eco-submit")
    @on(Button.Pressed, "#eco-review")
    @on(Button.Pressed, "#eco-approve")
    @on(Button.Pressed, "#eco-reject")
    def step(self, event: Button.Pressed) -> None:
        user = station_of(self).current_user
        if user is None or self.view is None or event.button.id is None:
            return
        action = event.button.id.removeprefix("eco-")
        signable = self.backend.eco_step(user.username, self.number, action, self.view.version)
        self.app.push_screen(SignatureModal(signable), self.signed)

    def signed(self, signature: SignatureLine | None) -> None:
        if signature is not None:
            self.notify(
                f"{signature.meaning.capitalize()} by {signature.printed_name}", title=self.number
            )
        self.load()

    @on(Input.Submitted, "#eco-add-item")
    @on(Button.Pressed, "#eco-add")
    def add_item(self) -> None:
        user = station_of(self).current_user
        item = self.query_one("#eco-add-item", Input).value.strip()
        if user is None or not item:
            return
        call_backend(
            self, lambda: self.backend.add_eco_item(user.username, self.number, item, True, False),
            self._added, failed=self.refused,
        )  # fmt: skip

    def _added(self, _: EcoView) -> None:
        self.query_one("#eco-add-item", Input).value = ""
        self.load()

    @on(Button.Pressed, "#eco-cancel")
    def cancel(self) -> None:
        self.app.push_screen(
            ConfirmModal(
                "Cancel this ECO?",
                "Nothing will be released; its drafts stay drafts.",
                confirm="Cancel ECO",
            ),
            self._cancel_confirmed,
        )

    def _cancel_confirmed(self, yes: bool | None) -> None:
        user = station_of(self).current_user
        if yes and user is not None:
            reason = "cancelled on the station"
            call_backend(
                self, lambda: self.backend.cancel_eco(user.username, self.number, reason),
                lambda _: self.load(), failed=self.refused,
            )  # fmt: skip

    def refused(self, error: WorkCellError) -> None:
        self.notify(error.message, title=error.title, severity="error", timeout=8)
