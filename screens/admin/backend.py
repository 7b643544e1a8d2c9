"""What the admin and security-event screens need from the station (kiosk/admin_backend.py).

Every method may block (database, argon2): screens call them from thread workers only.
Writes never happen directly: ``admin_action`` returns a `Confirmation` that the
re-authentication dialog drives, so no administrator action runs without badge/card + PIN.
(Security events are acknowledged with a real signature: a `Signable`.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from screens.backend import Confirmation, Signable

# Administrator actions (AdminRequest.action).
ADD_USER = "add-user"
GRANT_ROLE = "grant-role"
REVOKE_ROLE = "revoke-role"
ISSUE_BADGE = "issue-badge"
REPLACE_BADGE = "replace-badge"
REVOKE_BADGE = "revoke-badge"
RESET_PIN = "reset-pin"
UNLOCK = "unlock"
LOCK = "lock"
DISABLE = "disable"
VERIFY_IDENTITY = "verify-identity"


@dataclass(frozen=True)
class UserRow:
    username: str
    printed_name: str
    status: str
    roles: tuple[str, ...]
    active_badges: int
    revoked_badges: int
    pin: str  # none | temporary | own
    failed_attempts: int
    identity_verified: bool = False
    user_id: int = 0


@dataclass(frozen=True)
class BadgeRow:
    id: int
    issued_at: dt.datetime
    revoked_at: dt.datetime | None
    revoke_reason: str | None
    replaces_id: int | None


@dataclass(frozen=True)
class UserCard:
    user: UserRow
    badges: tuple[BadgeRow, ...]


@dataclass(frozen=True)
class AdminRequest:
    """One administrator action, fully described before anyone re-authenticates."""

    action: str
    username: str
    reason: str = ""  # for verify-identity: how the identity was checked
    role: str | None = None
    roles: tuple[str, ...] = ()
    printed_name: str = ""
    badge_id: int | None = None
    badge_uid: str | None = field(default=None, repr=False)  # a card id is never logged
    pin: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SecurityEventRow:
    id: int
    at: dt.datetime
    kind: str
    username: str | None
    printed_name: str | None
    station: str
    detail: str
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None


class AdminBackend(Protocol):
    """Users, roles, badges and PINs: read freely (with user.administer), write via re-auth."""

    def list_users(
        self, actor: str, search: str, role: str | None, status: str | None
    ) -> list[UserRow]: ...

    def user_card(self, actor: str, username: str) -> UserCard: ...

    def role_names(self) -> tuple[str, ...]: ...

    def check_request(self, actor: str, request: AdminRequest) -> None:
        """Refuse (a WorkCellError saying why) what can be judged before the administrator's
        badge and PIN, for a request complete or in part: an invalid or taken username, a
        missing name, a card ever issued, a PIN the policy refuses, and, once the request
        is complete, whatever the database's rules refuse (tried, never committed)."""
        ...

    def admin_action(self, actor: str, request: AdminRequest) -> Confirmation:
        """The pending action; performed only when the dialog's badge + PIN are accepted."""
        ...


class SecurityBackend(Protocol):
    """Security events (security.view) and their signed acknowledgement."""

    def security_events(
        self, actor: str, *, unacknowledged_only: bool, limit: int
    ) -> list[SecurityEventRow]: ...

    def acknowledgement(self, actor: str, event_id: int) -> Signable: ...

    def acknowledgements(self, actor: str, event_ids: Sequence[int]) -> Signable:
        """Several events signed 'acknowledged' with one badge + PIN (all or none)."""
        ...
