"""The top of every screen: the status line, and under it the warning banner when needed.

One docked container, so the banner pushes the screen down instead of covering the line
that says who is signed in, where, and the server's time.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from screens.widgets.banner import Banner
from screens.widgets.status_bar import StatusBar


class StationHeader(Vertical):
    DEFAULT_CSS = """
    StationHeader { dock: top; height: auto; width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Banner()
