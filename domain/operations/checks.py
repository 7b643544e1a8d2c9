"""One qualification check as the report lists it: what was expected, what was found."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    id: str  # IQ-01, OQ-07 ...
    stage: str  # "IQ" or "OQ"
    title: str
    requirement: str  # what must hold, in the plant's words
    clauses: tuple[str, ...]  # Part 11 / Annex 11 (../shared/PART11.md)
    expected: str
    actual: str
    passed: bool

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"


@dataclass(frozen=True)
class Spec:
    """A check before it runs: ``run`` returns (actual, passed)."""

    id: str
    title: str
    requirement: str
    clauses: tuple[str, ...]
    expected: str
    run: Callable[[], tuple[str, bool]]


def execute(stage: str, specs: list[Spec]) -> list[Check]:
    """Run each check; one that cannot run fails with the reason (it proved nothing)."""
    results = []
    for s in specs:
        try:
            actual, passed = s.run()
        except Exception as exc:  # a check that cannot run is a failed check, named
            actual, passed = f"could not run: {type(exc).__name__}: {exc}", False
        results.append(
            Check(s.id, stage, s.title, s.requirement, s.clauses, s.expected, actual, passed)
        )
    return results


def listed(items: list[str], limit: int = 12) -> str:
    """Items for the 'actual' column; long lists cut with a count."""
    if len(items) <= limit:
        return "; ".join(items)
    return "; ".join(items[:limit]) + f"; ... and {len(items) - limit} more"
