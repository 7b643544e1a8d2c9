"""Pure parts of the kiosk: event translation, wedge settings, header fitting, server clock."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.errors import InvalidInput
from hardware import events as hw
from kiosk.bridge import to_message, wedge_config
from kiosk.clock import ServerClock
from kiosk.settings import ScannerSettings
from screens import messages
from screens.backend import Proof
from screens.scans import looks_like_gs1, scanned_gtin
from screens.widgets.status_bar import _fit


def test_every_hardware_event_becomes_the_screens_message() -> None:
    """Reader and wedge events map one to one onto screens.messages."""
    assert to_message(hw.BadgePresented("04A1", "r")) == messages.BadgePresented("04A1", "r")
    assert to_message(hw.BarcodeScanned("]C1x", "k")) == messages.BarcodeScanned("]C1x", "k")
    assert to_message(hw.CardRemoved("r")) == messages.CardRemoved("r")
    assert to_message(hw.CardRefused("r", "no UID")) == messages.CardRefused("r", "no UID")
    status = to_message(hw.ReaderStatus(None, False, "pcscd down"))
    assert status == messages.ReaderStatusChanged("", False, "pcscd down")
    assert to_message(hw.ScanAborted("ab", "timeout")) == messages.ScanAborted("timeout")


def test_wedge_config_takes_the_station_scanner_settings() -> None:
    """prefix, suffix, GS substitute and timing come from the station file's [scanner]."""
    config = wedge_config(ScannerSettings(prefix="#", suffix="\r", gs_substitute="^"))
    assert (config.prefix, config.suffix, config.gs_substitute) == ("#", "\r", "^")
    assert config.use_timing is False


def test_header_keeps_the_clock_whole_and_shortens_the_rest_first() -> None:
    """At any width the time with its zone is complete; username, then site go first."""
    whos = ["Olivia Operator (olivia)", "Olivia Operator"]
    places = ["line1 · PLANT-1/LINE-2", "line1"]
    clock = "2026-11-26 07:30:00 CET"
    wide = _fit(whos, places, clock, 120)
    assert wide.startswith("Olivia Operator (olivia)") and wide.endswith(clock)
    assert _fit(whos, places, clock, 78).endswith(clock)
    assert "(olivia)" not in _fit(whos, places, clock, 78)
    narrow = _fit(whos, places, clock, 44)
    assert narrow.endswith(clock) and "…" in narrow and len(narrow) <= 44


def test_server_clock_follows_the_server_not_the_station() -> None:
    """After a sync the clock reads the server's time, here an hour ahead of the station."""
    clock = ServerClock()
    ahead = dt.timedelta(hours=1)
    clock.sync(lambda: dt.datetime.now(dt.UTC) + ahead)
    assert abs((clock() - dt.datetime.now(dt.UTC)) - ahead) < dt.timedelta(seconds=1)


def test_proof_never_shows_the_pin() -> None:
    """A Proof in a log line or traceback hides the PIN."""
    assert "4711" not in repr(Proof(pin="4711", badge_uid="04A1"))


def test_scans_decode_gs1_to_the_gtin_and_leave_other_text_alone() -> None:
    """A GS1 scan yields its GTIN; an item number is not taken for GS1."""
    assert scanned_gtin("]C1010950110153000310LOT1") == "09501101530003"
    assert not looks_like_gs1("WID-100")
    assert scanned_gtin("WID-100") is None


def test_gs1_scan_with_a_wrong_check_digit_is_refused() -> None:
    """A GTIN whose check digit is wrong is refused with the operator's message."""
    with pytest.raises(InvalidInput):
        scanned_gtin("]C1010950110153000410LOT1")
