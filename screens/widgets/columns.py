"""Columns sized by their content, one of them taking the width that is left.

At 80 columns a long value (a 460-character description, a list of roles) ends in an
ellipsis instead of pushing the other columns off-screen; at 160 columns the flexible
column uses the width. Every cell becomes a one-line-per-line `Text` with
``overflow="ellipsis"``, keeping its style.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

CELL_PADDING = 2  # DataTable's default cell_padding of 1 on each side


def as_text(cell: object) -> Text:
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def _width(cell: object) -> int:
    plain = cell.plain if isinstance(cell, Text) else str(cell)
    return max((len(line) for line in plain.splitlines()), default=0)


def fit_columns(
    table: DataTable[Any],
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    flex: int,
    width: int | None = None,
    most: int = 30,
    least: int = 20,
    keep: Sequence[int] = (),
) -> list[list[Text]]:
    """Replace ``table``'s columns by ``headers`` sized to ``rows`` (others at most ``most``
    wide, column ``flex`` the rest of ``width``, default the screen's, and at least
    ``least`` when its content is that long: the widest others not in ``keep`` give way)
    and return the
    rows as cells ready for ``add_row``. The caller adds the rows (with keys and heights)."""
    available = (width if width is not None else table.app.size.width - 4) - CELL_PADDING * len(
        headers
    )
    widths = [
        max(len(h), *(_width(r[i]) for r in rows)) if rows else len(h)
        for i, h in enumerate(headers)
    ]
    for i, h in enumerate(headers):
        if i != flex:
            widths[i] = min(widths[i], max(len(h), most))
    room = min(widths[flex], least)  # what the flexible column needs at the least
    while sum(w for i, w in enumerate(widths) if i != flex) + room > available:
        # narrow the widest other column, never below its header
        shrinkable = [
            i for i, h in enumerate(headers) if i != flex and i not in keep and widths[i] > len(h)
        ]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: widths[i])
        widths[widest] -= 1
    others = sum(w for i, w in enumerate(widths) if i != flex)
    widths[flex] = max(len(headers[flex]), min(widths[flex], available - others))
    table.clear(columns=True)
    for header, w in zip(headers, widths, strict=True):
        table.add_column(header, width=w)
    return [[as_text(c) for c in r] for r in rows]
