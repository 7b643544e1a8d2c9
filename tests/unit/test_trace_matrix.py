"""The packaged trace matrix (domain/operations/trace_matrix.json, `python -m tests.trace`)
names real tests and known clauses only, so the validation report never traces to a test
that is gone or to a mistyped clause."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.operations import trace
from domain.operations.clauses import CLAUSES

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.requirement("11.10(a)")


def test_every_traced_test_exists_and_every_clause_is_known() -> None:
    """Each entry's file holds a function of that name; each clause is in clauses.py."""
    tests = trace.load()
    assert len(tests) > 200
    for test_id, info in tests.items():
        path, _, name = test_id.partition("::")
        source = (ROOT / path).read_text("utf-8")
        assert f"def {name.split('::')[-1]}(" in source, test_id
        assert set(info["clauses"]) <= set(CLAUSES), (test_id, info["clauses"])


def test_the_matrix_lists_untested_clauses_too() -> None:
    """by_clause lists every known clause, tested or not, in the clause list's order."""
    rows = trace.by_clause({"t.py::test_x": {"clauses": ["11.70"], "doc": "binds"}})
    assert [r.clause for r in rows] == list(CLAUSES)
    assert {r.clause: r.tests for r in rows}["11.70"] == (("t.py::test_x", "binds"),)
    assert {r.clause: r.tests for r in rows}["11.10(i)"] == ()
