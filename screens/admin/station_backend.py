"""What the stations screen receives and asks (kiosk/station_backend.py implements it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class StationRow:
    name: str
    place: str
    methods: tuple[str, ...]
    concurrent_sessions: bool
    enabled: bool
    open_sessions: int
    failures: int
    blocked: bool


class StationsBackend(Protocol):
    def stations(self, actor: str) -> list[StationRow]: ...

    def set_station_enabled(self, actor: str, name: str, enabled: bool, reason: str) -> None: ...

    def clear_station(self, actor: str, name: str, reason: str) -> None: ...
