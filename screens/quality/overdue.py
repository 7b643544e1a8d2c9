"""Overdue CAPA actions on the home screen of supervisors and QA (open sections past their
due date, the plant's today), refreshed while the home screen shows."""

from __future__ import annotations

from textual.widgets import Static

from domain.errors import WorkCellError
from screens.base import call_backend
from screens.quality.backend import OverdueLine, QualityBackend
from screens.station import station_of

SHOWN = 5
ROLES = frozenset({"supervisor", "qa"})


class OverdueCapaPanel(Static):
    DEFAULT_CSS = """
    OverdueCapaPanel { height: auto; margin: 0 2; padding: 0 1; border: round $error; }
    """

    def __init__(self, backend: QualityBackend, *, refresh_s: float = 300.0) -> None:
        super().__init__("CAPA actions: checking…", id="capa-overdue", markup=False)
        self.backend = backend
        self.refresh_s = refresh_s
        self.rows: list[OverdueLine] | None = None
        self.answered = False  # screens.home.HomePanel
        self._in_flight = False

    def on_mount(self) -> None:
        user = station_of(self).current_user
        self.display = user is not None and bool(ROLES & user.roles)
        self.poll()

    def poll(self) -> None:
        user = station_of(self).current_user
        if self._in_flight or user is None or not self.display:
            return
        self._in_flight = True
        call_backend(self, lambda: self.backend.overdue_actions(user.username), self._shown,
                     failed=self._failed, group="capa-overdue")  # fmt: skip

    def _now_answered(self) -> None:
        self.answered = True  # after the refresh: laid out at its new height

    def _rearm(self) -> None:
        self._in_flight = False
        if self.is_attached:
            self.set_timer(self.refresh_s, self.poll)

    def _failed(self, error: WorkCellError) -> None:
        self._rearm()
        self.call_after_refresh(self._now_answered)
        self.update(f"CAPA actions: not available ({error.message})")

    def _shown(self, rows: list[OverdueLine]) -> None:
        self._rearm()
        self.call_after_refresh(self._now_answered)
        self.rows = rows
        if not rows:
            self.update("CAPA actions: none overdue.")
            return
        # three lines over SSH (80x24), so the tiles stay in reach
        shown = SHOWN if self.app.size.height >= 40 else 3
        lines = [f"⚠ {len(rows)} CAPA action(s) overdue:"]
        lines += [
            f"  due {r.due_date.isoformat()} {r.capa_number} {r.discipline[:2]}"
            f" ({r.ncr_number}) — {r.owner}"
            for r in rows[:shown]
        ]
        if len(rows) > shown:
            lines.append(f"  … and {len(rows) - shown} more")
        self.update("\n".join(lines))
