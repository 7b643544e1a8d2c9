"""Home-screen panel for supervisors: qualifications expiring within 30 days (§11.10(i)).

A person whose qualification lapses is refused at the step by the database; the panel
gives the supervisor the month to retrain them. Refreshes itself like the security-events
panel: the next fetch is armed only when one has finished.
"""

from __future__ import annotations

from textual.widgets import Static

from domain.errors import WorkCellError
from domain.views.work_orders import ExpiringQualification
from screens.base import call_backend
from screens.station import station_of
from screens.work_orders.backend import WorkOrderBackend

WITHIN_DAYS = 30
SHOWN = 4  # lines on the panel; the rest are counted


class ExpiringQualificationsPanel(Static):
    DEFAULT_CSS = """
    ExpiringQualificationsPanel { height: auto; margin: 0 2; padding: 0 1;
                                  border: round $warning; }
    """

    def __init__(self, backend: WorkOrderBackend, *, refresh_s: float = 300.0) -> None:
        super().__init__("Qualifications: checking…", id="qual-panel", markup=False)
        self.backend = backend
        self.refresh_s = refresh_s
        self.rows: list[ExpiringQualification] | None = None
        self.answered = False  # screens.home.HomePanel
        self._in_flight = False

    def on_mount(self) -> None:
        user = station_of(self).current_user
        # Supervisors keep their people trained; other roles see nothing of it here.
        self.display = user is not None and "supervisor" in user.roles
        self.poll()

    def poll(self) -> None:
        user = station_of(self).current_user
        if self._in_flight or user is None or not self.display:
            return
        self._in_flight = True
        call_backend(
            self,
            lambda: self.backend.expiring_qualifications(user.username, WITHIN_DAYS),
            self._shown,
            failed=self._failed,
            group="qual-panel",
        )

    def _now_answered(self) -> None:
        self.answered = True  # after the refresh: laid out at its new height

    def _rearm(self) -> None:
        self._in_flight = False
        if self.is_attached:
            self.set_timer(self.refresh_s, self.poll)

    def _failed(self, error: WorkCellError) -> None:
        self._rearm()
        self.call_after_refresh(self._now_answered)
        self.update(f"Qualifications: not available ({error.message})")

    def _shown(self, rows: list[ExpiringQualification]) -> None:
        self._rearm()
        self.call_after_refresh(self._now_answered)
        self.rows = rows
        if not rows:
            self.update(f"Qualifications: none expire within {WITHIN_DAYS} days.")
            return
        lines = [f"⚠ {len(rows)} qualification(s) expire within {WITHIN_DAYS} days:"]
        lines += [
            f"  {r.expires_on.isoformat()}  {r.printed_name} ({r.username}): "
            f"{r.code} ({r.document} rev {r.document_revision})"
            for r in rows[:SHOWN]
        ]
        if len(rows) > SHOWN:
            lines.append(f"  … and {len(rows) - SHOWN} more")
        self.update("\n".join(lines))
