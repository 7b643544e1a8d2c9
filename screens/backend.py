"""What the screens need from the station, as one small Protocol per area.

Screens never see a Session, a UnitOfWork or an ORM object: they call these methods
(always from a thread worker, since every one may block on the database or on argon2) and
receive frozen dataclasses. `kiosk/backend.py` implements them on the domain services.

Later areas add their own protocol in their own module (e.g. ``screens/engineering/backend.py``)
and their own implementation in ``kiosk/``; nothing here needs editing for that.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the sign-in screen needs no SQLAlchemy (start-up time)
    from domain.views.items import NewItem


@dataclass(frozen=True)
class Proof:
    """What a person presented: badge/card UID (or username) plus PIN. Never stored."""

    pin: str
    badge_uid: str | None = None
    username: str | None = None

    def __repr__(self) -> str:  # the PIN must never reach a log line
        return f"Proof(badge_uid={self.badge_uid!r}, username={self.username!r}, pin=***)"


@dataclass(frozen=True)
class BadgeHolder:
    """What the screens show once a badge is read, before the PIN. The database names a
    badge's holder only to the PIN that proves it, so this is neutral ("Badge read")."""

    username: str
    printed_name: str


@dataclass(frozen=True)
class SignedInUser:
    username: str
    printed_name: str
    roles: frozenset[str] = frozenset()
    permissions: frozenset[str] = frozenset()
    must_change_pin: bool = False
    # the database session's idle time (workcell.identity_policy.session_idle_s): the
    # station locks before the database would end the session
    idle_s: int | None = None

    def may(self, permission: str | None) -> bool:
        return permission is None or permission in self.permissions


@dataclass(frozen=True)
class RecordToSign:
    """The human description of exactly what a signature will bind to."""

    title: str
    version: int
    lines: tuple[str, ...]
    meaning: str
    content_hash: str = ""  # what the database will bind the signature to (SHA-256)


@dataclass(frozen=True)
class SignatureLine:
    """A signature's manifestation: printed name, date/time with zone, meaning."""

    printed_name: str
    username: str
    meaning: str
    signed_at: dt.datetime
    comment: str | None = None
    valid: bool = True


class Signable(Protocol):
    """One pending signature. An area backend builds it; `SignatureModal` drives it."""

    @property
    def meaning(self) -> str: ...

    def describe(self) -> RecordToSign: ...

    def sign(self, proof: Proof, comment: str | None) -> SignatureLine: ...


@dataclass(frozen=True)
class ActionToConfirm:
    """What an administrator action will change, line by line. Nothing is signed: there is
    no record version or content hash, so none is pretended."""

    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class ActionDone:
    """An administrator action performed: who confirmed it with badge + PIN, what was done
    ("Badge 12 issued to olivia"), and when (server time)."""

    printed_name: str
    username: str
    done: str
    at: dt.datetime


class Confirmation(Protocol):
    """One pending administrator action. `ReauthModal` (screens/admin/reauth.py) shows it and
    hands over the administrator's fresh proof; the backend re-authenticates and acts."""

    @property
    def meaning(self) -> str: ...  # "issue badge", "lock"

    def describe(self) -> ActionToConfirm: ...

    def confirm(self, proof: Proof) -> ActionDone: ...


class SessionBackend(Protocol):
    """Sign-in, sign-out, badge look-up and the server's clock."""

    def identify_badge(self, uid: str) -> BadgeHolder:
        """What to show while the PIN is asked for (never who holds the badge)."""
        ...

    def sign_in(self, proof: Proof) -> SignedInUser: ...

    def sign_out(self, username: str, reason: str) -> None:
        """End the person's session at this station (sign-out, lock, idle lock, take-over)."""
        ...

    def keep_alive(self, username: str) -> None:
        """The person is busy at the station: keep their database session from idling out
        (AttributionError when it has ended: locked or disabled by an administrator)."""
        ...

    def change_pin(self, proof: Proof, new_pin: str) -> None:
        """Replace the PIN (``proof`` carries the current one) when the service asks for it."""
        ...

    def server_time(self) -> dt.datetime: ...


@dataclass(frozen=True)
class Draft:
    """Unsaved input parked for its owner on this station (see docs/kiosk.md)."""

    id: int
    screen: str
    summary: str
    payload: dict[str, Any] = field(default_factory=dict)
    parked_at: dt.datetime | None = None


class DraftsBackend(Protocol):
    """Drafts: unsaved input of a user who was signed out by another user's sign-in."""

    def park(
        self, actor: str, owner: str, parked: list[tuple[str, str, dict[str, Any]]]
    ) -> list[Draft]:
        """Park ``owner``'s input (screen, summary, payload per screen); ``actor`` is the
        person whose sign-in displaced them."""
        ...

    def drafts_for(self, owner: str) -> list[Draft]: ...

    def resume(self, owner: str, draft_id: int) -> Draft: ...

    def discard(self, owner: str, draft_id: int) -> None: ...


@dataclass(frozen=True)
class ItemRow:
    item_number: str
    description: str
    item_type: str
    unit: str
    status: str
    version: int


@dataclass(frozen=True)
class ItemDetail:
    item: ItemRow
    facts: tuple[tuple[str, str], ...]
    signatures: tuple[SignatureLine, ...]
    can_approve: bool
    # why the signed-in person may not approve it (the database's signing rules, asked
    # before anyone taps a badge); None: they may
    approve_refusal: str | None = None


class ItemsBackend(Protocol):
    """Item master data on the floor: list, show with signatures, approve."""

    def list_items(self, actor: str, search: str) -> list[ItemRow]: ...

    def item_detail(self, actor: str, item_number: str) -> ItemDetail: ...

    def create_item(self, actor: str, item: NewItem) -> ItemRow: ...

    def approval(self, actor: str, item_number: str, version: int) -> Signable:
        """Build the pending approval; no database work until the dialog asks."""
        ...
