"""8-D CAPAs: the open ones, raising one on an NCR (an owner and a due date for each of
D0..D8), and one CAPA: each discipline with its content, owner, due date (overdue marked),
written on the on-screen keyboard and signed complete in order by its owner (D8 by QA);
closed by QA. Every button the person may not use is disabled with the database's reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from domain.errors import WorkCellError
from screens.backend import SignatureLine
from screens.base import StationScreen, call_backend
from screens.modals.signature import SignatureModal
from screens.quality.backend import CapaDetail, CapaRow, QualityBackend, SectionLine
from screens.quality.common import actor, refusal, say, word
from screens.quality.lists import RecordList
from screens.records.copy import OpenCopy, print_copy, show_print
from screens.widgets.choice import ChoiceButton
from screens.widgets.keyboard import KeyboardModal, TouchInput
from screens.widgets.printable import printable

DISCIPLINES = (
    "D0 plan",
    "D1 team",
    "D2 problem",
    "D3 containment",
    "D4 root cause",
    "D5 corrective actions",
    "D6 implemented",
    "D7 effectiveness",
    "D8 closure",
)


class CapasScreen(RecordList[CapaRow]):
    TITLE_TEXT = "CAPAs"
    PREFIX = "capas"
    HEADERS = ("CAPA", "NCR", "Title", "Done", "Overdue")
    FLEX = 2

    def fetch(self, who: str) -> list[CapaRow]:
        return self.backend.capas(who)

    def cells(self, r: CapaRow) -> tuple[object, ...]:
        return (
            Text(r.number, style="bold"),
            r.ncr_number,
            r.title,
            f"{r.complete}/9",
            Text(f"{r.overdue} overdue", style="bold red") if r.overdue else "",
        )

    def count_text(self, rows: list[CapaRow]) -> str:
        return f"{len(rows)} open CAPA(s) — tap one" if rows else "No open CAPAs."


class NewCapaScreen(StationScreen):
    """A CAPA on an NCR: its title, and an owner and due date per discipline."""

    CSS_PATH = "quality.tcss"
    TITLE_TEXT = "New CAPA"

    def __init__(
        self, backend: QualityBackend, ncr_number: str, opened: Callable[[str], Screen[Any]]
    ) -> None:
        super().__init__()
        self.backend = backend
        self.ncr_number = ncr_number
        self.opened = opened
        self.ready = False

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(classes="q-scroll"):
            yield Static(f"CAPA on {self.ncr_number}", classes="q-title", markup=False)
            yield Static("", id="newcapa-message", classes="q-message", markup=False)
            with Horizontal(classes="q-row"):
                yield TouchInput(placeholder="CAPA title", id="newcapa-title")
            with Horizontal(classes="q-row"):
                yield ChoiceButton("Owner of every discipline", (), id="newcapa-all")
            with Vertical(id="capa-owners"):
                for d, name in enumerate(DISCIPLINES):
                    with Horizontal(classes="q-owner-row"):
                        yield Static(name[:2], classes="q-label", markup=False)
                        yield ChoiceButton(name, (), id=f"newcapa-owner-{d}")
                        yield TouchInput(placeholder="YYYY-MM-DD", id=f"newcapa-due-{d}")
            with Horizontal(classes="q-row"):
                yield Button("Raise CAPA", id="newcapa-raise", variant="warning")

    def on_mount(self) -> None:
        who = actor(self)
        if who is not None:
            call_backend(
                self,
                lambda: (self.backend.people(who), self.backend.today(who)),
                self._loaded,
                failed=self._refused,
            )

    def _loaded(self, loaded: tuple[list[str], dt.date]) -> None:
        people, today = loaded
        for button in self.query(ChoiceButton):
            button.options = list(people)
        for d in range(9):
            # a week per discipline: a plan QA adjusts before raising
            due = today + dt.timedelta(days=7 * (d + 1))
            self.query_one(f"#newcapa-due-{d}", Input).value = due.isoformat()
        self.ready = True

    @on(ChoiceButton.Changed)
    def everyone(self, event: ChoiceButton.Changed) -> None:
        if event.choice.id == "newcapa-all" and event.value:
            for d in range(9):
                self.query_one(f"#newcapa-owner-{d}", ChoiceButton).value = event.value

    @on(Button.Pressed, "#newcapa-raise")
    def raise_capa(self) -> None:
        who = actor(self)
        title = self.query_one("#newcapa-title", Input).value
        owners = [self.query_one(f"#newcapa-owner-{d}", ChoiceButton).value for d in range(9)]
        due = [self.query_one(f"#newcapa-due-{d}", Input).value for d in range(9)]
        if who is not None:
            call_backend(
                self,
                lambda: self.backend.raise_capa(who, self.ncr_number, title, owners, due),
                self._raised,
                failed=self._refused,
            )

    def _raised(self, number: str) -> None:
        self.dismiss_to(number)

    def dismiss_to(self, number: str) -> None:
        self.app.pop_screen()
        self.app.push_screen(self.opened(number))

    def _refused(self, error: WorkCellError) -> None:
        refusal(self.query_one("#newcapa-message", Static), error)

    def unsaved_input(self) -> tuple[str, dict[str, Any]] | None:
        title = self.query_one("#newcapa-title", Input).value.strip()
        return (f"CAPA on {self.ncr_number}", {"title": title}) if title else None


class SectionRow(Horizontal):
    @dataclass
    class Asked(Message):
        section: SectionLine
        action: str  # write | complete

    def __init__(self, section: SectionLine) -> None:
        super().__init__()
        self.section = section

    def compose(self) -> ComposeResult:
        s = self.section
        due = s.due_date.isoformat()
        text = Text.assemble((s.title, "bold"), f" · owner {s.owner} · due {due}")
        text.append(f" · {word(s.status)}" if s.status != "open" else "")
        if s.overdue:
            text.append(" · OVERDUE", style="bold red")
        text.append("\n" + printable(s.content or "(nothing written yet)"))
        for why, what in ((s.write, "write"), (s.complete, "sign")):
            if why and s.status == "open":
                text.append(f"\n{what}: {why}", style="yellow")
        yield Static(text, classes="sec-text")
        if s.status == "open":
            yield Button(
                "Write", id=f"write-{s.discipline}", name="write", disabled=s.write is not None
            )
            yield Button(
                "Complete…",
                id=f"complete-{s.discipline}",
                name="complete",
                variant="success",
                disabled=s.complete is not None,
            )

    def on_mount(self) -> None:
        self.set_class(self.section.status == "complete", "-complete")
        self.set_class(self.section.overdue, "-overdue")

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Asked(self.section, event.button.name or ""))


class CapaScreen(StationScreen):
    CSS_PATH = "quality.tcss"
    TITLE_TEXT = "CAPA"

    def __init__(
        self, backend: QualityBackend, number: str, open_copy: OpenCopy | None = None
    ) -> None:
        super().__init__()
        self.backend = backend
        self.number = number
        self.open_copy = open_copy
        self.detail: CapaDetail | None = None
        self.answers = 0

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(classes="q-scroll"):
            yield Static("Loading…", id="capa-head", classes="q-title", markup=False)
            yield Static("", id="capa-message", classes="q-message", markup=False)
            yield Vertical(id="capa-sections")
            with Horizontal(classes="q-row"):
                yield Button("Close CAPA…", id="capa-close", variant="primary")
                yield Button("Print record", id="capa-print")
            yield Static("", id="capa-close-why", classes="q-why", markup=False)
            yield Static("", id="capa-print-why", classes="q-why", markup=False)

    def on_mount(self) -> None:
        show_print(self.query_one("#capa-print", Button),
                   self.query_one("#capa-print-why", Static), self.open_copy)  # fmt: skip
        self.load()

    @on(Button.Pressed, "#capa-print")
    def print_record(self) -> None:
        print_copy(self, self.open_copy, "capa", self.number)

    def load(self) -> None:
        who = actor(self)
        if who is not None:
            call_backend(
                self, lambda: self.backend.capa(who, self.number), self.show, failed=self._refused
            )

    def show(self, d: CapaDetail) -> None:
        self.detail = d
        self.answers += 1
        done = sum(1 for s in d.sections if s.status == "complete")
        self.query_one("#capa-head", Static).update(
            f"{d.number} on {d.ncr_number} · {d.title} · {word(d.status)} · {done}/9 complete"
        )
        box = self.query_one("#capa-sections", Vertical)
        box.remove_children()
        box.mount_all(SectionRow(s) for s in d.sections)
        close = self.query_one("#capa-close", Button)
        close.display = d.status == "open"
        close.disabled = d.close is not None
        why = self.query_one("#capa-close-why", Static)
        why.display = d.status == "open" and d.close is not None
        why.update(f"Close: not now — {d.close}" if d.close else "")

    @on(SectionRow.Asked)
    def asked(self, event: SectionRow.Asked) -> None:
        s = event.section
        if event.action == "write":
            self.app.push_screen(
                KeyboardModal(f"{s.title}: content", s.content),
                lambda text: self._write(s.discipline, text),
            )
        elif event.action == "complete":
            self._sign(s.discipline)

    def _write(self, discipline: int, text: str | None) -> None:
        who = actor(self)
        if who is None or text is None:
            return
        call_backend(
            self,
            lambda: self.backend.write_section(who, self.number, discipline, text),
            self._written,
            failed=self._refused,
        )

    def _written(self, d: CapaDetail) -> None:
        say(self.query_one("#capa-message", Static), "Saved.", "ok")
        self.show(d)

    @on(Button.Pressed, "#capa-close")
    def close(self) -> None:
        self._sign(None)

    def _sign(self, discipline: int | None) -> None:
        who = actor(self)
        if who is not None:
            call_backend(
                self,
                lambda: self.backend.capa_signing(who, self.number, discipline),
                lambda s: self.app.push_screen(SignatureModal(s), self.signed),
                failed=self._refused,
            )

    def signed(self, signature: SignatureLine | None) -> None:
        if signature is not None:
            say(
                self.query_one("#capa-message", Static),
                f"Signed {signature.meaning} by {signature.printed_name}.",
                "ok",
            )
        self.load()

    def _refused(self, error: WorkCellError) -> None:
        self.answers += 1
        refusal(self.query_one("#capa-message", Static), error)
