"""Background sealer: chains committed audit entries every few seconds and anchors the head.

Before each seal it runs the station watchdog (domain/watchdog.py, in a transaction of its
own): station transactions holding a transaction id or a lock past the limit are ended, so
one stuck or hostile station cannot stop sealing or every other station. The sealer never
waits for the sealer's lock: when another session holds it, the status says "sealing
blocked" and who holds it, and the next pass tries again.

After each seal it has the database reconcile the rollback-proof failure counters
(workcell.reconcile_counters, in a transaction of its own): failed PIN attempts a station
rolled back instead of recording become security events, and a person over the limit is
locked.

The kiosk app starts one per station (``Sealer(engine, settings, on_status).start()``).
It never raises into the app: when the database is away it reports the failure through the
callback and retries with back-off. Several stations sealing at once is safe (the database
function takes an advisory lock, tried, never waited for); each appends every head it sees
to its own anchor file.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, text

from domain.audit.anchors import append_anchor, last_anchor
from domain.audit.seal import SealResult, seal
from domain.errors import translate
from domain.watchdog import end_stuck_transactions
from kiosk.settings import StationSettings

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 30.0
# Minimum time between two anchors written by the background sealer. Entries sealed since
# the last anchor are protected by the chain but not yet by an anchor (docs/audit.md).
ANCHOR_INTERVAL_S = 10.0
_RECONCILE = text("SELECT workcell.reconcile_counters()")


def reconcile_counters(engine: Engine) -> int:
    """One reconciliation pass, committed on its own; returns the security events raised."""
    with engine.connect() as conn, conn.begin():
        return int(conn.execute(_RECONCILE).scalar() or 0)


@dataclass(frozen=True)
class SealerStatus:
    ok: bool
    message: str
    at: datetime | None = None
    head_position: int | None = None
    sealed: int = 0
    failures: int = 0  # consecutive failed runs
    blocked: bool = False  # another session held the sealer's lock: nothing sealed, no wait


StatusCallback = Callable[[SealerStatus], None]


class Sealer:
    """A daemon thread calling audit.seal() every ``settings.seal_interval_s`` seconds."""

    def __init__(
        self,
        engine: Engine,
        settings: StationSettings,
        on_status: StatusCallback | None = None,
        *,
        anchor_file: Path | None = None,
        anchor_interval_s: float = ANCHOR_INTERVAL_S,
    ) -> None:
        self._engine = engine
        self._interval = max(0.05, float(settings.seal_interval_s))
        self._anchor_file = anchor_file or settings.anchor_file
        self._station = settings.name
        self._on_status = on_status or (lambda status: None)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failures = 0
        anchor = last_anchor(self._anchor_file)
        self._anchored = (anchor.position, anchor.chain_hash) if anchor else None
        self._anchor_interval = anchor_interval_s
        self._anchored_at = 0.0  # monotonic time of the last anchor written
        self.last_status: SealerStatus | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run_once(self) -> SealerStatus:
        """One pass: watchdog, seal, anchor a new head, reconcile the counters, report.
        Never raises."""
        watchdog = self._watchdog()
        step = "Audit sealing"
        try:
            result = seal(self._engine)
            if result.blocked is not None:
                status = SealerStatus(
                    False, result.blocked.describe() + watchdog, result.at, blocked=True
                )
                log.warning("%s", status.message)
                self.last_status = status
                self._report(status)
                return status
            self._anchor(result)
            step = "Failed-attempt reconciliation"
            reconcile_counters(self._engine)
        except Exception as exc:  # the sealer must outlive any failure; it reports and retries
            self._failures += 1
            friendly = translate(exc)
            message = friendly.message if friendly else f"{type(exc).__name__}: {exc}"
            log.warning("%s failed (%d in a row): %s", step, self._failures, message)
            status = SealerStatus(False, f"{step} failed: {message}", failures=self._failures)
        else:
            self._failures = 0
            status = SealerStatus(
                True,
                f"Audit trail sealed to position {result.head_position}{watchdog}",
                result.at,
                result.head_position,
                result.sealed,
            )
        self.last_status = status
        self._report(status)
        return status

    def _watchdog(self) -> str:
        """Run the station watchdog; what it did (or why it could not), for the status."""
        try:
            ended = end_stuck_transactions(self._engine)
        except Exception as exc:  # sealing goes on without it; the status says why
            friendly = translate(exc)
            message = friendly.message if friendly else f"{type(exc).__name__}: {exc}"
            log.warning("station watchdog failed: %s", message)
            return f" (station watchdog not running: {message})"
        for backend in ended:
            log.warning("station watchdog %s", backend.describe())
        if not ended:
            return ""
        return f" (station watchdog ended {len(ended)} stuck station transaction(s))"

    def _anchor(self, result: SealResult) -> None:
        head = (result.head_position, result.head_hash)
        if result.head_position == 0 or head == self._anchored:
            return
        if time.monotonic() - self._anchored_at < self._anchor_interval:
            return  # a busy line moves the head every second: keep the file to ~1 MB a day
        append_anchor(
            self._anchor_file, *head, result.at, self._station, result.installation, result.epoch
        )
        self._anchored = head
        self._anchored_at = time.monotonic()

    def _report(self, status: SealerStatus) -> None:
        try:
            self._on_status(status)
        except Exception:  # a broken status display must not stop sealing
            log.exception("sealer status callback failed")

    def _run(self) -> None:
        while not self._stop.is_set():
            status = self.run_once()
            delay = self._interval
            if not status.ok:
                delay = min(MAX_BACKOFF_S, self._interval * 2 ** min(self._failures, 6))
            self._stop.wait(delay)
