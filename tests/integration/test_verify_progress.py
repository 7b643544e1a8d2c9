"""The integrity screen's verify (with progress) finds what `workcell audit verify` finds."""

from __future__ import annotations

from domain.audit import verify
from domain.audit.browse import verify_with_progress


def test_verify_with_progress_agrees_with_verify_and_reports_progress(app_engine):
    """Same checks, same snapshot rules: same counts and problems; progress rises to 1.0."""
    steps: list[tuple[float, str]] = []
    shown = verify_with_progress(app_engine, (), 60.0, lambda f, m: steps.append((f, m)))
    plain = verify.verify(app_engine, (), 60.0)
    assert (shown.entries, shown.chained) == (plain.entries, plain.chained)
    assert [p.kind for p in shown.problems] == [p.kind for p in plain.problems]
    assert shown.warnings == plain.warnings
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(steps) >= 5
