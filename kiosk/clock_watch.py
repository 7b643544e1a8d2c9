"""Watches this station's clock against the database server's at every clock sync.

The app calls ``check(server_clock)`` from its clock-sync worker (a thread). A skew beyond
the limit becomes a 'clock_skew' security event — once, and again only if the skew grows
by more than the limit or a day has passed, so a drifting station does not flood the list.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from domain.errors import translate
from domain.services.clock_skew import DEFAULT_LIMIT_S, report_skew

log = logging.getLogger(__name__)
REPEAT_AFTER_S = 24 * 3600.0


class ClockSkewWatch:
    def __init__(
        self,
        session_factory: sessionmaker[Session] | None,
        limit_s: float = DEFAULT_LIMIT_S,
        *,
        local_now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.session_factory = session_factory
        self.limit_s = limit_s
        self.local_now = local_now
        self.last_skew: float | None = None
        self._reported: tuple[float, float] | None = None  # (skew, monotonic time)

    def check(self, server_now: Callable[[], dt.datetime]) -> float:
        """Compare the station's clock with ``server_now()`` (the synced server clock)."""
        skew = (self.local_now() - server_now()).total_seconds()
        self.last_skew = skew
        if self.session_factory is None or abs(skew) <= self.limit_s or not self._due(skew):
            return skew
        try:
            report_skew(self.session_factory, skew, self.limit_s)
        except Exception as exc:  # never let a clock check break the clock sync
            friendly = translate(exc)
            log.warning("could not record clock skew: %s", friendly or exc)
            return skew
        self._reported = (skew, time.monotonic())
        return skew

    def _due(self, skew: float) -> bool:
        if self._reported is None:
            return True
        previous, at = self._reported
        return abs(skew - previous) > self.limit_s or time.monotonic() - at > REPEAT_AFTER_S
