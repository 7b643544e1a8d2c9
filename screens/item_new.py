"""New item: the floor's data-entry form (keypad for numbers, scan for the GTIN).

What is typed here is unsaved input: it survives the idle lock and, if someone else
signs in, is parked as its author's draft (see `unsaved_input` / `restore`).
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from domain.errors import DatabaseUnavailable, WorkCellError
from domain.views.items import ITEM_TYPES, TRACKING, UNITS, NewItem
from screens.backend import ItemRow, ItemsBackend
from screens.base import StationScreen, call_backend
from screens.messages import BarcodeScanned
from screens.scans import scanned_gtin
from screens.station import station_of
from screens.widgets import Keypad
from screens.widgets.choice import ChoiceButton
from screens.widgets.keyboard import TouchInput

_TEXT_FIELDS = ("item_number", "description", "gtin")
_CHOICES = {"item_type": ITEM_TYPES, "unit": UNITS, "tracking": TRACKING}


class NewItemScreen(StationScreen):
    CSS_PATH = "item_new.tcss"
    TITLE_TEXT = "New item"
    DRAFT_SCREEN = "item_new"
    ACCEPTS_SCANS = True

    def __init__(self, backend: ItemsBackend, values: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.values = values or {}

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="new-actions"):
            yield Static("", id="new-error", markup=False)
            yield Button("Save item", id="new-save", variant="success")
        with Horizontal(id="new-body"):
            with VerticalScroll(id="new-form"):
                yield Label("Item number")
                yield TouchInput(self.values.get("item_number", ""), id="item_number")
                yield Label("Description")
                yield TouchInput(self.values.get("description", ""), id="description")
                for name, options in _CHOICES.items():
                    title = name.replace("_", " ").capitalize()
                    value = self.values.get(name) or ("lot" if name == "tracking" else "")
                    yield ChoiceButton(title, options, value, id=name)
                yield Label("GTIN (scan or type)")
                yield TouchInput(self.values.get("gtin", ""), id="gtin")
            yield Keypad(placeholder="Shelf life (days)", max_length=5, id="shelf_life")

    def on_mount(self) -> None:
        self.query_one("#shelf_life", Keypad).value = str(self.values.get("shelf_life", ""))
        self.query_one("#item_number", Input).focus()

    def reopened(self) -> None:
        """A new form each time: what was left by Back was discarded (it asked)."""
        for name in _TEXT_FIELDS:
            self.query_one(f"#{name}", Input).value = ""
        for name in _CHOICES:
            self.query_one(f"#{name}", ChoiceButton).value = "lot" if name == "tracking" else ""
        self.query_one("#shelf_life", Keypad).value = ""
        self.query_one("#new-error", Static).update("")
        self.query_one("#item_number", Input).focus()

    def form(self) -> dict[str, Any]:
        values: dict[str, Any] = {n: self.query_one(f"#{n}", Input).value for n in _TEXT_FIELDS}
        for name in _CHOICES:
            values[name] = self.query_one(f"#{name}", ChoiceButton).value
        values["shelf_life"] = self.query_one("#shelf_life", Keypad).value
        return values

    @on(Button.Pressed, "#new-save")
    @on(Keypad.Submitted, "#shelf_life")
    def save(self) -> None:
        user = station_of(self).current_user
        v = self.form()
        cmd = NewItem(
            v["item_number"],
            v["description"],
            v["item_type"],
            v["unit"],
            v["tracking"] or "lot",
            int(v["shelf_life"]) if v["shelf_life"] else None,
            v["gtin"] or None,
        )
        if user is not None:
            self.query_one("#new-error", Static).update("Saving…")
            call_backend(
                self,
                lambda: self.backend.create_item(user.username, cmd),
                self.saved,
                failed=self.refused,
            )

    def saved(self, row: ItemRow) -> None:
        self.notify(f"{row.item_number} created as {row.status.upper()}", title="Saved")
        self.dismiss(row)

    def refused(self, error: WorkCellError) -> None:
        text = f"{error.title}: {error.message}"
        if isinstance(error, DatabaseUnavailable):  # the banner says why; say what it means
            text = "Not saved yet: your entry is kept. Press Save again when it is back."
        self.query_one("#new-error", Static).update(text)

    @on(BarcodeScanned)
    def scanned(self, message: BarcodeScanned) -> None:
        """A scan goes to the GTIN field (the form's only scan target); GS1 is decoded."""
        try:
            gtin = scanned_gtin(message.data)
        except WorkCellError as error:
            self.refused(error)
            return
        self.query_one("#gtin", Input).value = gtin or message.data.strip()

    def unsaved_input(self) -> tuple[str, dict[str, Any]] | None:
        values = self.form()
        if not any(v for k, v in values.items() if k != "tracking"):
            return None
        label = values["item_number"] or "(no number yet)"
        return f"New item {label}", values
