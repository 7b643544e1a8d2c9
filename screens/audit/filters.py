"""The audit browser's filter dialog: record, table, user, station, time range, text.

Times are typed in the site's time zone ("2026-11-26 08:00"); presets (last hour, today,
last 7 days) are counted back from the server's clock, never the station's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Static

from domain.views.audit import AuditFilter
from screens.station import station_of
from screens.widgets.keyboard import TouchInput

FIELDS = (
    ("table", "Table", "e.g. item or workcell.item"),
    ("record", "Record", "item number, username, ECO number or key (needs the table)"),
    ("user", "User", "username who made the change"),
    ("station", "Station", "station login, e.g. station_line1"),
    ("since", "From", "2026-11-26 08:00 (site time)"),
    ("until", "Until", "2026-11-26 17:00 (exclusive)"),
    ("text", "Text", "in record key, reason or values"),
)


def parse_local(value: str, tz: ZoneInfo) -> dt.datetime | None:
    """A typed time in the site's zone (or with an explicit offset) as an aware datetime."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a time: write it as 2026-11-26 08:00.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def show_time(value: dt.datetime | str | None, tz: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def describe(flt: AuditFilter, tz: ZoneInfo) -> str:
    parts = [
        f"{name}={getattr(flt, name)}"
        for name in ("table", "record", "user", "station", "text")
        if getattr(flt, name)
    ]
    if flt.since:
        parts.append(f"from {show_time(flt.since, tz)}")
    if flt.until:
        parts.append(f"until {show_time(flt.until, tz)}")
    return " ".join(parts) or "everything"


class AuditFilterModal(ModalScreen[AuditFilter | None]):
    DEFAULT_CSS = """
    AuditFilterModal { align: center middle; background: $background 85%; }
    AuditFilterModal > Vertical {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    AuditFilterModal #flt-title { text-style: bold; color: $accent; }
    AuditFilterModal Grid { grid-size: 2; grid-columns: 12 1fr; grid-rows: 1; height: auto; }
    AuditFilterModal Grid > Label { height: 1; padding-top: 0; }
    AuditFilterModal Grid > Input { height: 1; border: none; padding: 0 1; }
    AuditFilterModal Grid > Input:focus { background: $primary 40%; }
    AuditFilterModal #flt-error { color: $error; text-style: bold; height: auto; }
    AuditFilterModal Horizontal { height: 3; }
    AuditFilterModal Horizontal > Button { width: 1fr; margin-right: 1; min-width: 8; }
    """

    def __init__(self, flt: AuditFilter, tables: Sequence[str] = ()) -> None:
        super().__init__()
        self.flt = flt
        self.tables = list(tables)

    def compose(self) -> ComposeResult:
        tz = station_of(self).tz
        with Vertical():
            yield Static(
                f"Filter the audit trail (times in {tz.key})", id="flt-title", markup=False
            )
            with Grid():
                for name, label, hint in FIELDS:
                    value = getattr(self.flt, name)
                    shown = show_time(value, tz) if name in ("since", "until") else value
                    suggester = (
                        SuggestFromList(self.tables, case_sensitive=False)
                        if name == "table"
                        else None
                    )
                    yield Label(label)
                    yield TouchInput(
                        shown or "", placeholder=hint, id=f"flt-{name}", suggester=suggester
                    )
            with Horizontal(id="flt-presets"):
                yield Button("Last hour", id="flt-hour")
                yield Button("Today", id="flt-today")
                yield Button("Last 7 days", id="flt-week")
            yield Static("", id="flt-error", markup=False)  # quotes what was typed
            with Horizontal():
                yield Button("Cancel", id="flt-cancel")
                yield Button("Clear all", id="flt-clear", variant="warning")
                yield Button("Apply", id="flt-apply", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#flt-table", Input).focus()

    def _set_since(self, since: dt.datetime) -> None:
        tz = station_of(self).tz
        self.query_one("#flt-since", Input).value = show_time(since, tz)
        self.query_one("#flt-until", Input).value = ""

    @on(Button.Pressed, "#flt-hour")
    def last_hour(self) -> None:
        self._set_since(station_of(self).now() - dt.timedelta(hours=1))

    @on(Button.Pressed, "#flt-today")
    def today(self) -> None:
        tz = station_of(self).tz
        local = station_of(self).now().astimezone(tz)
        self._set_since(local.replace(hour=0, minute=0, second=0, microsecond=0))

    @on(Button.Pressed, "#flt-week")
    def last_week(self) -> None:
        self._set_since(station_of(self).now() - dt.timedelta(days=7))

    @on(Button.Pressed, "#flt-clear")
    def clear(self) -> None:
        for name, _, _ in FIELDS:
            self.query_one(f"#flt-{name}", Input).value = ""

    @on(Button.Pressed, "#flt-cancel")
    def cancel(self) -> None:
        self.dismiss(None)

    def key_escape(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#flt-apply")
    def apply(self) -> None:
        tz = station_of(self).tz
        values = {
            name: self.query_one(f"#flt-{name}", Input).value.strip() for name, _, _ in FIELDS
        }
        try:
            since = parse_local(values["since"], tz)
            until = parse_local(values["until"], tz)
        except ValueError as exc:
            self.query_one("#flt-error", Static).update(str(exc))
            return
        if values["record"] and not values["table"]:
            self.query_one("#flt-error", Static).update("A record key needs its table.")
            return
        self.dismiss(
            AuditFilter(
                table=values["table"] or None,
                record=values["record"] or None,
                user=values["user"] or None,
                station=values["station"] or None,
                since=since,
                until=until,
                text=values["text"] or None,
            )
        )
