"""Python's full garbage collections, moved to the moments nobody is touching the station.

Measured at a station (bench/step_ui.py, idle machine): a full (generation 2) collection
of the kiosk's heap — Textual, SQLAlchemy, psycopg and every screen kept installed, some
200,000 objects — held the event loop for 170–310 ms, and one landed inside about one step
in five, making the next step after a signature the slowest thing an operator sees. So:
at the station's first idle moment what start-up built is frozen (never scanned again: it
lives as long as the process) and the automatic full collection is made rare; after that
a full collection runs when the station has been idle for a few seconds, at most once a
minute. The kiosk command turns it on (make_app(pace_heap=True)); the tests, which start
hundreds of apps in one process, leave Python's defaults (frozen objects are never freed).
Garbage in the young generations is still collected as it always is; only the long-lived
sweep moves.
"""

from __future__ import annotations

import gc
import time

# a full collection after this many generation-1 collections (CPython's default is 10):
# ~100x rarer, so between idle moments it almost never lands on a tap
FULL_AFTER = 1000
IDLE_BEFORE_S = 3.0  # no key, tap, scan or badge for this long
EVERY_S = 60.0  # at most one idle-time collection a minute


class HeapPacer:
    def __init__(self) -> None:
        self.started = False
        self.collected_at = time.monotonic()
        self.collections = 0

    def start(self) -> None:
        """After start-up: collect once, freeze what is left, make full sweeps rare."""
        gc.collect()
        gc.freeze()
        first, second, _ = gc.get_threshold()
        gc.set_threshold(first, second, FULL_AFTER)
        self.started = True
        self.collected_at = time.monotonic()

    def idle(self, last_activity: float) -> bool:
        """On the station's idle tick: a full collection if nobody has acted for a while.
        Returns whether it collected."""
        now = time.monotonic()
        if now - last_activity < IDLE_BEFORE_S:
            return False
        if not self.started:
            self.start()
            return True
        if now - self.collected_at < EVERY_S:
            return False
        gc.collect()
        self.collected_at = time.monotonic()
        self.collections += 1
        return True
