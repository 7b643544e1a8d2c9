"""Home: large tiles, one per area the signed-in person's role allows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Static

from screens.base import StationScreen
from screens.station import station_of


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


class HomeScreen(StationScreen):
    CSS_PATH = "home.tcss"
    TITLE_TEXT = "Home"
    BACK = False

    def __init__(self, tiles: Sequence[Tile]) -> None:
        super().__init__()
        self.tiles = tiles

    def compose_body(self) -> ComposeResult:
        user = station_of(self).current_user
        allowed = [t for t in self.tiles if user is not None and user.may(t.permission)]
        for tile in allowed:
            if tile.panel is not None:
                yield tile.panel()
        with Grid(id="tiles"):
            for tile in allowed:
                yield Button(f"{tile.label}\n{tile.hint}", id=f"tile-{tile.id}", classes="tile")
        if not allowed:
            yield Static("Your role has no screens on this station yet. Ask a supervisor.")

    @on(Button.Pressed, ".tile")
    def open_tile(self, event: Button.Pressed) -> None:
        tile_id = (event.button.id or "").removeprefix("tile-")
        tile = next(t for t in self.tiles if t.id == tile_id)
        self.app.push_screen(tile.open())
