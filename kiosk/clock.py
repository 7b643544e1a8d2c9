"""The station shows and uses the database server's time, never its own clock.

`ServerClock` keeps the offset between the server's `now()` and this machine's clock,
re-measured periodically by the app (in a worker); between measurements it adds the offset
to the local clock, so the header ticks every second without a query per tick.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


class ServerClock:
    def __init__(self) -> None:
        self._offset = dt.timedelta(0)
        self.synced = False

    def sync(self, server_now: Callable[[], dt.datetime]) -> None:
        """Measure the offset; the round trip's midpoint stands for the server's instant."""
        before = time.time()
        server = server_now()
        after = time.time()
        local_mid = dt.datetime.fromtimestamp((before + after) / 2, dt.UTC)
        self._offset = server - local_mid
        self.synced = True

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self._offset


def frozen_clock(moment: dt.datetime) -> Clock:
    """A clock that always says ``moment`` (tests and snapshots)."""
    return lambda: moment
