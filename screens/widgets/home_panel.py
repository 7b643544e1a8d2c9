"""A home-screen panel that lists what the database found for the signed-in person (overdue
CAPA actions, expiring qualifications) and asks again a while after each answer.

It starts as one "checking…" line and changes height once, when the first answer comes:
`answered` (screens.home.HomePanel) turns true only after the refresh that lays it out at
its new height, so whoever waits for the home to settle taps tiles where they will stay.
The next fetch is armed only when one has finished: a slow database never piles up look-ups.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

from textual.widgets import Static

from domain.errors import WorkCellError
from screens.backend import SignedInUser
from screens.base import call_backend
from screens.station import station_of

Row = TypeVar("Row")


class HomeListPanel(Static, Generic[Row]):
    """Subclasses say who sees the panel, how to fetch its rows and how to word them."""

    # the first line while the look-up runs, and the start of "not available (…)"
    SUBJECT = ""
    # rows listed on a touch screen (40 rows and more); over SSH at 80x24 one, so that a
    # supervisor's two lists and the security line leave the first tiles in view
    SHOWN = 5

    def __init__(self, *, id: str, refresh_s: float) -> None:
        super().__init__(f"{self.SUBJECT}: checking…", id=id, markup=False)
        self.refresh_s = refresh_s
        self.rows: list[Row] | None = None
        self.answered = False
        self._in_flight = False

    def shown_to(self, user: SignedInUser) -> bool:
        raise NotImplementedError

    def fetch(self, username: str) -> list[Row]:
        """Runs in a worker thread (call_backend)."""
        raise NotImplementedError

    def nothing(self) -> str:
        raise NotImplementedError

    def heading(self, count: int) -> str:
        raise NotImplementedError

    def line(self, row: Row) -> str:
        raise NotImplementedError

    def text(self, rows: Sequence[Row]) -> str:
        if not rows:
            return self.nothing()
        shown = self.SHOWN if self.app.size.height >= 40 else 1
        lines = [self.heading(len(rows)), *(self.line(r) for r in rows[:shown])]
        if len(rows) > shown:
            lines.append(f"  … and {len(rows) - shown} more")
        return "\n".join(lines)

    def on_mount(self) -> None:
        user = station_of(self).current_user
        self.display = user is not None and self.shown_to(user)
        self.poll()

    def poll(self) -> None:
        user = station_of(self).current_user
        if self._in_flight or user is None or not self.display:
            return
        self._in_flight = True
        username = user.username
        call_backend(self, lambda: self.fetch(username), self._shown,
                     failed=self._failed, group=self.id or "")  # fmt: skip

    def _now_answered(self) -> None:
        self.answered = True  # after the refresh: laid out at its new height

    def _rearm(self) -> None:
        self._in_flight = False
        if self.is_attached:
            self.set_timer(self.refresh_s, self.poll)

    def _failed(self, error: WorkCellError) -> None:
        self._rearm()
        self.call_after_refresh(self._now_answered)
        self.update(f"{self.SUBJECT}: not available ({error.message})")

    def _shown(self, rows: list[Row]) -> None:
        self._rearm()
        self.call_after_refresh(self._now_answered)
        self.rows = rows
        self.update(self.text(rows))
