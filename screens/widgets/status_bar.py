"""Top line of every screen: who is signed in, the station, and the server's time.

The time (with its zone) is always shown in full; at narrow widths the username and then
the site/zone give way first, and the person's name is cut last.
"""

from __future__ import annotations

from textual.widgets import Static

from screens.station import fmt_time, station_of
from screens.widgets.printable import printable

SEPARATOR = "  │  "


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar {
        height: 1; width: 1fr; padding: 0 1;
        background: $primary; color: $text; text-style: bold;
    }
    """

    def __init__(self) -> None:
        super().__init__(markup=False)  # it quotes the signed-in person's stored name
        self.line = ""

    def on_mount(self) -> None:
        self.refresh_line()
        self.set_interval(1.0, self.refresh_line)

    def on_resize(self) -> None:
        self.refresh_line()

    def refresh_line(self) -> None:
        station = station_of(self)
        user = station.current_user
        clock = fmt_time(station.now(), station.tz, seconds=True)
        name = printable(user.printed_name) if user else ""
        names = [f"{name} ({printable(user.username)})", name] if user else []
        whos = names or ["Not signed in"]
        places = [f"{station.station_name} · {station.station_place}", station.station_name]
        width = max(self.content_size.width, 20) if self.is_mounted else 78
        line = _fit(whos, places, clock, width)
        if line != self.line:
            self.line = line
            # one line of fixed height: a repaint, not a layout of the whole screen (the
            # default), which cost a frame ~60 ms after every step shown and every second
            self.update(line, layout=False)


def _fit(whos: list[str], places: list[str], clock: str, width: int) -> str:
    """The most informative line that fits ``width``; the clock is never cut."""
    for place in places:
        for who in whos:
            line = f"{who}{SEPARATOR}{place}{SEPARATOR}{clock}"
            if len(line) <= width:
                return line
    room = width - len(places[-1]) - len(clock) - 2 * len(SEPARATOR)
    who = whos[-1] if room >= len(whos[-1]) else whos[-1][: max(room - 1, 1)] + "…"
    return f"{who}{SEPARATOR}{places[-1]}{SEPARATOR}{clock}"
