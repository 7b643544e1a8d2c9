"""Overdue CAPA actions on the home screen of supervisors and QA (open sections past their
due date, the plant's today), refreshed while the home screen shows."""

from __future__ import annotations

from collections.abc import Sequence

from screens.backend import SignedInUser
from screens.quality.backend import OverdueLine, QualityBackend
from screens.widgets.home_panel import HomeListPanel

SHOWN = 5
ROLES = frozenset({"supervisor", "qa"})


class OverdueCapaPanel(HomeListPanel[OverdueLine]):
    DEFAULT_CSS = """
    OverdueCapaPanel { height: auto; margin: 0 2; padding: 0 1; border: round $error; }
    """
    SUBJECT = "CAPA actions"

    def __init__(self, backend: QualityBackend, *, refresh_s: float = 300.0) -> None:
        super().__init__(id="capa-overdue", refresh_s=refresh_s)
        self.backend = backend

    def shown_to(self, user: SignedInUser) -> bool:
        return bool(ROLES & user.roles)

    def fetch(self, username: str) -> list[OverdueLine]:
        return self.backend.overdue_actions(username)

    def text(self, rows: Sequence[OverdueLine]) -> str:
        if not rows:
            return "CAPA actions: none overdue."
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
        return "\n".join(lines)
