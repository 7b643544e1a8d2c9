"""Switching per item and supplier (Z1.4 normal ⇄ tightened ⇄ reduced, discontinuation):
the list of every item and supplier inspected (the tightest first), and one of them with
its state, score, the recent lots and every move with the rule that made it, the lot's
inspection and who (the database, at an inspection's completion, or QA by judgement) —
read from the audited switching events, never computed here. QA moves it by judgement where
the standard leaves it to the responsible authority (normal → reduced with a score of 30,
discontinued → tightened, reduced → normal): one button, a reason on the keyboard."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Button, Static

from domain.errors import WorkCellError
from screens.base import StationScreen, call_backend
from screens.quality.backend import QualityBackend, SwitchingRow, SwitchingView
from screens.quality.common import actor, refusal
from screens.quality.lists import RecordList
from screens.station import fmt_time, station_of
from screens.widgets.keyboard import KeyboardModal
from screens.widgets.printable import literal_label

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
        self.move: tuple[str, str | None] | None = None  # QA's move by judgement, why not
        self.answers = 0

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(classes="q-scroll"):
            yield Static("Loading…", id="swd-head", classes="q-title", markup=False)
            yield Static("", id="swd-state", classes="q-box")
            yield Static("", id="swd-message", classes="q-message", markup=False)
            yield Button("Move…", id="swd-move", variant="warning")
            yield Static("Moves (audited; newest last)", classes="q-title")
            yield Static("", id="swd-events", classes="q-box")

    def on_mount(self) -> None:
        self.load()

    def reopened(self) -> None:
        self.load()

    def load(self) -> None:
        who = actor(self)
        if who is not None:
            backend, key = self.backend, self.key
            call_backend(
                self, lambda: (backend.switching(who, key), backend.switching_move(who, key)),
                self._loaded, failed=self._refused,
            )  # fmt: skip

    def _loaded(self, found: tuple[SwitchingView, tuple[str, str | None] | None]) -> None:
        self.move = found[1]
        self.show(found[0])

    def show(self, v: SwitchingView) -> None:
        self.view = v
        self.query_one("#swd-head", Static).update(f"{v.item_number} from supplier {v.supplier}")
        recent = " ".join("accepted" if c == "A" else "REJECTED" for c in v.recent) or "none yet"
        text = Text.assemble("State: ", state(v.status), f" · switching score {v.score}\n")
        text.append(f"Last rule: {v.last_rule}\n", style="italic")
        text.append(f"Recent lots on this severity: {recent}")
        if v.status == "tightened":
            text.append(f"\nLots not accepted on tightened: {v.tightened_rejects} of 5")
        self.query_one("#swd-state", Static).update(text)
        # a move per two lines (what, then the rule): readable at 80 columns as at 160
        tz = station_of(self).tz
        moves = Text()
        for e in v.events:
            if moves:
                moves.append("\n")
            moves.append(f"{fmt_time(e.at, tz)}  ")
            moves.append(f"{e.from_status} → {e.to_status}", style="bold")
            moves.append(f"  score {e.score_before} → {e.score_after}  ")
            moves.append(f"{e.inspection or 'by judgement'} · {e.actor}\n")
            moves.append(f"    {e.rule}", style="italic")
        self.query_one("#swd-events", Static).update(
            moves or Text("No move yet: the state has not changed since the first lot.")
        )
        self._move_button()
        self.answers += 1

    def _move_button(self) -> None:
        button = self.query_one("#swd-move", Button)
        button.display = self.move is not None
        if self.move is None:
            return
        to, why = self.move
        button.label = literal_label(f"Move to {to} (QA's judgement)…")
        button.disabled = why is not None
        self.query_one("#swd-message", Static).update(f"Move to {to}: {why}" if why else "")

    @on(Button.Pressed, "#swd-move")
    def ask_reason(self) -> None:
        if self.move is None or self.move[1] is not None:
            return
        to = self.move[0]
        self.app.push_screen(
            KeyboardModal(f"Why move to {to}? (kept as the rule that moved it)", ""),
            lambda why: self._move(to, why) if why and why.strip() else None,
        )

    def _move(self, to: str, why: str) -> None:
        who = actor(self)
        if who is None:
            return
        backend, key = self.backend, self.key
        self.query_one("#swd-message", Static).update(f"Moving to {to}…")
        call_backend(
            self, lambda: (backend.move_switching(who, key, to, why.strip()),
                           backend.switching_move(who, key)),
            self._moved, failed=self._refused,
        )  # fmt: skip

    def _moved(self, found: tuple[SwitchingView, tuple[str, str | None] | None]) -> None:
        self._loaded(found)
        self.notify(f"{self.key}: {found[0].status} — {found[0].last_rule}", title="Switching")

    def _refused(self, error: WorkCellError) -> None:
        self.answers += 1
        refusal(self.query_one("#swd-message", Static), error)
