"""Station clock skew: recorded as a security event beyond the limit, once, not flooded."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from domain.services.clock_skew import report_skew
from kiosk.clock_watch import ClockSkewWatch

pytestmark = pytest.mark.pg18

SERVER = dt.datetime(2026, 11, 26, 7, 0, tzinfo=dt.UTC)


def _skew_events(session_factory) -> list[str]:
    with session_factory() as session:
        rows = session.execute(
            text("SELECT detail FROM workcell.security_event WHERE kind = 'clock_skew' ORDER BY id")
        )
        return [r[0] for r in rows]


def test_skew_within_the_limit_records_nothing(session_factory):
    """A station a few seconds off is normal drift: no event."""
    before = len(_skew_events(session_factory))
    assert report_skew(session_factory, 4.9, limit_s=5) is False
    assert len(_skew_events(session_factory)) == before


def test_skew_beyond_the_limit_is_a_security_event_once(session_factory):
    """A station 95 s ahead is recorded, once, in the database's words (it names the
    station login and measures against its own clock); the same skew again adds nothing."""
    before = len(_skew_events(session_factory))
    watch = ClockSkewWatch(
        session_factory, 5.0, local_now=lambda: SERVER + dt.timedelta(seconds=95)
    )
    assert watch.check(lambda: SERVER) == 95.0
    assert watch.check(lambda: SERVER) == 95.0
    events = _skew_events(session_factory)
    assert len(events) == before + 1
    assert events[-1] == "station station_pytest clock is 95.0 s ahead of the server's"


def test_skew_growing_further_is_recorded_again(session_factory):
    """A clock that keeps drifting (by more than the limit) is reported again."""
    before = len(_skew_events(session_factory))
    offset = [-30.0]
    watch = ClockSkewWatch(
        session_factory, 5.0, local_now=lambda: SERVER + dt.timedelta(seconds=offset[0])
    )
    watch.check(lambda: SERVER)
    offset[0] = -60.0
    watch.check(lambda: SERVER)
    events = _skew_events(session_factory)
    assert len(events) == before + 2 and "behind" in events[-1]
