"""A backend that exists before it is built: the station app draws its sign-in screen while
SQLAlchemy, the domain and the database connection are still being set up.

`run_station` hands the app a `DeferredBackend` and builds the real `KioskBackend` in the
app's first worker. Every backend method is called from a worker thread (screens call it
through `call_backend`), so an early call simply waits until the real backend is there,
or raises the start-up error (e.g. the database is unreachable).
"""

from __future__ import annotations

import threading
from typing import Any

WAIT_S = 60.0


class DeferredBackend:
    def __init__(self) -> None:
        self._ready = threading.Event()
        self._target: Any = None
        self._error: BaseException | None = None

    def ready(self, target: Any) -> None:
        self._target = target
        self._ready.set()

    def failed(self, error: BaseException) -> None:
        self._error = error
        self._ready.set()

    @property
    def target(self) -> Any:
        if not self._ready.wait(WAIT_S):
            from domain.errors import DatabaseUnavailable

            raise DatabaseUnavailable("The station is still connecting to the database.")
        if self._error is not None:
            raise self._error
        return self._target

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in ("session_factory", "settings", "sessions") and not self._ready.is_set():
            # asked on the UI thread by optional wiring (tiles, clock watch): not waited for
            raise AttributeError(name)
        return getattr(self.target, name)
