"""Regenerate domain/operations/trace_matrix.json from the suite's requirement markers.

    .venv/bin/python -m tests.trace        (collects the suite; runs no test)
Run after adding or changing a ``@pytest.mark.requirement(...)``; the lead regenerates it at
merge like machinery.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

TARGET = Path(__file__).resolve().parents[1] / "domain" / "operations" / "trace_matrix.json"


class _Collector:
    def __init__(self) -> None:
        self.tests: dict[str, dict[str, Any]] = {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            clauses = [str(c) for m in item.iter_markers("requirement") for c in m.args]
            if not clauses:
                continue
            doc = getattr(getattr(item, "obj", None), "__doc__", None) or ""
            first = " ".join(doc.strip().split("\n\n", 1)[0].split())  # its first paragraph
            name = item.nodeid.split("[", 1)[0]  # parametrised cases are one test here
            entry = self.tests.setdefault(name, {"clauses": [], "doc": first})
            entry["clauses"] = sorted(set(entry["clauses"]) | set(clauses))


def collect(paths: list[str]) -> dict[str, dict[str, Any]]:
    collector = _Collector()
    code = pytest.main(["--collect-only", "-q", "-p", "no:randomly", *paths], plugins=[collector])
    if code not in (0, 5):
        raise SystemExit(f"collection failed ({code})")
    return collector.tests


def main() -> None:
    tests = collect(sys.argv[1:] or ["tests"])
    TARGET.write_text(
        json.dumps({"generated_by": "python -m tests.trace", "tests": tests}, indent=1,
                   sort_keys=True, ensure_ascii=False) + "\n",
        "utf-8",
    )  # fmt: skip
    print(f"{TARGET}: {len(tests)} tests name a requirement", file=sys.stderr)


if __name__ == "__main__":
    main()
