"""The validation report: the checks and the trace matrix as a PDF/A-3b with the results
attached as JSON (the batch record's machinery: domain/records/render.pdf_of)."""

from __future__ import annotations

import getpass
import importlib.metadata
import socket
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from domain.operations import trace
from domain.operations.checks import Check
from domain.records import canonical
from domain.records.render import _css_string, pdf_of

TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class Run:
    installation: str
    database: str
    server: str
    build_head: str
    started: str
    finished: str
    anchor_source: str
    checks: tuple[Check, ...]
    oq_run: bool
    version: str = field(default_factory=lambda: _version())
    host: str = field(default_factory=socket.gethostname)
    user: str = field(default_factory=getpass.getuser)
    trace_tests: int = 0

    @property
    def passed(self) -> bool:
        return self.oq_run and all(c.passed for c in self.checks)

    @property
    def counts(self) -> dict[str, int]:
        ok = sum(c.passed for c in self.checks)
        return {"total": len(self.checks), "passed": ok, "failed": len(self.checks) - ok}


def _version() -> str:
    try:
        return importlib.metadata.version("workcell")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def results_json(run: Run, matrix: list[trace.Traced]) -> bytes:
    data: dict[str, Any] = asdict(run)
    data.update(passed=run.passed, counts=run.counts)
    data["trace"] = [asdict(t) for t in matrix]
    return canonical.dumps(data)


def render(run: Run) -> tuple[bytes, bytes, int]:
    """(PDF, its attached JSON, pages)."""
    import jinja2

    tests = trace.load()
    matrix = trace.by_clause(tests)
    run = replace(run, trace_tests=len(tests))
    twin = results_json(run, matrix)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    html = env.get_template("validation.html").render(
        run=run, trace=matrix, json_sha256=canonical.sha256_hex(twin), css=_css_string
    )
    pdf, pages = pdf_of(html, TEMPLATES, twin, "validation.json")
    return pdf, twin, pages
