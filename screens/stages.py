"""Stages of the badge + PIN screens (sign-in/lock, signature dialog) without restyling.

A class change on a screen makes Textual restyle every widget on it (~150 ms on a loaded
station); showing and hiding the few widgets a stage concerns costs a fraction of that.
Such a screen keeps its stage in ``stage_name``; tests wait for it with `at_stage`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from textual.screen import Screen

STAGES = ("-waiting", "-username", "-pin")


def show_stage(screen: Screen[Any], visible: Mapping[str, frozenset[str]], stage: str) -> None:
    """Show each widget (by id) only in the stages listed for it."""
    for widget_id, stages in visible.items():
        for widget in screen.query(f"#{widget_id}"):
            widget.display = stage in stages


@runtime_checkable
class Staged(Protocol):
    """A badge + PIN screen: which of STAGES it shows."""

    stage_name: str


def at_stage(screen: object, stage: str) -> bool:
    """Whether ``screen`` is a badge + PIN screen showing ``stage`` ("-pin"...)."""
    return isinstance(screen, Staged) and screen.stage_name == stage
