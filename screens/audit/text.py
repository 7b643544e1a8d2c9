"""How the audit screens write an operation and a table (shared by the browser and the
entry screen, which import each other's screens no longer)."""

from __future__ import annotations

from rich.text import Text

OP_STYLE = {"INSERT": "bold green", "UPDATE": "bold yellow", "DELETE": "bold red"}


def op_text(operation: str) -> Text:
    return Text(operation, style=OP_STYLE.get(operation, "bold"))


def short_table(name: str) -> str:
    return name.removeprefix("workcell.")
