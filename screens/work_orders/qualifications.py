"""Home-screen panel for supervisors: qualifications expiring within 30 days (§11.10(i)).

A person whose qualification lapses is refused at the step by the database; the panel
gives the supervisor the month to retrain them.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.views.work_orders import ExpiringQualification
from screens.backend import SignedInUser
from screens.widgets.home_panel import HomeListPanel
from screens.work_orders.backend import WorkOrderBackend

WITHIN_DAYS = 30
SHOWN = 4  # lines on the panel; the rest are counted


class ExpiringQualificationsPanel(HomeListPanel[ExpiringQualification]):
    DEFAULT_CSS = """
    ExpiringQualificationsPanel { height: auto; margin: 0 2; padding: 0 1;
                                  border: round $warning; }
    """
    SUBJECT = "Qualifications"

    def __init__(self, backend: WorkOrderBackend, *, refresh_s: float = 300.0) -> None:
        super().__init__(id="qual-panel", refresh_s=refresh_s)
        self.backend = backend

    def shown_to(self, user: SignedInUser) -> bool:
        # Supervisors keep their people trained; other roles see nothing of it here.
        return "supervisor" in user.roles

    def fetch(self, username: str) -> list[ExpiringQualification]:
        return self.backend.expiring_qualifications(username, WITHIN_DAYS)

    def text(self, rows: Sequence[ExpiringQualification]) -> str:
        if not rows:
            return f"Qualifications: none expire within {WITHIN_DAYS} days."
        lines = [f"⚠ {len(rows)} qualification(s) expire within {WITHIN_DAYS} days:"]
        lines += [
            f"  {r.expires_on.isoformat()}  {r.printed_name} ({r.username}): "
            f"{r.code} ({r.document} rev {r.document_revision})"
            for r in rows[:SHOWN]
        ]
        if len(rows) > SHOWN:
            lines.append(f"  … and {len(rows) - SHOWN} more")
        return "\n".join(lines)
