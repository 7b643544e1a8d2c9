"""How the user-detail screen's reason dialogs read: title, question, one-tap presets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from screens.admin import backend as ab


@dataclass(frozen=True)
class ReasonSpec:
    """How a reason dialog reads: title, question, one-tap presets, OK label."""

    title: str
    text: str
    presets: tuple[str, ...] = ()
    ok: str = "Next"


STATE_REASONS: dict[str, Callable[[str], ReasonSpec]] = {
    ab.RESET_PIN: lambda n: ReasonSpec(
        f"Reset PIN: {n}", "Why?", ("Forgotten PIN", "PIN may be known to others")
    ),
    ab.UNLOCK: lambda n: ReasonSpec(f"Unlock: {n}", "Why?", ("Identity confirmed in person",)),
    ab.LOCK: lambda n: ReasonSpec(f"Lock: {n}", "Why?", ("Suspected misuse", "Extended absence")),
    ab.DISABLE: lambda n: ReasonSpec(f"Disable: {n}", "Why?", ("Left company", "Role ended")),
    ab.VERIFY_IDENTITY: lambda n: ReasonSpec(
        f"Verify the identity of {n}",
        "How was it checked? (11.100(b): before anyone signs)",
        ("Photo ID checked", "Passport checked"),
    ),
}
