"""Log records never reach the terminal the station app draws on: they go to the data
directory's log file (kiosk/logs.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace

import pytest

from kiosk.logs import configure_logging, log_path
from screens.sign_in import SignInScreen
from tests.identity_helpers import new_badge_uid
from tests.ui.conftest import screen_text, tap_and_pin, until


@pytest.fixture
def station_logging(station_settings, capfd) -> Iterator[None]:
    """The station app's logging (as `workcell kiosk` sets it up), undone afterwards; set up
    after ``capfd`` so a handler bound to sys.stderr would be caught."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    configure_logging(station_settings.data_dir, verbose=True, app=True)
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.captureWarnings(False)


async def test_wrong_pin_and_unknown_badge_go_to_the_log_file_not_the_terminal(
    make_station, person, station_settings, station_logging, capfd
):
    """A wrong PIN and an unknown badge each write a line to workcell.log in the data
    directory and nothing at all to stdout or stderr (where the app draws), even with -v."""
    olivia = person("operator")
    station = make_station()
    async with station.app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(station.app.screen, SignInScreen), "sign-in")
        wrong = "1" if olivia.pin[0] != "1" else "2"
        await tap_and_pin(pilot, station, olivia, wrong * 6)
        await until(pilot, lambda: "Wrong PIN" in screen_text(station.app), "the refusal")
        stranger = replace(olivia, badge_uid=new_badge_uid())  # a card nobody was issued
        await tap_and_pin(pilot, station, stranger, "135791")
        await until(pilot, lambda: "Not recognised" in screen_text(station.app), "unknown badge")
        await station.app.workers.wait_for_complete()
    logged = log_path(station_settings.data_dir).read_text(encoding="utf-8")
    assert logged.count("refused PIN check") >= 2, logged
    out, err = capfd.readouterr()
    assert out == "" and err == ""
