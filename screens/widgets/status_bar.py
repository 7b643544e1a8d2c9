"""Top line of every screen: who is signed in, the station, and the server's time."""

from __future__ import annotations

from textual.widgets import Static

from screens.station import fmt_time, station_of


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar {
        dock: top; height: 1; width: 1fr; padding: 0 1;
        background: $primary; color: $text; text-style: bold;
    }
    """

    def on_mount(self) -> None:
        self.refresh_line()
        self.set_interval(1.0, self.refresh_line)

    def refresh_line(self) -> None:
        station = station_of(self)
        user = station.current_user
        who = f"{user.printed_name} ({user.username})" if user else "Not signed in"
        clock = fmt_time(station.now(), station.tz, seconds=True)
        self.update(f"{who}  │  {station.station_name} · {station.station_place}  │  {clock}")
