"""The requirements → tests trace matrix, from the test suite's markers.

Tests carry ``@pytest.mark.requirement("11.10(e)", ...)`` (or a module's ``pytestmark``).
`python -m tests.trace` collects them and writes trace_matrix.json into this package (a
generated file, like domain/audit/machinery.json: a plant runs `workcell validate` without
the test suite); the report groups it by clause and lists the clauses no test names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from domain.operations.clauses import CLAUSES

FILE = "trace_matrix.json"


@dataclass(frozen=True)
class Traced:
    clause: str
    title: str
    tests: tuple[tuple[str, str], ...]  # (test id, what it proves: its docstring's first line)


def load() -> dict[str, dict[str, object]]:
    data = resources.files("domain.operations").joinpath(FILE).read_text("utf-8")
    tests: dict[str, dict[str, object]] = json.loads(data)["tests"]
    return tests


def by_clause(tests: dict[str, dict[str, object]] | None = None) -> list[Traced]:
    """Every known clause (tested or not) and any other clause a test names, in order."""
    tests = load() if tests is None else tests
    found: dict[str, list[tuple[str, str]]] = {c: [] for c in CLAUSES}
    for test_id, info in sorted(tests.items()):
        clauses = info.get("clauses", [])
        assert isinstance(clauses, list)
        for clause in clauses:
            found.setdefault(str(clause), []).append((test_id, str(info.get("doc", ""))))
    return [Traced(c, CLAUSES.get(c, ""), tuple(t)) for c, t in found.items()]
