"""Home: large tiles, one per area the signed-in person's role allows.

Main screens are kept (docs/kiosk.md "Screen switching"): the first tap on a tile builds
its screen and installs it under a name that belongs to this home screen; later taps show
the same screen again (``StationScreen.reopened`` refreshes its data) instead of composing
15-35 widgets anew. A home screen belongs to one person's sign-in (kiosk/shift.py builds a
new one for every sign-in and pops it on sign-out or take-over); when it goes, so do the
screens it kept, so nothing built for one person is ever shown to the next.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from textual import on
from textual.app import ComposeResult
from textual.containers import Container, Grid, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Static

from screens.base import StationScreen
from screens.station import station_of
from screens.widgets.printable import literal_label


@runtime_checkable
class HomePanel(Protocol):
    """A panel above the tiles that fills in from the database after the home is shown: its
    height changes once, from "checking…" to what it found, and moves the tiles below it."""

    # the first answer (what it found, or why it could not look) is shown and laid out
    answered: bool


@dataclass(frozen=True)
class Tile:
    """An entry on the home screen. ``permission`` None = everyone signed in."""

    id: str
    label: str
    hint: str
    open: Callable[[], Screen[object]]
    permission: str | None = None
    # A live widget shown above the tiles to whoever may open the tile (e.g. the count of
    # security events awaiting acknowledgement on a supervisor's home screen).
    panel: Callable[[], Widget] | None = None
    # Kept installed after the first opening (a main screen); False for a screen that must
    # start afresh each time.
    keep: bool = True


# One number per home screen for the names of the screens it keeps installed: not id(self),
# which a later home screen (the next person's) can get once this one is collected.
_homes = itertools.count(1)
# More than fit a touch screen in three columns of 7-row tiles under the panels (home.tcss).
MANY_TILES = 12


class HomeScreen(StationScreen):
    CSS_PATH = "home.tcss"
    TITLE_TEXT = "Home"
    BACK = False
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    def __init__(self, tiles: Sequence[Tile]) -> None:
        super().__init__()
        self.tiles = tiles
        self._kept: dict[str, str] = {}  # tile id → installed screen name
        self._serial = next(_homes)
        self._panels: list[Widget] = []

    def compose_body(self) -> ComposeResult:
        user = station_of(self).current_user
        allowed = [t for t in self.tiles if user is not None and user.may(t.permission)]
        self.set_class(len(allowed) > MANY_TILES, "-many-tiles")
        self._panels = [tile.panel() for tile in allowed if tile.panel is not None]
        # Scrolls by itself (80x24 over SSH), not the screen: a scrolling screen's scrollbar
        # cut into the docked footer ("Sign ou t").
        with VerticalScroll(id="home-body", can_focus=False):
            # The lists that grow (overdue CAPAs, expiring qualifications) sit side by side
            # on a wide screen, so together they take the height of the taller one.
            with Container(id="home-lists"):
                yield from (p for p in self._panels if isinstance(p, HomePanel))
            yield from (p for p in self._panels if not isinstance(p, HomePanel))
            with Grid(id="tiles"):
                for tile in allowed:
                    yield Button(
                        literal_label(f"{tile.label}\n{tile.hint}"),
                        id=f"tile-{tile.id}",
                        classes="tile",
                    )
            if not allowed:
                yield Static("Your role has no screens on this station yet. Ask a supervisor.")

    @property
    def settled(self) -> bool:
        """Every shown panel has its first answer: the tiles are where they will stay (until
        a panel's next refresh). Tests wait for it before tapping a tile, as a person, slower
        than a database round trip, in effect does."""
        return all(p.answered or not p.display for p in self._panels if isinstance(p, HomePanel))

    @on(Button.Pressed, ".tile")
    def open_tile(self, event: Button.Pressed) -> None:
        tile_id = (event.button.id or "").removeprefix("tile-")
        tile = next(t for t in self.tiles if t.id == tile_id)
        self.open(tile)

    def open(self, tile: Tile) -> None:
        name = self._kept.get(tile.id)
        if name is not None and self.app.is_screen_installed(name):
            screen = self.app.get_screen(name)
            if isinstance(screen, StationScreen):
                screen.reopened()
            self.app.push_screen(name)
            return
        built = tile.open()
        if tile.keep:
            name = f"home-{self._serial}-{tile.id}"
            self.app.install_screen(built, name)
            self._kept[tile.id] = name
        self.app.push_screen(built)

    async def on_unmount(self) -> None:
        """This person's sign-in is over: the screens kept for them go with it."""
        await self.release_kept()

    async def release_kept(self) -> None:
        kept, self._kept = list(self._kept.values()), {}
        for name in kept:
            if not self.app.is_screen_installed(name):
                continue
            screen = self.app.get_screen(name)
            if screen in self.app.screen_stack:  # cannot happen: popped before home
                continue
            self.app.uninstall_screen(name)
            if screen.is_attached:
                await screen.remove()
