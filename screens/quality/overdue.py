"""Overdue CAPA actions on the home screen of supervisors and QA (open sections past their
due date, the plant's today), refreshed while the home screen shows."""

from __future__ import annotations

from screens.backend import SignedInUser
from screens.quality.backend import OverdueLine, QualityBackend
from screens.widgets.home_panel import HomeListPanel

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

    def nothing(self) -> str:
        return "CAPA actions: none overdue."

    def heading(self, count: int) -> str:
        return f"⚠ {count} CAPA action(s) overdue:"

    def line(self, row: OverdueLine) -> str:
        return (
            f"  due {row.due_date.isoformat()} {row.capa_number} {row.discipline[:2]}"
            f" ({row.ncr_number}) — {row.owner}"
        )
