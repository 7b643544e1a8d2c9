"""Pilot helpers for the materials screens: the plant of tests/integration/materials_helpers
with station people (badges) acting on screen, touch typing, choosing and scanning."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from kiosk.materials_tiles import Screens, materials_backend_for
from screens.home import HomeScreen
from screens.messages import BarcodeScanned
from screens.widgets.choice import ChoiceModal
from screens.widgets.keyboard import KeyboardModal, key_id
from tests.identity_helpers import Person
from tests.integration.materials_helpers import Plant
from tests.ui.conftest import Station, home_settled, sign_in, tap, until


async def switch_to(pilot: Pilot[Any], station: Station, who: Person) -> None:
    """Lock the station and let ``who`` take it over; wait for *their* home screen (the
    previous person's home shows for a moment while their screens close)."""
    app = pilot.app
    old = app.screen_stack[0] if app.screen_stack else None
    app.lock()
    await sign_in(pilot, station, who)
    await until(
        pilot,
        lambda: isinstance(app.screen, HomeScreen) and app.screen is not old
        and app.current_user is not None and app.current_user.username == who.username,
        f"{who.username}'s home",
    )  # fmt: skip
    await home_settled(pilot)


def screens_of(station: Station) -> Screens:
    backend = materials_backend_for(station.backend)
    assert backend is not None
    return Screens(backend)


def label(plant: Plant, role: str, lot: str, *, days: int = 400, extra: str = "") -> str:
    expiry = plant.today + dt.timedelta(days=days)
    return f"(01){plant.gtins[role]}(17){expiry:%y%m%d}(10){lot}{extra}"


async def scan(pilot: Pilot[Any], data: str) -> None:
    """What the keyboard-wedge decoder posts for a framed scan."""
    pilot.app.post_message(BarcodeScanned(data))
    await pilot.pause()


async def type_on_screen(pilot: Pilot[Any], field: str, text: str) -> None:
    """Tap ``field``, type ``text`` on the on-screen keyboard (upper case, digits and the
    keyboard's symbols), OK."""
    app = pilot.app
    await tap_in_view(pilot, field)
    await until(pilot, lambda: isinstance(app.screen, KeyboardModal), f"keyboard for {field}")
    modal = app.screen
    for char in text:
        before = modal.query_one("#kb-text").value
        await tap(pilot, "#" + key_id(char))
        await until(pilot, lambda b=before: modal.query_one("#kb-text").value != b, repr(char))
    await tap(pilot, "#kb-ok")
    await until(pilot, lambda: not isinstance(app.screen, KeyboardModal), "keyboard closed")


async def tap_in_view(pilot: Pilot[Any], selector: str) -> None:
    """Scroll a widget of a scrolling form into view, then tap it."""
    pilot.app.screen.query_one(selector).scroll_visible(animate=False)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    await tap(pilot, selector)


async def choose(pilot: Pilot[Any], button: str, option: str) -> None:
    """Tap a ChoiceButton, then the option that starts with ``option``."""
    app = pilot.app
    await tap_in_view(pilot, button)
    await until(pilot, lambda: isinstance(app.screen, ChoiceModal), f"choices of {button}")
    modal = app.screen
    index = next(i for i, o in enumerate(modal.options) if o.startswith(option))
    await tap_in_view(pilot, f"#choice-{index}")  # a shared plant's bin list outgrows the screen
    await until(pilot, lambda: not isinstance(app.screen, ChoiceModal), "choice closed")


async def tap_row(pilot: Pilot[Any], table: str, key: str) -> None:
    """One tap on the row whose key is ``key`` (the table scrolled into view first)."""
    widget = pilot.app.screen.query_one(table)
    widget.scroll_visible(animate=False)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    region = widget._get_row_region(widget.get_row_index(key))
    # the row itself into the table's view: a shared plant's list outgrows the table
    widget.scroll_to_region(region, animate=False, immediate=True)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    await tap(pilot, table, offset=(3, region.y - int(widget.scroll_y)))


def shoot(app: Any, name: str) -> None:
    """Keep a screenshot to look at (WORKCELL_SHOTS=dir), never asserted on."""
    folder = os.environ.get("WORKCELL_SHOTS")
    if folder:
        app.save_screenshot(filename=f"{name}.svg", path=str(Path(folder)))
