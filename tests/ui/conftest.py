"""Pilot fixtures: the station app from `make_app` on the test database, with a fake reader.

Real domain services and real PostgreSQL; only the card reader is a fake (it posts from its
own thread, like the PC/SC monitor). The clock is frozen so the header is reproducible.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from textual.css.query import NoMatches
from textual.pilot import OutOfBounds, Pilot, WaitForScreenTimeout

from domain.services import access, identity, identity_admin, users
from domain.services.identity import Credentials
from domain.uow import UnitOfWork
from hardware.fakes import FakeCardReader
from hardware.wedge import Wedge
from kiosk.app import WorkCellApp, make_app
from kiosk.backend import KioskBackend
from kiosk.bridge import wedge_config
from kiosk.clock import frozen_clock
from kiosk.settings import StationSettings
from screens.home import HomeScreen
from screens.sign_in import SignInScreen
from screens.stages import at_stage
from screens.widgets import Keypad
from tests.conftest import TestDatabase, unique
from tests.identity_helpers import POLICY, STATION, Person, admin_for, enrol
from tests.sessions import new_pin, remember_pin, session_of

FROZEN = dt.datetime(2026, 11, 26, 6, 30, tzinfo=dt.UTC)


@dataclass
class Station:
    app: WorkCellApp
    reader: FakeCardReader
    backend: KioskBackend
    settings: StationSettings


@pytest.fixture
def station_settings(tmp_path: Path) -> StationSettings:
    return StationSettings(
        name=unique("st"),
        site="PLANT-1",
        zone="LINE-2",
        timezone="Europe/Berlin",
        idle_timeout_s=600,
        data_dir=tmp_path,
    )


@pytest.fixture
def make_station(
    session_factory: sessionmaker[Session], station_settings: StationSettings
) -> Iterator[Callable[..., Station]]:
    """``make_station(idle_timeout_s=1, ...)`` → a fresh app (not yet running)."""
    made: list[Station] = []

    def factory(**overrides: Any) -> Station:
        settings = replace(station_settings, **overrides)
        reader = FakeCardReader()
        backend = KioskBackend(session_factory, settings)
        # A framed scan is never aborted for silence here: Pilot's keys arrive as fast as
        # a loaded machine lets the test run, not as a scanner sends them (the decoder's
        # own timing is tested in tests/unit/test_wedge.py).
        wedge = Wedge(replace(wedge_config(settings.scanner), frame_timeout_ms=60_000))
        app = make_app(settings, backend, reader=reader, clock=frozen_clock(FROZEN), wedge=wedge)
        made.append(Station(app, reader, backend, settings))
        return made[-1]

    yield factory
    for station in made:
        station.reader.stop()


@pytest.fixture
def admin(database: TestDatabase) -> str:
    return admin_for(database)


@pytest.fixture
def person(session_factory: sessionmaker[Session], admin: str) -> Callable[..., Person]:
    """``person("operator")`` → an enrolled person with those roles, a PIN and a badge."""

    def factory(*roles: str, **kwargs: Any) -> Person:
        return enrol(session_factory, admin, roles=roles, **kwargs)

    return factory


# Generous: a state that never comes fails anyway, and a 2-core machine shared with other
# work (CI hosts, helpers' test runs at load 15+) can take seconds to draw one screen.
DEADLINE = dt.timedelta(seconds=20)


async def settle(pilot: Pilot[Any]) -> None:
    """One short pause. Textual's pause gives up after its own 30 s if the app's queues do
    not drain (seen once at load 17); that is "not yet", and the caller's deadline decides."""
    with contextlib.suppress(WaitForScreenTimeout):
        await pilot.pause(0.02)


async def until(pilot: Pilot[Any], predicate: Callable[[], object], what: str) -> None:
    """Let the app run (workers, timers) until ``predicate()`` holds; fail after DEADLINE."""
    loop_deadline = dt.datetime.now() + DEADLINE
    while not _holds(predicate):
        if dt.datetime.now() > loop_deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await settle(pilot)


def _holds(predicate: Callable[[], object]) -> bool:
    try:
        return bool(predicate())
    except NoMatches:  # the screen is still composing
        return False


async def focused(pilot: Pilot[Any], widget_id: str) -> None:
    """Wait until the top screen's focus is on ``widget_id`` (a dialog focuses its first
    field in on_mount: keys pressed before that land nowhere)."""

    def holds() -> bool:
        node = pilot.app.screen.focused
        return node is not None and node.id == widget_id

    await until(pilot, holds, f"#{widget_id} focused")


def freeze_cursors(app: Any) -> None:
    """Every text field's cursor shown steadily (no blink): a snapshot taken under load must
    not depend on the blink's phase."""
    from textual.widgets import Input

    for field in app.screen.query(Input):
        field.cursor_blink = False


def screen_text(app: WorkCellApp) -> str:
    """Everything the top screen shows, as plain text (for assertions on messages)."""
    from textual.widgets import Static

    parts = [str(w.render()) for w in app.screen.query(Static) if w.display]
    return "\n".join(parts)


async def tap_and_pin(
    pilot: Pilot[Any], station: Station, person: Person, pin: str, *, touch: bool = False
) -> None:
    """Tap the person's badge on the fake reader, wait for the keypad, enter the PIN + OK
    (typed, or with ``touch`` pressed on the on-screen keypad)."""
    assert person.badge_uid is not None
    station.reader.tap(person.badge_uid)
    await until(pilot, lambda: at_stage(pilot.app.screen, "-pin"), "the PIN prompt")
    if touch:
        # The keypad has just been laid out: a tap can go to a stale place. Tap until the
        # tap lands on the key, then wait until the keypad holds the digit (app state).
        await pilot.wait_for_scheduled_animations()
        keypad = pilot.app.screen.query(Keypad).first()
        for typed, key in enumerate(pin, start=1):
            await _tap_digit(pilot, keypad, key, typed)
        await tap(pilot, "#key-ok")
    else:
        await pilot.press(*pin, "enter")


async def _tap_digit(pilot: Pilot[Any], keypad: Keypad, key: str, count: int) -> None:
    """Tap a keypad key (until the tap lands on it) and wait until the keypad holds it."""
    await tap(pilot, f"#key-{key}")
    await until(pilot, lambda: len(keypad.value) >= count, f"PIN digit {count}")
    assert len(keypad.value) == count, "a tap registered twice"


async def tap(pilot: Pilot[Any], selector: str, offset: tuple[int, int] = (0, 0)) -> None:
    """Click ``selector`` once the click lands on it (a widget that was just mounted or moved
    can be hit at its old place for a frame: Pilot then reports a miss, and we try again)."""
    deadline = dt.datetime.now() + DEADLINE
    while dt.datetime.now() < deadline:
        try:
            # A Button ignores a click while its press effect (-active, 0.2 s) still shows:
            # a second tap that soon after the first would be lost, so wait it out.
            widget = pilot.app.screen.query_one(selector)
            if not widget.has_class("-active"):
                if await pilot.click(selector, offset=offset):
                    return
                # Missed: below the fold or under the footer (a home at 80x24 whose panels
                # have grown); a person scrolls to it first.
                widget.scroll_visible(animate=False, immediate=True)
        except NoMatches:  # a modal that was just pushed is still composing its widgets
            pass
        except OutOfBounds:  # off the screen altogether: scrolled to on the next try
            with contextlib.suppress(NoMatches):
                pilot.app.screen.query_one(selector).scroll_visible(animate=False, immediate=True)
        except WaitForScreenTimeout:  # the click landed; the app was slow to take it in
            return
        await settle(pilot)
    raise AssertionError(f"could not tap {selector}")


async def sign_in(
    pilot: Pilot[Any], station: Station, person: Person, *, touch: bool = False
) -> None:
    await until(pilot, lambda: isinstance(pilot.app.screen, SignInScreen), "the sign-in screen")
    await tap_and_pin(pilot, station, person, person.pin, touch=touch)
    await until(pilot, lambda: isinstance(pilot.app.screen, HomeScreen), "the home screen")
    await home_settled(pilot)


async def home_settled(pilot: Pilot[Any]) -> None:
    """The home's tiles are laid out and stay put: a panel above them that was still
    "checking…" grows when its answer comes and moves every tile below it, so a tap aimed
    before that lands on another tile (which opens the wrong screen)."""
    screen = pilot.app.screen
    assert isinstance(screen, HomeScreen)
    await until(pilot, lambda: screen.query(".tile").first().region, "tiles laid out")
    await until(pilot, lambda: screen.settled, "the home's panels filled in")


def enrol_fixed(
    factory: sessionmaker[Session],
    admin: str,
    username: str,
    printed_name: str,
    pin: str,
    badge: str,
    *roles: str,
) -> None:
    """A person with a fixed name, PIN and badge (snapshots), created once per database: the
    administrator sets a temporary PIN, the person replaces it with the fixed one, as in a
    plant; identity verified, policy acknowledged."""
    with UnitOfWork(factory, session_of(factory, admin)) as uow:
        if any(u.username == username for u in users.list_users(uow)):
            remember_pin(factory, username, pin)
            return
        users.add_user(uow, username, printed_name)
        for role in roles:
            access.grant_role(uow, username, role)
        temporary = new_pin()
        identity_admin.set_pin(uow, username, temporary, policy=POLICY)
        identity_admin.add_badge(uow, username, badge)
        identity_admin.verify_identity(uow, username, "photo ID checked (snapshots)")
        uow.commit()
    identity.change_pin(
        factory, Credentials(pin=temporary, username=username), pin, station=STATION, policy=POLICY
    )
    remember_pin(factory, username, pin)
    identity_admin.acknowledge_policy(
        factory, Credentials(pin=pin, username=username), station=STATION, policy=POLICY
    )


@pytest.fixture(scope="session", autouse=True)
def busy_station(database: TestDatabase) -> None:
    """One test station signs in for every UI test of a worker: raise its per-station
    look-up limit (300 in 15 minutes by default), as tests/integration/conftest.py does."""
    from tests.integration.identity_fixtures import busy_station_policy

    busy_station_policy(database.admin)
