"""The station's Textual app: composition of settings, backend, hardware and screens.

`make_app(...)` is the factory the CLI, the tests and the benchmark use. The shift logic
(sign-in, idle lock, another person taking over, drafts) lives in `kiosk/shift.py`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from textual import events
from textual.app import App
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.theme import Theme

from domain.errors import DatabaseUnavailable, WorkCellError
from hardware.protocols import CardReader
from hardware.wedge import Wedge
from kiosk.bridge import HardwareBridge, wedge_config
from kiosk.clock import Clock, ServerClock
from kiosk.heap import HeapPacer
from kiosk.settings import StationSettings
from kiosk.shift import Shift
from screens import messages
from screens.backend import DraftsBackend, ItemsBackend, SessionBackend, SignedInUser
from screens.base import call_backend
from screens.contracts import takes_badges, takes_scans
from screens.home import Tile
from screens.modals.confirm import ConfirmModal

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from kiosk.clock_watch import ClockSkewWatch
    from kiosk.sealer import Sealer, SealerStatus
    from kiosk.tiles import Restorer

log = logging.getLogger(__name__)

CONTRAST = Theme(
    name="workcell-contrast",
    primary="#1F6FEB",
    secondary="#3D8BFF",
    accent="#FFD400",
    warning="#FFB000",
    error="#E5262B",
    success="#1E9E4A",
    foreground="#FFFFFF",
    background="#000000",
    surface="#1C1C1C",
    panel="#2B2B2B",
    dark=True,
)
CLOCK_SYNC_S = 300.0
SEALER_FAILURES_SHOWN = 3


@dataclass
class SealerReported(Message):
    ok: bool
    failures: int
    text: str


class StationBackend(SessionBackend, DraftsBackend, ItemsBackend, Protocol):
    """Everything this app's own screens need; later areas add protocols of their own."""


class WorkCellApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "WorkCell"
    ENABLE_COMMAND_PALETTE = False
    # A touch terminal (50 rows and more) gets bigger keys and tiles than 80x24 over SSH.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (40, "-tall")]

    problem: reactive[str] = reactive("")
    current_user: reactive[SignedInUser | None] = reactive(None)

    def __init__(
        self,
        settings: StationSettings,
        backend: StationBackend,
        *,
        reader: CardReader | None = None,
        wedge: Wedge | None = None,
        clock: Clock | None = None,
        tiles: Sequence[Tile] | None = None,
        restorers: dict[str, Restorer] | None = None,
    ) -> None:
        super().__init__()
        # Before the first screen mounts: switching themes later restyles every widget.
        self.register_theme(CONTRAST)
        self.theme = CONTRAST.name
        self.settings = settings
        self.backend = backend
        self.session_backend: SessionBackend = backend
        self.station_name = settings.name
        self.station_place = f"{settings.site}/{settings.zone}"
        self.tz = ZoneInfo(settings.timezone)
        self.allow_username_pin = settings.allow_username_pin
        self.server_clock = ServerClock() if clock is None else None
        self._clock_watch: ClockSkewWatch | None = None  # built in the first clock worker
        self._clock: Clock = clock or self.server_clock  # type: ignore[assignment]
        # Built at first use (after a sign-in): composing them imports every area's screens
        # and backends, which the sign-in screen does not need (start-up time).
        self._tiles = list(tiles) if tiles is not None else None
        self._restorers = restorers
        self.bridge = HardwareBridge(self, reader, wedge)
        self.shift = Shift(self)
        self.last_activity = time.monotonic()
        self.heap: HeapPacer | None = None  # make_app(pace_heap=True): kiosk/heap.py
        self._db_problem = ""
        self._reader_problem = ""
        self._sealer_problem = ""
        self.sealer: Sealer | None = None
        # Checks that need the database (the station login, the session policy) run in a
        # worker once the sign-in screen shows (start-up time); a refusal closes the app
        # and is kept here for the command line to report.
        self.startup_check: Callable[[], StationSettings] | None = None
        self.startup_error: WorkCellError | None = None
        self.started = False  # the start-up check passed (or there is none)

    @property
    def clock_watch(self) -> ClockSkewWatch:
        if self._clock_watch is None:
            from kiosk.clock_watch import ClockSkewWatch

            factory = getattr(self.backend, "session_factory", None)
            self._clock_watch = ClockSkewWatch(factory)
        return self._clock_watch

    def attach_sealer(self, engine: Engine) -> None:
        """Start the audit sealer on ``engine`` (UI thread; after a deferred start-up)."""
        from kiosk.sealer import Sealer

        if self.sealer is None:
            self.sealer = Sealer(engine, self.settings, self.sealer_reported)
            self.sealer.start()

    @property
    def tiles(self) -> list[Tile]:
        if self._tiles is None:
            from kiosk.tiles import build_tiles

            self._tiles = list(build_tiles(self.backend))
        return self._tiles

    @property
    def restorers(self) -> dict[str, Restorer]:
        if self._restorers is None:
            from kiosk.tiles import build_restorers

            self._restorers = build_restorers(self.backend)
        return self._restorers

    # -- StationApp ------------------------------------------------------------------------

    def now(self) -> Any:
        return self._clock()

    def report_problem(self, error: WorkCellError) -> None:
        if isinstance(error, DatabaseUnavailable):
            self._db_problem = f"⚠ {error.title}: {error.message}"
            self._show_problems()
        else:
            self.notify(error.message, title=error.title, severity="error", timeout=8)

    def clear_problem(self) -> None:
        if self._db_problem:
            self._db_problem = ""
            self._show_problems()

    def _show_problems(self) -> None:
        problems = (self._db_problem, self._reader_problem, self._sealer_problem)
        self.problem = "\n".join(p for p in problems if p)

    def lock(self) -> None:
        self.shift.lock()

    def request_sign_out(self) -> None:
        self.shift.request_sign_out()

    async def action_quit(self) -> None:
        """Ctrl+Q asks first: closing the station app ends everyone's session on it."""
        if isinstance(self.screen, ConfirmModal):
            return
        text = "Whoever is signed in is signed out; unsaved input is lost."
        self.push_screen(
            ConfirmModal("Close WorkCell on this station?", text, confirm="Close", cancel="Stay"),
            lambda yes: self.exit() if yes else None,
        )

    def signed_in(self, user: SignedInUser) -> None:
        if not self.started:  # nobody works before the station login has been checked
            backend = self.session_backend
            call_backend(self, lambda: backend.sign_out(user.username, "start-up not finished"),
                         lambda _: None, group="early-sign-out")  # fmt: skip
            self.notify("The station is still starting. Sign in again in a moment.")
            return
        self.shift.signed_in(user)

    # -- lifecycle -------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.bridge.start()
        if self.sealer is not None:
            self.sealer.start()
        self.shift.start()
        self.started = self.startup_check is None
        if self.startup_check is not None:
            call_backend(
                self, self.startup_check, self._checked, failed=self._refused, group="startup"
            )
        tick = min(1.0, max(0.1, self.settings.idle_timeout_s / 4))
        self.set_interval(tick, self._idle_tick)
        if self.server_clock is not None:
            self._sync_clock()
            self.set_interval(CLOCK_SYNC_S, self._sync_clock)

    def _idle_tick(self) -> None:
        self.shift.check_idle()
        if self.heap is not None:
            self.heap.idle(self.last_activity)

    def _checked(self, settings: StationSettings) -> None:
        self.settings = settings
        self.started = True

    def _refused(self, error: WorkCellError) -> None:
        self.startup_error = error
        self.exit(return_code=1)

    def _sync_clock(self) -> None:
        clock = self.server_clock
        if clock is not None:

            def sync() -> None:
                clock.sync(self.backend.server_time)
                self.clock_watch.check(clock)  # a skewed station becomes a security event

            call_backend(self, sync, lambda _: None, group="clock")

    def on_unmount(self) -> None:
        self.bridge.stop()
        if self.sealer is not None:
            self.sealer.stop()

    def sealer_reported(self, status: SealerStatus) -> None:
        """Called on the sealer's thread: post, never touch widgets here."""
        self.post_message(SealerReported(status.ok, status.failures, status.message))

    def on_sealer_reported(self, message: SealerReported) -> None:
        # One failed pass is noise (a restart, a lock); a run of them needs someone.
        failing = not message.ok and message.failures >= SEALER_FAILURES_SHOWN
        self._sealer_problem = f"⚠ {message.text}" if failing else ""
        self._show_problems()

    # -- input: activity, keyboard wedge -----------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)) and not event.is_forwarded:
            self.last_activity = time.monotonic()
        if isinstance(event, events.Key) and not event.is_forwarded:
            delivered = self.bridge.feed(event)
            if delivered is not None:
                await self._deliver(delivered)
                return
        await super().on_event(event)

    async def _deliver(self, delivered: list[events.Key | Message]) -> None:
        for item in delivered:
            if isinstance(item, events.Key):
                await super().on_event(item)
            else:
                self.post_message(item)
        deadline = self.bridge.next_deadline()
        if deadline is not None:
            self.set_timer(max(0.0, deadline - time.monotonic()) + 0.001, self._poll_wedge)

    async def _poll_wedge(self) -> None:
        await self._deliver(self.bridge.poll())

    # -- hardware messages, routed to the screen on top ------------------------------------

    def on_badge_presented(self, message: messages.BadgePresented) -> None:
        if message.routed:
            return
        self.last_activity = time.monotonic()
        screen = self.screen
        if takes_badges(screen):
            screen.post_message(messages.BadgePresented(message.uid, message.source, True))
        elif self.current_user is not None:
            self.shift.badge_while_signed_in(message.uid)

    def on_barcode_scanned(self, message: messages.BarcodeScanned) -> None:
        if message.routed:
            return
        self.last_activity = time.monotonic()
        screen = self.screen
        if takes_badges(screen) and not takes_scans(screen):
            # Where only a badge makes sense, a framed entry of another shape (a badge id
            # typed by hand, a reader sending 10 hex digits) is tried as one.
            uid = message.data.strip().replace(" ", "").replace(":", "").upper()
            screen.post_message(messages.BadgePresented(uid, message.source, True))
            return
        if not takes_scans(screen):
            self.notify("No scan is expected on this screen.", title="Scan ignored")
            return
        target = screen.focused or screen
        target.post_message(messages.BarcodeScanned(message.data, message.source, True))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification literal: they quote lot numbers, names, scanned data and the
        database's refusals, which are stored text, never markup. ``markup`` is ignored on
        purpose: a screen's or widget's ``notify`` passes ``markup=True`` by default, and
        nothing at the station notifies in markup."""
        del markup
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def on_card_refused(self, message: messages.CardRefused) -> None:
        self.notify(message.message, title="Card refused", severity="error", timeout=8)

    def on_scan_aborted(self, message: messages.ScanAborted) -> None:
        self.notify(f"{message.reason}. Scan again.", title="Scan incomplete", severity="warning")

    def on_reader_status_changed(self, message: messages.ReaderStatusChanged) -> None:
        self._reader_problem = "" if message.available else f"⚠ {message.message}"
        self._show_problems()


def make_app(
    settings: StationSettings,
    backend: StationBackend,
    *,
    reader: CardReader | None = None,
    clock: Clock | None = None,
    wedge: Wedge | bool | None = True,
    sealer_engine: Engine | None = None,
    pace_heap: bool = False,
) -> WorkCellApp:
    """The station app. ``wedge=True`` builds the decoder from the station's [scanner];
    with ``sealer_engine`` the app runs the background audit sealer (kiosk/sealer.py);
    ``pace_heap`` moves full garbage collections to idle moments (kiosk/heap.py)."""
    decoder = Wedge(wedge_config(settings.scanner)) if wedge is True else (wedge or None)
    app = WorkCellApp(settings, backend, reader=reader, wedge=decoder, clock=clock)
    if pace_heap:
        app.heap = HeapPacer()
    if sealer_engine is not None:
        from kiosk.sealer import Sealer

        app.sealer = Sealer(sealer_engine, settings, app.sealer_reported)
    return app
