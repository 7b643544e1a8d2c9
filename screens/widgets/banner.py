"""A full-width warning line under the status bar (database unreachable, reader lost)."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from screens.widgets.printable import printable


class Banner(Static):
    DEFAULT_CSS = """
    Banner {
        height: auto; width: 1fr; padding: 0 1; display: none;
        background: $error; color: $text; text-style: bold;
    }
    Banner.-shown { display: block; }
    """

    message: reactive[str] = reactive("")

    def on_mount(self) -> None:
        # The station app keeps one `problem` text; every screen's banner mirrors it.
        self.watch(self.app, "problem", self._mirror)

    def _mirror(self, problem: str) -> None:
        self.message = problem

    def watch_message(self, message: str) -> None:
        self.update(Text(printable(message)))  # a database error can quote stored text
        self.set_class(bool(message), "-shown")
