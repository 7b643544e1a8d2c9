"""Shared behaviour of the signed-in screens: chrome, back/lock/sign-out, backend calls.

Every backend call may block (database, argon2), so it runs in a thread worker and its
result or error comes back on the event loop via ``call_from_thread``; widgets are only
touched there. Errors never show as a traceback: a `WorkCellError` is reported by the
station (banner for an unreachable database), anything else is logged and shown as one
plain sentence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.dom import DOMNode
from textual.screen import Screen
from textual.worker import NoActiveWorker, get_current_worker

from domain.errors import DatabaseUnavailable, WorkCellError, translate
from screens.contracts import unsaved_input
from screens.modals.confirm import discard_or_stay
from screens.station import station_of
from screens.widgets import NavBar, StationHeader

log = logging.getLogger(__name__)
T = TypeVar("T")


class UnexpectedError(WorkCellError):
    title = "Something went wrong"


def as_workcell_error(exc: BaseException) -> WorkCellError:
    """The operator-facing form of any exception (the full one goes to the log)."""
    translated = translate(exc)
    if translated is not None:
        return translated
    log.exception("unexpected error in a kiosk worker", exc_info=exc)
    return UnexpectedError("The action failed and was logged. Try again, or call IT.")


def call_backend(
    node: DOMNode,
    call: Callable[[], T],
    done: Callable[[T], object],
    *,
    failed: Callable[[WorkCellError], None] | None = None,
    group: str = "backend",
) -> None:
    """Run ``call`` in an exclusive thread worker; ``done``/``failed`` run on the UI thread.

    A result is dropped when its worker was cancelled (a newer call of the same group
    replaced it: a slow look-up never lands over a fresh one) or when the node that asked
    is no longer mounted (its screen has gone)."""
    station = station_of(node)
    app = node.app

    def task() -> None:
        try:
            result = call()
        except Exception as exc:
            error = as_workcell_error(exc)
            if not _stale():
                app.call_from_thread(_report, error)
            return
        if not _stale():
            app.call_from_thread(_done, result)

    def _report(error: WorkCellError) -> None:
        # An unreachable database is the station's banner; other refusals belong to the
        # screen that asked, when it says how to show them.
        if failed is None or isinstance(error, DatabaseUnavailable):
            station.report_problem(error)
        if failed is not None and node.is_attached:
            failed(error)

    def _done(result: T) -> None:
        station.clear_problem()
        if node.is_attached:
            done(result)

    node.run_worker(task, thread=True, exclusive=True, group=group, exit_on_error=False)


def _stale() -> bool:
    """In a worker thread: whether its worker was cancelled meanwhile."""
    try:
        return get_current_worker().is_cancelled
    except NoActiveWorker:
        return False


class StationScreen(Screen[Any]):
    """A signed-in screen: status bar and banner on top, navigation bar at the bottom."""

    TITLE_TEXT = ""
    BACK = True
    # Back/Escape asks before unsaved input goes; False where it is only a search
    ASK_BEFORE_DISCARD = True

    def compose(self) -> ComposeResult:
        yield StationHeader()
        yield from self.compose_body()
        # Docked at the bottom; composed last so Tab reaches the screen's own controls first.
        yield NavBar(self.TITLE_TEXT, back=self.BACK)

    def compose_body(self) -> ComposeResult:
        yield from ()

    def reopened(self) -> None:
        """Shown again from a home tile (a kept main screen, screens/home.py): refresh what
        may have changed since it was last shown. The default shows it as it was."""

    @on(NavBar.Chosen)
    def _navigate(self, event: NavBar.Chosen) -> None:
        station = station_of(self)
        if event.action == "back":
            self.go_back()
        elif event.action == "lock":
            station.lock()
        elif event.action == "sign-out":
            station.request_sign_out()

    def go_back(self) -> None:
        """Back (and Escape); a screen holding unsaved input (`screens.contracts.HoldsInput`)
        asks before it is lost."""
        if self.BACK:
            ask = self.ASK_BEFORE_DISCARD and unsaved_input(self) is not None
            discard_or_stay(self, ask)

    def key_escape(self) -> None:
        self.go_back()
