"""Home-screen panel for supervisors: qualifications expiring within 30 days (§11.10(i)).

A person whose qualification lapses is refused at the step by the database; the panel
gives the supervisor the month to retrain them.
"""

from __future__ import annotations

from domain.views.work_orders import ExpiringQualification
from screens.backend import SignedInUser
from screens.widgets.home_panel import HomeListPanel
from screens.work_orders.backend import WorkOrderBackend

WITHIN_DAYS = 30


class ExpiringQualificationsPanel(HomeListPanel[ExpiringQualification]):
    DEFAULT_CSS = """
    ExpiringQualificationsPanel { height: auto; margin: 0 2; padding: 0 1;
                                  border: round $warning; }
    """
    SUBJECT = "Qualifications"
    SHOWN = 4

    def __init__(self, backend: WorkOrderBackend, *, refresh_s: float = 300.0) -> None:
        super().__init__(id="qual-panel", refresh_s=refresh_s)
        self.backend = backend

    def shown_to(self, user: SignedInUser) -> bool:
        # Supervisors keep their people trained; other roles see nothing of it here.
        return "supervisor" in user.roles

    def fetch(self, username: str) -> list[ExpiringQualification]:
        return self.backend.expiring_qualifications(username, WITHIN_DAYS)

    def nothing(self) -> str:
        return f"Qualifications: none expire within {WITHIN_DAYS} days."

    def heading(self, count: int) -> str:
        return f"⚠ {count} qualification(s) expire within {WITHIN_DAYS} days:"

    def line(self, row: ExpiringQualification) -> str:
        return (
            f"  {row.expires_on.isoformat()}  {row.printed_name} ({row.username}): "
            f"{row.code} ({row.document} rev {row.document_revision})"
        )
