"""Offer a person their parked draft back at sign-in: resume it or discard it (audited)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from screens.backend import Draft
from screens.station import fmt_time, station_of


class DraftOfferModal(ModalScreen[str | None]):
    """Returns "resume", "discard" or None (decide later: the draft stays parked)."""

    DEFAULT_CSS = """
    DraftOfferModal { align: center middle; background: $background 80%; }
    DraftOfferModal > Vertical {
        width: 76; max-width: 100%; height: auto; border: thick $accent;
        background: $surface; padding: 1 2;
    }
    DraftOfferModal #draft-title { text-style: bold; color: $accent; }
    DraftOfferModal #draft-text { margin: 1 0; }
    DraftOfferModal Horizontal { height: 3; }
    DraftOfferModal Button { width: 1fr; margin: 0 1; }
    """

    def __init__(self, draft: Draft, remaining: int) -> None:
        super().__init__()
        self.draft = draft
        self.remaining = remaining

    def compose(self) -> ComposeResult:
        station = station_of(self)
        when = fmt_time(self.draft.parked_at, station.tz) if self.draft.parked_at else ""
        more = f"\n({self.remaining} more after this one.)" if self.remaining else ""
        with Vertical():
            yield Static("You have unsaved input on this station", id="draft-title")
            yield Static(
                f"{self.draft.summary}\nKept for you at {when} when someone else signed in.{more}",
                id="draft-text",
                markup=False,
            )
            with Horizontal():
                yield Button("Later", id="draft-later")
                yield Button("Discard…", id="draft-discard", variant="error")
                yield Button("Resume", id="draft-resume", variant="success")

    def on_mount(self) -> None:
        self.query_one("#draft-resume", Button).focus()

    @on(Button.Pressed, "#draft-resume")
    def resume(self) -> None:
        self.dismiss("resume")

    @on(Button.Pressed, "#draft-discard")
    def discard(self) -> None:
        self.dismiss("discard")

    @on(Button.Pressed, "#draft-later")
    def later(self) -> None:
        self.dismiss(None)
