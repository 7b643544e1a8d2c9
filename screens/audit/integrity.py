"""Integrity of the audit trail: last seal, seal lag, last verify; run verify; export.

Verify and exports run in thread workers and report progress to a bar; the screen stays
usable meanwhile. The seal state refreshes itself (one fetch at a time, re-armed when done).
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, ProgressBar, Static

from domain.errors import WorkCellError
from domain.views.audit import AuditFilter
from screens.admin.common import permitted
from screens.audit.backend import AuditBackend, ExportOutcome, IntegrityStatus, VerifyOutcome
from screens.audit.filters import describe
from screens.base import StationScreen, call_backend
from screens.station import fmt_time, station_of
from screens.widgets.keyboard import TouchInput

REFRESH_S = 5.0


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class IntegrityScreen(StationScreen):
    CSS_PATH = "integrity.tcss"
    TITLE_TEXT = "Audit trail integrity"
    BINDINGS = [
        Binding("v", "verify", "Verify now"),
        Binding("x", "export", "Export"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(
        self, backend: AuditBackend, flt: AuditFilter | None = None, *, refresh_s: float = REFRESH_S
    ) -> None:
        super().__init__()
        self.backend = backend
        self.flt = flt or AuditFilter()
        self.refresh_s = refresh_s
        self.status: IntegrityStatus | None = None
        self.outcome: VerifyOutcome | None = None
        self._in_flight = False
        self._timer: Timer | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("", classes="refusal")
        with Vertical(id="int-body"):
            yield Static("Loading…", id="int-seal")
            yield Static("", id="int-verify")
            with Horizontal(id="int-tools"):
                yield Button("Verify now (v)", id="int-run", variant="warning")
                yield Button("Export… (x)", id="int-export", variant="primary")
                yield Button("Refresh (r)", id="int-refresh")
            yield ProgressBar(total=100, show_eta=False, id="int-progress")
            yield Static("", id="int-step", markup=False)

    def on_mount(self) -> None:
        if permitted(self, "audit.view") is None:
            self.query_one("#int-body").display = False
            return
        self.query_one("#int-progress").display = False
        self.query_one("#int-run", Button).focus()
        self.action_refresh()

    def reopened(self) -> None:
        self.action_refresh()

    # -- seal state, refreshed one fetch at a time ----------------------------------------

    def action_refresh(self) -> None:
        user = station_of(self).current_user
        if self._in_flight or user is None:
            return
        self._in_flight = True
        call_backend(
            self,
            lambda: self.backend.integrity(user.username),
            self._status,
            failed=lambda _: self._rearm(),
            group="integrity",
        )

    @on(Button.Pressed, "#int-refresh")
    def refresh_pressed(self) -> None:
        self.action_refresh()

    def _rearm(self) -> None:
        self._in_flight = False
        if self._timer is not None:
            self._timer.stop()
        if self.is_attached:
            self._timer = self.set_timer(self.refresh_s, self.action_refresh)

    def _status(self, status: IntegrityStatus) -> None:
        self._rearm()
        self.status = status
        tz = station_of(self).tz
        if status.last_seal_at is None:
            seal = Text("Never sealed: the sealer has not run yet.", style="bold red")
        else:
            seal = Text.assemble(
                ("Last seal: ", "bold"),
                f"{fmt_time(status.last_seal_at, tz, seconds=True)} by {status.last_seal_by}\n",
                ("Chain head: ", "bold"),
                f"position {status.head_position}  ",
                (f"{status.head_hash or ''}", "dim"),
            )
        late = status.seal_lag_s > status.grace_s
        lag = Text.assemble(
            "\n",
            ("Seal lag: ", "bold"),
            (
                f"{status.unsealed} entries awaiting seal, oldest {_age(status.seal_lag_s)} "
                f"(limit {_age(status.grace_s)}) — "
                + ("LATE: is the sealer running?" if late else "OK"),
                "bold red" if late else "green",
            ),
        )
        alarms = Text()
        for line in status.alarms:  # sealing blocked, watchdog at work or unable to run
            alarms.append(f"\nALARM: {line}", style="bold red")
        self.query_one("#int-seal", Static).update(Text.assemble(seal, lag, alarms))
        self._show_verify(self.outcome or status.last_verify)

    def _show_verify(self, outcome: VerifyOutcome | None) -> None:
        tz = station_of(self).tz
        widget = self.query_one("#int-verify", Static)
        if outcome is None:
            widget.update(Text("Last verify: none recorded on this station.", style="bold yellow"))
            return
        head = Text.assemble(
            ("Last verify: ", "bold"),
            f"{fmt_time(outcome.at, tz, seconds=True)} by {outcome.by} on {outcome.station}\n",
            (outcome.summary, "bold green" if outcome.ok else "bold red"),
        )
        for line in outcome.alarms:
            head.append(f"\n  ALARM: {line}", style="bold red")
        for line in (*outcome.problems[1:4], *outcome.warnings):
            head.append(f"\n  {line}", style="red" if not outcome.ok else "yellow")
        widget.update(head)

    # -- verify with progress ---------------------------------------------------------------

    @on(Button.Pressed, "#int-run")
    def action_verify(self) -> None:
        user = permitted(self, "audit.view")
        if user is None or self.query_one("#int-run", Button).disabled:
            return
        self.query_one("#int-run", Button).disabled = True
        bar = self.query_one("#int-progress", ProgressBar)
        bar.display = True
        bar.update(progress=0)
        app = self.app

        def progress(fraction: float, message: str) -> None:
            app.call_from_thread(self._progress, fraction, message)

        call_backend(
            self,
            lambda: self.backend.run_verify(user.username, progress),
            self._verified,
            failed=self._verify_failed,
            group="verify",
        )

    def _progress(self, fraction: float, message: str) -> None:
        self.query_one("#int-progress", ProgressBar).update(progress=round(fraction * 100))
        self.query_one("#int-step", Static).update(message)

    def _verified(self, outcome: VerifyOutcome) -> None:
        self.outcome = outcome
        self.query_one("#int-run", Button).disabled = False
        self.query_one("#int-step", Static).update(
            "Verify finished: the trail is intact." if outcome.ok else "Verify FOUND PROBLEMS."
        )
        self._show_verify(outcome)
        if outcome.ok:
            self.notify(outcome.summary, title="Verify", timeout=10)
        else:
            self.notify(outcome.summary, title="Verify", severity="error", timeout=10)

    def _verify_failed(self, error: WorkCellError) -> None:
        self.query_one("#int-run", Button).disabled = False
        self.query_one("#int-step", Static).update(f"Verify could not run: {error.message}")

    @on(Button.Pressed, "#int-export")
    def action_export(self) -> None:
        self.app.push_screen(ExportModal(self.backend, self.flt))


class ExportModal(ModalScreen[ExportOutcome | None]):
    """Export the filtered trail (CSV/JSON) or the whole trail as an offline bundle."""

    DEFAULT_CSS = """
    ExportModal { align: center middle; background: $background 85%; }
    ExportModal > Vertical {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ExportModal #exp-title { text-style: bold; color: $accent; }
    ExportModal #exp-what { height: auto; }
    ExportModal Horizontal { height: 3; }
    ExportModal Horizontal > Button { width: 1fr; margin-right: 1; min-width: 8; }
    ExportModal #exp-error { color: $error; text-style: bold; height: auto; }
    ExportModal #exp-done { color: $success; text-style: bold; height: auto; }
    """

    FORMATS = (("csv", "CSV"), ("json", "JSON"), ("bundle", "Offline bundle"))

    def __init__(self, backend: AuditBackend, flt: AuditFilter, directory: Path | None = None):
        super().__init__()
        self.backend = backend
        self.flt = flt
        self.fmt = "csv"
        self.directory = directory or Path.home()
        self.running = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Export the audit trail", id="exp-title")
            yield Static("", id="exp-what", markup=False)
            with Horizontal(id="exp-formats"):
                for fmt, label in self.FORMATS:
                    variant = "primary" if fmt == self.fmt else "default"
                    yield Button(label, id=f"exp-{fmt}", variant=variant)  # type: ignore[arg-type]
            yield TouchInput(str(self.directory), placeholder="target directory", id="exp-dir")
            yield ProgressBar(total=100, show_eta=False, id="exp-progress")
            yield Static("", id="exp-step", markup=False)
            yield Static("", id="exp-error", markup=False)
            yield Static("", id="exp-done", markup=False)
            with Horizontal():
                yield Button("Close", id="exp-close")
                yield Button("Export", id="exp-go", variant="success")

    def on_mount(self) -> None:
        self._describe()
        self.query_one("#exp-progress").display = False
        self.query_one("#exp-go", Button).focus()

    def _describe(self) -> None:
        tz = station_of(self).tz
        what = (
            f"The entries matching the filter ({describe(self.flt, tz)}), oldest first, with "
            "before/after values, hashes and chain positions."
            if self.fmt != "bundle"
            else "The WHOLE trail with its chain, seals and anchors, for `workcell audit verify "
            "--bundle` on any computer (a filtered chain could not be verified)."
        )
        self.query_one("#exp-what", Static).update(what)

    @on(Button.Pressed, "#exp-formats > Button")
    def choose(self, event: Button.Pressed) -> None:
        self.fmt = (event.button.id or "exp-csv").removeprefix("exp-")
        for fmt, _ in self.FORMATS:
            self.query_one(f"#exp-{fmt}", Button).variant = (
                "primary" if fmt == self.fmt else "default"
            )
        self._describe()

    @on(Button.Pressed, "#exp-go")
    @on(Input.Submitted, "#exp-dir")
    def go(self) -> None:
        user = station_of(self).current_user
        if self.running or user is None:
            return
        self.running = True
        directory = Path(self.query_one("#exp-dir", Input).value.strip() or ".")
        fmt, flt, app = self.fmt, self.flt, self.app
        self.query_one("#exp-error", Static).update("")
        self.query_one("#exp-done", Static).update("")
        self.query_one("#exp-go", Button).disabled = True
        self.query_one("#exp-progress").display = True

        def progress(fraction: float, message: str) -> None:
            app.call_from_thread(self._progress, fraction, message)

        call_backend(
            self,
            lambda: self.backend.export_trail(user.username, flt, fmt, directory, progress),
            self._done,
            failed=self._failed,
            group="export",
        )

    def _progress(self, fraction: float, message: str) -> None:
        self.query_one("#exp-progress", ProgressBar).update(progress=round(fraction * 100))
        self.query_one("#exp-step", Static).update(message)

    def _done(self, outcome: ExportOutcome) -> None:
        self.running = False
        self.query_one("#exp-go", Button).disabled = False
        self._progress(1.0, "Finished.")
        text = f"Exported {outcome.rows} entries to {outcome.path}"
        self.query_one("#exp-done", Static).update(
            text + (f"\n{outcome.note}" if outcome.note else "")
        )

    def _failed(self, error: WorkCellError) -> None:
        self.running = False
        self.query_one("#exp-go", Button).disabled = False
        self.query_one("#exp-step", Static).update("")
        self.query_one("#exp-error", Static).update(f"{error.title}: {error.message}")

    @on(Button.Pressed, "#exp-close")
    def close(self) -> None:
        self.dismiss(None)

    def key_escape(self) -> None:
        self.dismiss(None)
