"""The fakes screen tests rely on behave like the real adapters."""

from __future__ import annotations

import threading

import pytest

from hardware.events import BadgePresented, CardRefused, CardRemoved, ReaderStatus
from hardware.fakes import FAKE_READER, FakeCardReader
from hardware.protocols import CardReader


def test_fakes_and_real_adapters_satisfy_the_protocols():
    """FakeCardReader is a CardReader (runtime-checkable)."""
    assert isinstance(FakeCardReader(), CardReader)


def test_fake_reader_posts_from_its_own_thread_in_order():
    """Like PcscReader, the fake calls the sink from another thread, in order."""
    seen: list[tuple[object, str]] = []
    reader = FakeCardReader()
    reader.start(lambda e: seen.append((e, threading.current_thread().name)))
    reader.tap("04a1b2c3")
    reader.tap("0A0B0C0D")  # a second card: the first one leaves first
    reader.tap_unreadable()
    reader.unplug()
    reader.wait_idle()
    reader.stop()
    assert [e for e, _ in seen] == [
        ReaderStatus(FAKE_READER, True, "Card reader ready"),
        BadgePresented("04A1B2C3", FAKE_READER),
        CardRemoved(FAKE_READER),
        BadgePresented("0A0B0C0D", FAKE_READER),
        CardRemoved(FAKE_READER),
        CardRefused(FAKE_READER, "This card has no readable serial number."),
        ReaderStatus(FAKE_READER, False, "Card reader disconnected"),
    ]
    assert {name for _, name in seen} == {"fake-reader"}
    assert reader.posted == [e for e, _ in seen]
    assert not reader.running


def test_fake_reader_synchronous_mode_and_remove_without_card():
    """threaded=False delivers at once; remove() with no card posts nothing."""
    seen: list[object] = []
    reader = FakeCardReader(threaded=False)
    reader.start(seen.append)
    reader.remove()
    reader.tap("CAFE0001")
    assert seen[-1] == BadgePresented("CAFE0001", FAKE_READER)
    assert len(seen) == 2


def test_fake_reader_refuses_taps_before_start():
    """A tap before start() is a test bug and says so."""
    with pytest.raises(RuntimeError, match="start"):
        FakeCardReader(threaded=False).tap("01020304")
