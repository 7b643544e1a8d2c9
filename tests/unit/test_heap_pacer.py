"""kiosk/heap.py: full collections only when the station is idle, at most once a minute."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator

import pytest

from kiosk.heap import EVERY_S, FULL_AFTER, IDLE_BEFORE_S, HeapPacer


@pytest.fixture
def pacer() -> Iterator[HeapPacer]:
    threshold = gc.get_threshold()
    try:
        yield HeapPacer()
    finally:  # this process runs many apps: give back what was frozen, and the defaults
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_nothing_happens_while_someone_is_working(pacer: HeapPacer) -> None:
    before = gc.get_threshold()
    assert not pacer.idle(time.monotonic())
    assert not pacer.started
    assert gc.get_threshold() == before


def test_the_first_idle_moment_freezes_start_up_and_makes_full_sweeps_rare(
    pacer: HeapPacer,
) -> None:
    assert pacer.idle(time.monotonic() - IDLE_BEFORE_S - 1)
    assert pacer.started
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[2] == FULL_AFTER


def test_a_full_collection_when_idle_at_most_once_a_minute(pacer: HeapPacer) -> None:
    idle_since = time.monotonic() - IDLE_BEFORE_S - 1
    pacer.idle(idle_since)  # starts
    assert not pacer.idle(idle_since)  # collected just now
    pacer.collected_at -= EVERY_S + 1
    assert pacer.idle(idle_since)
    assert pacer.collections == 1
    assert not pacer.idle(time.monotonic())  # someone touched the screen
