"""What every screen may ask of the station app, without importing the kiosk.

The app in `kiosk/app.py` implements `StationApp`; screens reach it with `station_of(self)`.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, cast
from zoneinfo import ZoneInfo

from textual.dom import DOMNode

from domain.errors import WorkCellError
from screens.backend import SessionBackend, SignedInUser


class StationApp(Protocol):
    station_name: str
    station_place: str
    tz: ZoneInfo
    allow_username_pin: bool
    session_backend: SessionBackend
    problem: str  # reactive on the app: the banner text, "" when all is well

    @property
    def current_user(self) -> SignedInUser | None: ...

    def now(self) -> dt.datetime:
        """Server time (never the station's own clock), as an aware datetime."""
        ...

    def report_problem(self, error: WorkCellError) -> None:
        """Banner for an unreachable database, a large notification for anything else."""
        ...

    def clear_problem(self) -> None: ...

    def lock(self) -> None: ...

    def request_sign_out(self) -> None: ...

    def signed_in(self, user: SignedInUser) -> None: ...


def station_of(node: DOMNode) -> StationApp:
    return cast(StationApp, node.app)


def fmt_time(moment: dt.datetime, tz: ZoneInfo, *, seconds: bool = False) -> str:
    """Local date and time with the zone abbreviation: 2026-11-26 07:30 CET."""
    local = moment.astimezone(tz)
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")
