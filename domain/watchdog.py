"""The station watchdog and the sealing alarm (migration 0010; docs/admin.md#station-limits).

``end_stuck_transactions`` runs workcell.end_stuck_station_transactions() in a transaction
of its own: every sealer loop calls it before sealing. The database decides everything
(limits from workcell.station_limits, backends from pg_stat_activity and pg_locks) and
records each ended backend as a 'station_transaction_ended' security event.

``sealing_alarm`` reads audit.sealing_alarm(): who holds the sealer's lock now and for how
long, blocked-sealing and watchdog events of the last 24 hours, and whether the watchdog has
the rights it needs. Its ``lines()`` are what the integrity screen and verify print.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, text

_END = text(
    "SELECT backend_pid, login, was, held_s, holding, rule"
    " FROM workcell.end_stuck_station_transactions()"
)
_ALARM = text("SELECT * FROM audit.sealing_alarm()")
_HAS_ALARM = text("SELECT to_regprocedure('audit.sealing_alarm()') IS NOT NULL")


@dataclass(frozen=True)
class EndedBackend:
    """A station backend the watchdog ended."""

    pid: int
    login: str
    state: str
    held_s: int
    holding: str
    rule: str

    def describe(self) -> str:
        return (
            f"ended station {self.login} (pid {self.pid}, {self.state}) after {self.held_s} s: "
            f"{self.rule}; held {self.holding}"
        )


def end_stuck_transactions(engine: Engine) -> list[EndedBackend]:
    """One watchdog pass, committed on its own (its security events must stay)."""
    with engine.connect() as conn, conn.begin():
        rows = conn.execute(_END).all()
    return [EndedBackend(int(r[0]), r[1], r[2] or "", int(r[3]), r[4], r[5]) for r in rows]


@dataclass(frozen=True)
class SealingAlarm:
    holder_pid: int | None
    holder_station: str | None
    held_s: int
    alarm_s: int
    blocked_events: int  # 'sealing_blocked' events in the last 24 h
    last_blocked_at: datetime | None
    last_blocked: str | None
    ended_events: int  # 'station_transaction_ended' events in the last 24 h
    watchdog_ready: bool

    @property
    def blocked_now(self) -> bool:
        return self.holder_pid is not None and self.held_s >= self.alarm_s

    def lines(self) -> list[str]:
        """The alarms, most urgent first; empty when all is well."""
        out = []
        if self.blocked_now:
            out.append(
                f"SEALING BLOCKED: the sealer's lock has been held by {self.holder_station} "
                f"(pid {self.holder_pid}) for {self.held_s} s; the station watchdog ends it "
                "at the time limit."
            )
        if not self.watchdog_ready:
            out.append(
                "The station watchdog cannot run: workcell_owner lacks pg_signal_backend or "
                "pg_read_all_stats (a superuser runs `workcell db init-roles`)."
            )
        if self.blocked_events:
            at = f"{self.last_blocked_at:%Y-%m-%d %H:%M:%S %Z}" if self.last_blocked_at else "?"
            out.append(
                f"Sealing was blocked {self.blocked_events} time(s) in the last 24 h "
                f"(last at {at}: {self.last_blocked})."
            )
        if self.ended_events:
            out.append(
                f"The station watchdog ended {self.ended_events} station transaction(s) in "
                "the last 24 h (security events 'station_transaction_ended')."
            )
        return out


def sealing_alarm(conn: Connection) -> SealingAlarm | None:
    """The alarm state, or None on a database migrated before 0010."""
    if not conn.execute(_HAS_ALARM).scalar():
        return None
    r = conn.execute(_ALARM).one()
    return SealingAlarm(
        r.holder_pid,
        r.holder_station,
        int(r.held_s or 0),
        int(r.alarm_s or 0),
        int(r.blocked_events or 0),
        r.last_blocked_at,
        r.last_blocked,
        int(r.ended_events or 0),
        bool(r.watchdog_ready),
    )
