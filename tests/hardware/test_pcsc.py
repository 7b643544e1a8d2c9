"""PcscReader against the real PC/SC stack: our pcscd, vpcd virtual readers, virtual cards."""

from __future__ import annotations

import time

import pytest

from hardware.events import BadgePresented, CardRefused, CardRemoved, ReaderStatus
from hardware.pcsc import NO_READER_MESSAGE, NO_SERVICE_MESSAGE, UNREADABLE, PcscReader
from tests.pcsc_fixtures import PCSC_MARKS, READER, EventRecorder

pytestmark = PCSC_MARKS


def _badge(uid: str):
    return lambda e: isinstance(e, BadgePresented) and e.uid == uid


def _service(available: bool):
    return lambda e: isinstance(e, ReaderStatus) and e.reader is None and e.available is available


def test_tap_reports_uid_from_get_data(pcsc_events, virtual_card):
    """A card laid on the reader is reported with its GET DATA UID serial, within 2 s."""
    pcsc_events.wait_for(_service(True))
    start = time.monotonic()
    card = virtual_card("04A1B2C3D4E5F6")
    event = pcsc_events.wait_for(_badge("04A1B2C3D4E5F6"), timeout=2.0)
    assert event == BadgePresented(uid="04A1B2C3D4E5F6", source=READER)
    assert time.monotonic() - start < 2.0
    assert bytes.fromhex("FFCA000000") in card.apdus


def test_removal_is_reported(pcsc_events, virtual_card):
    """Taking the card away posts CardRemoved for that reader."""
    card = virtual_card("11223344")
    pcsc_events.wait_for(_badge("11223344"))
    mark = pcsc_events.mark()
    card.remove()
    assert pcsc_events.wait_for(lambda e: isinstance(e, CardRemoved), start=mark) == CardRemoved(
        READER
    )


def test_card_without_uid_is_refused_never_identified_by_atr(pcsc_events, virtual_card):
    """A card answering 6A81 to GET DATA UID is refused; no badge event from its ATR."""
    pcsc_events.wait_for(_service(True))
    virtual_card(None)
    refused = pcsc_events.wait_for(lambda e: isinstance(e, CardRefused))
    assert refused == CardRefused(READER, UNREADABLE)
    time.sleep(0.3)
    assert not [e for e in pcsc_events.events if isinstance(e, BadgePresented)]


def test_card_swap_reports_removal_then_new_card(pcsc_events, virtual_card):
    """One card leaves and another arrives: removal first, then the new serial."""
    first = virtual_card("A1A2A3A4")
    pcsc_events.wait_for(_badge("A1A2A3A4"))
    first.remove()
    pcsc_events.wait_for(lambda e: isinstance(e, CardRemoved))
    virtual_card("B1B2B3B4")
    pcsc_events.wait_for(_badge("B1B2B3B4"))
    kinds = [type(e).__name__ for e in pcsc_events.events if not isinstance(e, ReaderStatus)]
    assert kinds == ["BadgePresented", "CardRemoved", "BadgePresented"]


def test_card_already_on_reader_at_start_is_reported(pcscd, virtual_card):
    """A badge lying on the reader when monitoring starts counts as a tap."""
    virtual_card("0A0B0C0D")
    time.sleep(0.8)  # let pcscd notice the card first
    recorder = EventRecorder()
    reader = PcscReader(READER)
    reader.start(recorder)
    try:
        recorder.wait_for(_badge("0A0B0C0D"))
    finally:
        reader.stop()
    assert not reader.running


def test_pcscd_killed_and_restarted_recovers(owned_pcscd, pcsc_events, virtual_card):
    """kill -9 of pcscd shows 'service not running'; after restart a tap works again."""
    pcsc_events.wait_for(_service(True))
    mark = pcsc_events.mark()
    owned_pcscd.kill9()
    down = pcsc_events.wait_for(_service(False), start=mark)
    assert down.message == NO_SERVICE_MESSAGE
    owned_pcscd.start()  # cleans the stale pid/socket files the crash left
    pcsc_events.wait_for(_service(True), start=mark, timeout=5)
    virtual_card("CAFEBABE")
    pcsc_events.wait_for(_badge("CAFEBABE"), start=mark)


def test_pcscd_missing_at_start_then_started(owned_pcscd):
    """Monitoring starts without pcscd: a status message, no crash; it connects later."""
    owned_pcscd.stop()
    recorder = EventRecorder()
    reader = PcscReader(READER, retry_interval=0.1)
    reader.start(recorder)
    try:
        assert recorder.wait_for(_service(False)).message == NO_SERVICE_MESSAGE
        assert reader.running
        owned_pcscd.start()
        recorder.wait_for(_service(True), timeout=5)
        recorder.wait_for(lambda e: isinstance(e, ReaderStatus) and e.reader == READER)
    finally:
        reader.stop()


def test_no_readers_gives_a_status_not_a_crash(owned_pcscd):
    """pcscd without any reader: 'no badge reader' status; the monitor keeps running."""
    owned_pcscd.restart(readers=False)
    recorder = EventRecorder()
    reader = PcscReader(READER, retry_interval=0.1)
    reader.start(recorder)
    try:
        assert recorder.wait_for(_service(False)).message == NO_READER_MESSAGE
        time.sleep(0.3)
        assert reader.running
        mark = recorder.mark()
        owned_pcscd.restart(readers=True)  # readers come back with the service
        recorder.wait_for(_service(True), start=mark, timeout=5)
    finally:
        reader.stop()


def test_stop_is_prompt_and_silent(pcscd, virtual_card):
    """stop() returns quickly (SCardCancel) and nothing is posted after it."""
    recorder = EventRecorder()
    reader = PcscReader(READER, wait_timeout_ms=10_000)
    reader.start(recorder)
    recorder.wait_for(_service(True))
    time.sleep(0.2)  # the monitor is now inside a 10 s SCardGetStatusChange
    start = time.monotonic()
    reader.stop()
    assert time.monotonic() - start < 1.5
    mark = recorder.mark()
    virtual_card("01020304")
    time.sleep(0.8)
    assert recorder.events[mark:] == []


@pytest.mark.parametrize("slot", [1])
def test_filter_ignores_other_readers(pcsc_events, virtual_card, slot):
    """The monitor watches only readers matching its filter."""
    pcsc_events.wait_for(_service(True))
    virtual_card("DEADBEEF", slot=slot)
    time.sleep(1.0)
    assert not [e for e in pcsc_events.events if isinstance(e, BadgePresented)]


def test_failing_sink_does_not_end_monitoring(pcscd, virtual_card):
    """A sink that raises on one event is logged; the next tap still arrives."""
    recorder = EventRecorder()
    failures = []

    def sink(event):
        if isinstance(event, BadgePresented) and not failures:
            failures.append(event)
            raise RuntimeError("screen bug")
        recorder(event)

    reader = PcscReader(READER)
    reader.start(sink)
    try:
        card = virtual_card("01010101")
        deadline = time.monotonic() + 3
        while not failures and time.monotonic() < deadline:
            time.sleep(0.05)
        card.remove()
        recorder.wait_for(lambda e: isinstance(e, CardRemoved))
        virtual_card("02020202")
        recorder.wait_for(_badge("02020202"))
        assert reader.running
    finally:
        reader.stop()
    assert failures == [BadgePresented("01010101", READER)]


def test_reader_can_be_restarted_and_reports_state_again(pcscd):
    """stop() then start() again: the first events describe the state afresh."""
    reader = PcscReader(READER)
    first, second = EventRecorder(), EventRecorder()
    reader.start(first)
    first.wait_for(_service(True))
    reader.stop()
    reader.start(second)
    try:
        second.wait_for(_service(True))
        second.wait_for(lambda e: isinstance(e, ReaderStatus) and e.reader == READER)
    finally:
        reader.stop()
