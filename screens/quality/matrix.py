"""The NCR risk matrix, a controlled record: severity × occurrence → risk class (the grid)
and the approvals each disposition needs per class. QA proposes a new revision (a draft,
copied from the released one; a tap on a cell steps its class minor → major → critical, a
tap on an approval steps what that disposition needs, QA's always among them),
another QA person signs it "approved", which releases it and supersedes the one before.
NCRs raised earlier keep the revision they were classed on. Who may not propose or
approve sees why, before any badge."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Input, Static

from domain.errors import WorkCellError
from domain.views.quality import RISK_CLASSES, RISK_SCALE
from screens.backend import SignatureLine
from screens.base import StationScreen, call_backend
from screens.modals.signature import SignatureModal
from screens.quality.backend import MatrixDetail, MatrixView, QualityBackend
from screens.quality.common import actor, offer, refusal, say, word
from screens.station import fmt_time, station_of
from screens.widgets.columns import fit_columns
from screens.widgets.keyboard import TouchInput
from screens.widgets.printable import literal_label
from screens.widgets.tap_table import TapTable

DISPOSITIONS = ("use_as_is", "rework", "repair", "scrap", "return_to_supplier")
# what a tap on an approval steps through: QA's approval is always one of them (the database's
# CHECK ck_risk_matrix_approval_qa)
APPROVAL_STEPS: tuple[tuple[str, ...], ...] = (
    ("qa_approved",),
    ("qa_approved", "engineering_approved"),
    ("qa_approved", "engineering_approved", "management_approved"),
    ("qa_approved", "management_approved"),
)
Approvals = dict[tuple[str, str], tuple[str, ...]]


class RiskMatrixScreen(StationScreen):
    CSS_PATH = "quality.tcss"
    TITLE_TEXT = "NCR risk matrix"

    def __init__(self, backend: QualityBackend) -> None:
        super().__init__()
        self.backend = backend
        self.detail: MatrixDetail | None = None
        self.editing: dict[tuple[int, int], str] | None = None  # the proposal being edited
        self.editing_approvals: Approvals | None = None  # and its approvals
        self.answers = 0

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(classes="q-scroll", id="rm-scroll"):
            yield Static("Loading…", id="rm-head", classes="q-title", markup=False)
            yield Static("", id="rm-message", classes="q-message", markup=False)
            with Horizontal(classes="q-row", id="rm-edit-row"):
                yield TouchInput(placeholder="What changed and why (the title)", id="rm-title")
                yield Button("Save draft", id="rm-save", variant="primary")
                yield Button("Cancel", id="rm-cancel")
            with Horizontal(classes="q-row", id="rm-actions"):
                yield Button("Propose revision", id="rm-propose", variant="primary")
                yield Button("Approve & release…", id="rm-approve", variant="success")
            yield Static("", id="rm-propose-why", classes="q-why", markup=False)
            yield Static("", id="rm-approve-why", classes="q-why", markup=False)
            with Grid(id="rm-grid"):
                yield Static("sev. \\ occ.", classes="rm-axis")
                for o in RISK_SCALE:
                    yield Static(f"occ. {o}", classes="rm-axis")
                for s in reversed(RISK_SCALE):
                    yield Static(f"sev. {s}", classes="rm-axis")
                    for o in RISK_SCALE:
                        yield Button("", id=f"rm-cell-{s}-{o}", classes="rm-cell")
            yield Static("Approvals an NCR disposition needs, per risk class", classes="q-title")
            yield TapTable(id="rm-approvals", cursor_type="row")
            yield Static("Revisions", classes="q-title")
            yield TapTable(id="rm-revisions", cursor_type="row")

    def on_mount(self) -> None:
        self.load()

    def reopened(self) -> None:
        self.load()

    def load(self) -> None:
        who = actor(self)
        if who is not None:
            call_backend(self, lambda: self.backend.risk_matrix(who), self.show,
                         failed=self._refused)  # fmt: skip

    @property
    def shown(self) -> MatrixView | None:
        """The revision on the grid: the draft when one is proposed, else the released."""
        d = self.detail
        return None if d is None else (d.draft or d.released)

    def show(self, d: MatrixDetail) -> None:
        self.detail = d
        self.answers += 1
        m = d.draft or d.released
        head = (
            f"Draft revision {m.revision} — {m.title} (proposed by {m.created_by}); "
            f"in force: revision {d.released.revision}" if d.draft is not None
            else f"Released revision {m.revision} — {m.title} (by {m.created_by})"
        )  # fmt: skip
        if self.editing is not None:
            head = (
                "Proposing: tap a cell to step its class, an approval to step what it needs"
                f" (* differs from the one in force, revision {d.released.revision})"
            )
        self.query_one("#rm-head", Static).update(head)
        self._paint()
        editing = self.editing is not None
        self.query_one("#rm-edit-row").display = editing
        self.query_one("#rm-actions").display = not editing
        offer(self.query_one("#rm-propose", Button), self.query_one("#rm-propose-why", Static),
              d.actions, "propose", "Propose")  # fmt: skip
        self.query_one("#rm-propose", Button).label = (
            "Edit the draft" if d.draft is not None else "Propose revision"
        )
        offer(self.query_one("#rm-approve", Button), self.query_one("#rm-approve-why", Static),
              d.actions, "approve", "Approve & release")  # fmt: skip
        if editing:
            self.query_one("#rm-propose-why").display = False
            self.query_one("#rm-approve-why").display = False
        self._tables(d, m)

    def _paint(self) -> None:
        m = self.shown
        if m is None:
            return
        cells = self.editing if self.editing is not None else m.cells
        released = self.detail.released.cells if self.detail is not None else {}
        for s in RISK_SCALE:
            for o in RISK_SCALE:
                cls = cells.get((s, o), "")
                button = self.query_one(f"#rm-cell-{s}-{o}", Button)
                changed = cls != released.get((s, o))
                button.label = literal_label(cls.upper() + (" *" if changed else ""))
                button.remove_class(*(f"-{c}" for c in RISK_CLASSES))
                if cls:
                    button.add_class(f"-{cls}")
                button.disabled = self.editing is None

    def _tables(self, d: MatrixDetail, m: MatrixView) -> None:
        approvals = self.query_one("#rm-approvals", DataTable)
        approvals.cursor_type = "cell" if self.editing_approvals is not None else "row"
        shown = self.editing_approvals if self.editing_approvals is not None else m.approvals

        def needs(cls: str, disposition: str) -> str:
            meanings = shown.get((cls, disposition), ())
            text = ", ".join(word(a).removesuffix(" approval") for a in meanings) or "not allowed"
            changed = meanings != d.released.approvals.get((cls, disposition), ())
            return text + (" *" if changed else "")

        rows = [(word(x), *(needs(c, x) for c in RISK_CLASSES)) for x in DISPOSITIONS]
        fitted = fit_columns(approvals, ("Disposition", *RISK_CLASSES), rows, flex=3)
        for disposition, line in zip(DISPOSITIONS, fitted, strict=True):
            approvals.add_row(*line, key=disposition)
        tz = station_of(self).tz
        revisions = self.query_one("#rm-revisions", DataTable)
        cells = [
            (Text(str(r.revision), style="bold"), word(r.status).upper(), r.title, r.created_by,
             fmt_time(r.created_at, tz))
            for r in d.revisions
        ]  # fmt: skip
        fitted = fit_columns(revisions, ("Rev", "Status", "Title", "By", "Made"), cells, flex=2)
        for r, line in zip(d.revisions, fitted, strict=True):
            revisions.add_row(*line, key=str(r.revision))

    # -- proposing --------------------------------------------------------------------------

    @on(Button.Pressed, "#rm-propose")
    def propose(self) -> None:
        m = self.shown
        if m is None or self.detail is None:
            return
        self.editing = dict(m.cells)
        self.editing_approvals = dict(m.approvals)
        self.query_one("#rm-title", Input).value = m.title if self.detail.draft else ""
        self.show(self.detail)

    @on(Button.Pressed, ".rm-cell")
    def step(self, event: Button.Pressed) -> None:
        if self.editing is None:
            return
        _, _, s, o = (event.button.id or "").split("-")
        key = (int(s), int(o))
        now = self.editing.get(key, RISK_CLASSES[-1])
        self.editing[key] = RISK_CLASSES[(RISK_CLASSES.index(now) + 1) % len(RISK_CLASSES)]
        self._paint()

    @on(DataTable.CellSelected, "#rm-approvals")
    def step_approval(self, event: DataTable.CellSelected) -> None:
        approvals = self.editing_approvals
        column = event.coordinate.column
        if approvals is None or column < 1 or self.detail is None:
            return
        key = (RISK_CLASSES[column - 1], str(event.cell_key.row_key.value))
        now = approvals.get(key)
        if now is None:
            allowed = f"{word(key[1])} is not allowed for a {key[0]} NCR here, and stays so."
            say(self.query_one("#rm-message", Static), allowed)
            return
        at = APPROVAL_STEPS.index(now) if now in APPROVAL_STEPS else -1
        approvals[key] = APPROVAL_STEPS[(at + 1) % len(APPROVAL_STEPS)]
        m = self.shown
        if m is not None:
            self._tables(self.detail, m)

    @on(Button.Pressed, "#rm-cancel")
    def cancel(self) -> None:
        self.editing = self.editing_approvals = None
        if self.detail is not None:
            self.show(self.detail)

    @on(Button.Pressed, "#rm-save")
    def save(self) -> None:
        who, cells, m = actor(self), self.editing, self.shown
        title = self.query_one("#rm-title", Input).value
        if who is None or cells is None or m is None:
            return
        approvals = {k: v for k, v in (self.editing_approvals or {}).items()
                     if m.approvals.get(k) != v}  # fmt: skip
        if not title.strip():
            say(self.query_one("#rm-message", Static),
                "Not saved: give the revision a title (what changed and why).")  # fmt: skip
            return
        call_backend(self, lambda: self.backend.propose_matrix(who, title, dict(cells), approvals),
                     self._saved, failed=self._refused)  # fmt: skip

    def _saved(self, d: MatrixDetail) -> None:
        self.editing = self.editing_approvals = None
        rev = d.draft.revision if d.draft is not None else d.released.revision
        say(self.query_one("#rm-message", Static),
            f"Draft revision {rev} saved: another QA person approves it.", "ok")  # fmt: skip
        self.show(d)

    # -- approving --------------------------------------------------------------------------

    @on(Button.Pressed, "#rm-approve")
    def approve(self) -> None:
        who = actor(self)
        d = self.detail
        if who is None or d is None or d.draft is None:
            return
        revision = d.draft.revision
        call_backend(
            self,
            lambda: self.backend.matrix_signing(who, revision),
            lambda s: self.app.push_screen(SignatureModal(s), self._signed),
            failed=self._refused,
        )

    def _signed(self, signature: SignatureLine | None) -> None:
        if signature is not None:
            say(self.query_one("#rm-message", Static),
                f"Signed {signature.meaning} by {signature.printed_name}: the new revision is"
                " in force.", "ok")  # fmt: skip
        self.load()

    def _refused(self, error: WorkCellError) -> None:
        self.answers += 1
        refusal(self.query_one("#rm-message", Static), error)
