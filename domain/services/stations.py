"""Registered stations (§11.10(h)): which database login each station uses, where it is,
which sign-in methods it accepts, and whether it is enabled — as the database keeps them.

API (the CLI and the admin screen call these):
  list_stations(uow) -> list[StationView]        (needs security.view)
  set_enabled(uow, name, enabled, reason) -> None (user.administer; never the station itself)
  clear(uow, name, reason) -> None               (after a burst of failures was reviewed)
Registration itself (`workcell station add`) runs on the owner's URL: kiosk/dbadmin.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import TextClause, text

from domain.errors import InvalidInput, translate
from domain.uow import UnitOfWork

_OVERVIEW = text(
    "SELECT name, login_role, site, zone, methods, concurrent_sessions, enabled, open_sessions,"
    " failures, blocked FROM workcell.station_overview()"
)
_ENABLE = text("SELECT workcell.set_station_enabled(:name, :enabled, :reason)")
_CLEAR = text("SELECT workcell.clear_station(:name, :reason)")


@dataclass(frozen=True)
class StationView:
    name: str
    login_role: str
    site: str
    zone: str
    methods: tuple[str, ...]
    concurrent_sessions: bool
    enabled: bool
    open_sessions: int
    failures: int
    blocked: bool

    @property
    def place(self) -> str:
        return "/".join(p for p in (self.site, self.zone) if p) or "-"


def list_stations(uow: UnitOfWork) -> list[StationView]:
    try:
        rows = uow.session.execute(_OVERVIEW).all()
    except Exception as exc:
        raise (translate(exc) or exc) from exc
    return [_view(r) for r in rows]


def _view(r: Any) -> StationView:
    return StationView(
        r.name, r.login_role, r.site, r.zone, tuple(r.methods), r.concurrent_sessions,
        r.enabled, int(r.open_sessions), int(r.failures), bool(r.blocked),
    )  # fmt: skip


def set_enabled(uow: UnitOfWork, name: str, enabled: bool, reason: str) -> None:
    """Enable or disable a station; disabling ends its sessions at once."""
    _call(uow, _ENABLE, name=name, enabled=enabled, reason=_reason(reason))


def clear(uow: UnitOfWork, name: str, reason: str) -> None:
    """Start a station's failed-attempt count again (its challenges are accepted again)."""
    _call(uow, _CLEAR, name=name, reason=_reason(reason))


def _reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidInput("Give the reason (e.g. 'reviewed with the line supervisor').")
    return reason.strip()


def _call(uow: UnitOfWork, sql: TextClause, **params: object) -> None:
    try:
        uow.session.execute(sql, params)
    except Exception as exc:
        raise (translate(exc) or exc) from exc
