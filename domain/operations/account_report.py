"""The periodic account review as a printed record (§11.300(b)): every person with roles,
state, last sign-in and last use, dormant or not, with a reviewer's sign-off block; a
PDF/A-3b with the rows attached as JSON (the validation report's machinery and style:
domain/records/render.pdf_of, templates/validation.css)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from domain.operations.report import TEMPLATES
from domain.records import canonical
from domain.records.render import _css_string, pdf_of
from domain.services.account_controls import ReviewRow


@dataclass(frozen=True)
class ReviewReport:
    database: str
    generated_at: str  # the database server's time, ISO 8601
    generated_by: str  # the person signed in for the command
    dormant_after_days: int
    people: tuple[ReviewRow, ...]

    @property
    def dormant(self) -> int:
        return sum(p.dormant for p in self.people)


def render(report: ReviewReport) -> tuple[bytes, bytes, int]:
    """(PDF, its attached JSON, pages)."""
    import jinja2

    twin = canonical.dumps({**asdict(report), "people": [asdict(p) for p in report.people]})
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
        undefined=jinja2.StrictUndefined,
    )  # fmt: skip
    html = env.get_template("account_review.html").render(
        report=report, json_sha256=canonical.sha256_hex(twin), css=_css_string, day=_day
    )
    pdf, pages = pdf_of(html, TEMPLATES, twin, "account_review.json")
    return pdf, twin, pages


def _day(value: object) -> str:
    return "never" if value is None else str(value)[:16]


__all__: Sequence[str] = ("ReviewReport", "render")
