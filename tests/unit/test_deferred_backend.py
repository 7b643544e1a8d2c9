"""The deferred backend (kiosk/deferred.py): the app draws before the real backend exists."""

from __future__ import annotations

import threading

import pytest

from domain.errors import DatabaseUnavailable
from kiosk.deferred import DeferredBackend


class _Real:
    session_factory = "factory"

    def server_time(self) -> str:
        return "now"


def test_a_call_waits_for_the_real_backend() -> None:
    """A worker asking early gets the real backend's answer once it is there."""
    deferred = DeferredBackend()
    answers: list[str] = []
    worker = threading.Thread(target=lambda: answers.append(deferred.server_time()))
    worker.start()
    deferred.ready(_Real())
    worker.join(5)
    assert answers == ["now"]


def test_optional_wiring_is_not_waited_for_before_ready() -> None:
    """getattr(backend, "session_factory", None) on the UI thread never blocks."""
    deferred = DeferredBackend()
    assert getattr(deferred, "session_factory", None) is None
    deferred.ready(_Real())
    assert deferred.session_factory == "factory"


def test_a_failed_start_is_raised_to_every_caller() -> None:
    """If the start-up failed (database unreachable), calls raise that error."""
    deferred = DeferredBackend()
    deferred.failed(DatabaseUnavailable("gone"))
    with pytest.raises(DatabaseUnavailable):
        deferred.server_time()
