"""Switching per item and supplier (Z1.4 normal ⇄ tightened ⇄ reduced, discontinuation):
the list of every item and supplier inspected (the tightest first), and one of them with
its state, score, the recent lots and every move with the rule that made it, the lot's
inspection and who (the database, at an inspection's completion, or QA by judgement) —
read from the audited switching events, never computed here."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from domain.errors import WorkCellError
from screens.base import StationScreen, call_backend
from screens.quality.backend import QualityBackend, SwitchingRow, SwitchingView
from screens.quality.common import actor, refusal
from screens.quality.lists import RecordList
from screens.station import fmt_time, station_of
from screens.widgets.columns import fit_columns
from screens.widgets.tap_table import TapTable

STATES = {
    "normal": ("NORMAL", "bold"),
    "tightened": ("TIGHTENED", "bold yellow"),
    "reduced": ("REDUCED", "bold green"),
    "discontinued": ("DISCONTINUED — acceptance stopped", "bold red"),
}


def state(status: str) -> Text:
    word, style = STATES.get(status, (status.upper(), "bold"))
    return Text(word, style=style)


class SwitchingListScreen(RecordList[SwitchingRow]):
    TITLE_TEXT = "Switching"
    PREFIX = "sw"
    HEADERS = ("Item / supplier", "State", "Score", "Moves", "Last rule")
    FLEX = 4

    def fetch(self, who: str) -> list[SwitchingRow]:
        return self.backend.switching_states(who)

    def cells(self, r: SwitchingRow) -> tuple[object, ...]:
        return (Text(r.number, style="bold"), state(r.status), str(r.score), str(r.moves),
                r.last_rule)  # fmt: skip

    def count_text(self, rows: list[SwitchingRow]) -> str:
        return (
            f"{len(rows)} item/supplier pair(s) inspected — tap one for its moves" if rows
            else "No item has been inspected from a supplier yet: all start on normal."
        )  # fmt: skip


class SwitchingScreen(StationScreen):
    CSS_PATH = "quality.tcss"
    TITLE_TEXT = "Switching"

    def __init__(self, backend: QualityBackend, key: str) -> None:
        super().__init__()
        self.backend = backend
        self.key = key  # ITEM/SUPPLIER
        self.view: SwitchingView | None = None
        self.answers = 0

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(classes="q-scroll"):
            yield Static("Loading…", id="swd-head", classes="q-title", markup=False)
            yield Static("", id="swd-state", classes="q-box")
            yield Static("", id="swd-message", classes="q-message", markup=False)
            yield Static("Moves (audited; newest last)", classes="q-title")
            yield TapTable(id="swd-events", cursor_type="row")

    def on_mount(self) -> None:
        self.load()

    def reopened(self) -> None:
        self.load()

    def load(self) -> None:
        who = actor(self)
        if who is not None:
            call_backend(
                self, lambda: self.backend.switching(who, self.key), self.show, failed=self._refused
            )

    def show(self, v: SwitchingView) -> None:
        self.view = v
        self.query_one("#swd-head", Static).update(f"{v.item_number} from supplier {v.supplier}")
        recent = " ".join("accepted" if c == "A" else "REJECTED" for c in v.recent) or "none yet"
        text = Text.assemble("State: ", state(v.status), f"   switching score {v.score}\n")
        text.append(f"Last rule: {v.last_rule}\n", style="italic")
        text.append(f"Recent lots on this severity: {recent}")
        if v.status == "tightened":
            text.append(f"\nLots not accepted on tightened: {v.tightened_rejects} of 5")
        self.query_one("#swd-state", Static).update(text)
        tz = station_of(self).tz
        table = self.query_one("#swd-events", DataTable)
        cells = [
            (
                fmt_time(e.at, tz),
                f"{e.from_status} → {e.to_status}" if e.from_status != e.to_status
                else e.to_status,
                f"{e.score_before} → {e.score_after}",
                e.inspection or "QA",
                e.actor,
                e.rule,
            )
            for e in v.events
        ]  # fmt: skip
        fitted = fit_columns(
            table, ("When", "Move", "Score", "Inspection", "By", "Rule"), cells, flex=5
        )
        for i, line in enumerate(fitted):
            table.add_row(*line, key=str(i))
        self.answers += 1

    def _refused(self, error: WorkCellError) -> None:
        self.answers += 1
        refusal(self.query_one("#swd-message", Static), error)
