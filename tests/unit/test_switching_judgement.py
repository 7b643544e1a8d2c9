"""The move QA may make by judgement, said before a reason is typed (the same cases as
workcell.switching_move, which checks them again: tests/integration/test_quality_switching.py)."""

from __future__ import annotations

import pytest

from domain.services.quality.switching import judgement_move
from domain.views.quality import SwitchingView


def _view(status: str, score: int = 0) -> SwitchingView:
    return SwitchingView("ITEM", "SUP", status, score, "", 0, "", ())


@pytest.mark.parametrize(
    ("status", "score", "permitted", "expected"),
    [
        ("normal", 30, True, ("reduced", None)),
        ("normal", 29, True, ("reduced", "reduced needs a switching score of 30 (it is 29).")),
        ("reduced", 0, True, ("normal", None)),
        ("discontinued", 0, True, ("tightened", None)),
        ("tightened", 50, True, None),  # only the lots move it
    ],
)
def test_the_move_from_each_state(
    status: str, score: int, permitted: bool, expected: tuple[str, str | None] | None
) -> None:
    assert judgement_move(_view(status, score), permitted) == expected


def test_without_the_permission_the_move_is_named_and_refused() -> None:
    to, why = judgement_move(_view("normal", 40), permitted=False) or ("", None)
    assert to == "reduced" and why is not None and "quality.switching" in why
