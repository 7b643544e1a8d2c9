"""Helpers shared by the admin, security and audit screens."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from screens.backend import SignedInUser
from screens.station import station_of

ROLE_PERMISSION = {
    "user.administer": "an administrator",
    "security.view": "a supervisor, QA, an administrator or an auditor",
    "audit.view": "a supervisor, QA, an administrator or an auditor",
}


def permitted(node: Widget, permission: str) -> SignedInUser | None:
    """The signed-in person if they hold ``permission``; otherwise show why not and None.

    The screens refuse on their own (not only by hiding the home tile), and the backend
    checks again on every call: a screen reached some other way still shows nothing.
    """
    user = station_of(node).current_user
    if user is not None and user.may(permission):
        return user
    who = user.printed_name if user else "Nobody"
    needed = ROLE_PERMISSION.get(permission, f"the {permission} permission")
    refusal = (
        f"Not allowed: {who} may not use this screen. It is for {needed}. "
        "Ask an administrator if you need it."
    )
    for banner in node.query(".refusal").results(Static):
        banner.update(Text(refusal))  # a printed name is stored text, never markup
        banner.display = True
    node.app.notify(refusal, title="Not allowed", severity="error", timeout=8)
    return None
