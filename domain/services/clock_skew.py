"""Station clock skew as a security event.

API: ``skew_seconds(station_now, server_now) -> float`` (positive: the station is ahead);
``report_skew(session_factory, skew_s, limit_s) -> bool`` asks the database to record a
'clock_skew' event (workcell.report_clock_skew, in its own transaction; the database
measures the skew against its own clock and attributes the event to 'system') when the
skew exceeds the limit.

Records are never stamped with a station's time; the event is for the people who look
after the stations (the kiosk shows server time, so a skewed station misleads nobody once
it has synced, but a drifting clock is a sign of an unmanaged machine).
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import translate

DEFAULT_LIMIT_S = 5.0

# The station's time is its view of "now": the server's clock plus the measured skew.
_REPORT = text(
    "SELECT workcell.report_clock_skew(clock_timestamp() + make_interval(secs => :skew), :limit)"
)


def skew_seconds(station_now: dt.datetime, server_now: dt.datetime) -> float:
    return (station_now - server_now).total_seconds()


def report_skew(
    session_factory: sessionmaker[Session], skew_s: float, limit_s: float = DEFAULT_LIMIT_S
) -> bool:
    """Record the skew if it is beyond the limit. Returns whether an event was recorded."""
    if abs(skew_s) <= limit_s:
        return False
    with session_factory() as session:
        try:
            recorded = session.scalar(_REPORT, {"skew": skew_s, "limit": math.ceil(limit_s)})
            session.commit()
        except Exception as exc:
            raise (translate(exc) or exc) from exc
    return bool(recorded)
