"""Stages of the badge + PIN screens (sign-in/lock, signature dialog) without restyling.

A class change on a screen makes Textual restyle every widget on it (~150 ms on a loaded
station); showing and hiding the few widgets a stage concerns costs a fraction of that.
The stage still answers ``screen.has_class("-pin")`` so tests can wait for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.screen import Screen

STAGES = ("-waiting", "-username", "-pin")


def show_stage(screen: Screen[Any], visible: Mapping[str, frozenset[str]], stage: str) -> None:
    """Show each widget (by id) only in the stages listed for it."""
    for widget_id, stages in visible.items():
        for widget in screen.query(f"#{widget_id}"):
            widget.display = stage in stages


def stage_has_class(current: str, names: tuple[str, ...]) -> tuple[bool, tuple[str, ...]]:
    """Split a has_class() question: (stage names all match, the other names to check)."""
    staged = all(name == current for name in names if name in STAGES)
    return staged, tuple(name for name in names if name not in STAGES)
