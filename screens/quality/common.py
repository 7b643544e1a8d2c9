"""What the quality screens share: the message line, the refusal shown before any badge,
words for states."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Button, Static

from screens.materials.common import actor, manifestations, refusal, row_height, say

__all__ = ["actor", "manifestations", "offer", "refusal", "row_height", "say", "word"]

WORDS = {
    "open": "OPEN", "completed": "COMPLETED — awaiting QA", "released": "RELEASED",
    "rejected": "REJECTED", "referred": "REFERRED to NCR", "dispositioned": "DISPOSITIONED",
    "closed": "CLOSED", "complete": "COMPLETE", "accept": "ACCEPT", "reject": "REJECT",
    "use_as_is": "use as is", "return_to_supplier": "return to supplier",
    "qa_approved": "QA approval", "engineering_approved": "Engineering approval",
    "management_approved": "Management approval",
}  # fmt: skip


def word(key: str | None) -> str:
    return "—" if key is None else WORDS.get(key, key.replace("_", " "))


def offer(button: Button, why_box: Static, actions: dict[str, str | None], action: str,
          what: str) -> None:  # fmt: skip
    """Show ``button`` when ``action`` is offered; enabled when allowed, else disabled with
    the database's reason in ``why_box`` (before anyone taps a badge)."""
    offered = action in actions
    button.display = offered
    why = actions.get(action)
    button.disabled = why is not None
    why_box.display = offered and why is not None
    # the database's reason quotes stored text: never markup
    why_box.update(Text(f"{what}: not now — {why}" if offered and why else ""))
