"""What the materials screens share: the refusal line, status words, quantities,
manifestations, and the acting person."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from domain.errors import WorkCellError
from screens.backend import SignatureLine
from screens.station import fmt_time, station_of
from screens.widgets.printable import printable

STATUS = {
    "quarantine": "QUARANTINE",
    "released": "RELEASED",
    "rejected": "REJECTED",
    "consumed": "CONSUMED",
    "shipped": "SHIPPED",
    "open": "OPEN",
    "closed": "CLOSED",
    "confirmed": "CONFIRMED",
    "cancelled": "CANCELLED",
}
SOURCES = {"qa": "QA", "inspection": "inspection", "ncr": "NCR", "recall": "recall"}


def actor(node: Widget) -> str | None:
    user = station_of(node).current_user
    return None if user is None else user.username


def qty(value: Decimal, unit: str = "") -> str:
    """A quantity as people write it: no exponent, no trailing zeros."""
    text = f"{value.normalize():f}" if value == value.to_integral() else f"{value.normalize()}"
    return f"{text} {unit}".rstrip()


def status_text(status: str, held: bool = False, late: str | None = None) -> str:
    words = [STATUS.get(status, status.upper())]
    if held:
        words.append("ON HOLD")
    if late:
        words.append(late.upper())
    return " · ".join(words)


def say(box: Static, text: str, kind: str = "refused") -> None:
    """Show (or with ``text`` "" hide) the screen's message line: refused, ok or why."""
    box.remove_class("-refused", "-ok", "-why")
    box.update(Text(printable(text)))  # quotes lot numbers and scans: never markup
    if text:
        box.add_class(f"-{kind}")


def refusal(box: Static, error: WorkCellError) -> None:
    """The refusal's title and message (the title once, when the message repeats it)."""
    repeats = error.message.lower().startswith(error.title.lower())
    say(box, error.message if repeats else f"{error.title}: {error.message}")


def manifestations(sigs: tuple[SignatureLine, ...], tz: ZoneInfo) -> str:
    """Printed name, meaning, date/time with zone — and whether the binding still holds."""
    if not sigs:
        return "No signatures yet."
    lines = []
    for s in sigs:
        state = "valid" if s.valid else "NOT VALID (record changed or signature copied)"
        note = f" — “{s.comment}”" if s.comment else ""
        lines.append(
            f"{s.meaning.capitalize()} by {s.printed_name} on "
            f"{fmt_time(s.signed_at, tz, seconds=True)} [{state}]{note}"
        )
    return "\n".join(lines)


def row_height(node: Widget) -> int:
    """Rows of a list a gloved finger taps: 3 rows high on a large screen, 1 over SSH."""
    return 3 if node.app.size.height >= 40 else 1
