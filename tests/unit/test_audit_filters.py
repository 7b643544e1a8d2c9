"""Audit browser filter rules: typed times are site time; the filter reads back in words."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from domain.audit.query import AuditFilter
from screens.audit.filters import describe, parse_local

BERLIN = ZoneInfo("Europe/Berlin")


def test_a_typed_time_is_read_in_the_site_time_zone():
    """ "2026-11-26 08:00" at a Berlin site is 07:00 UTC, not 08:00 UTC."""
    moment = parse_local("2026-11-26 08:00", BERLIN)
    assert moment is not None
    assert moment.astimezone(dt.UTC) == dt.datetime(2026, 11, 26, 7, 0, tzinfo=dt.UTC)


def test_an_explicit_offset_wins_over_the_site_zone():
    """A time typed with its own offset keeps it."""
    moment = parse_local("2026-11-26T08:00+00:00", BERLIN)
    assert moment == dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)


def test_empty_means_no_bound_and_nonsense_is_refused_with_an_example():
    """Blank is no limit; anything else that is not a time names the format to use."""
    assert parse_local("  ", BERLIN) is None
    with pytest.raises(ValueError, match="2026-11-26 08:00"):
        parse_local("yesterday", BERLIN)


def test_the_filter_is_described_in_words_in_site_time():
    """The summary line names every criterion, times in the site's zone."""
    since = dt.datetime(2026, 11, 26, 7, 0, tzinfo=dt.UTC)
    flt = AuditFilter(table="item", record="42", user="erin", since=since, text="rev C")
    assert (
        describe(flt, BERLIN) == "table=item record=42 user=erin text=rev C from 2026-11-26 08:00"
    )
    assert describe(AuditFilter(), BERLIN) == "everything"
