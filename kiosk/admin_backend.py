"""The station's implementation of the admin and security-event protocols
(screens/admin/backend.py) on the identity services.

An administrator action is a `Confirmation`: ``describe()`` says exactly what will happen,
``confirm(proof)`` re-authenticates the signed-in administrator and performs the
action in the same transaction (actor = that administrator, reason = the one given), so
the audit trail shows who did it, when, why, and that they proved it was them. The
database checks the proof: an unlock passes it to workcell.unlock_user; every other
action signs the administrator in afresh in its own transaction (user_admin.reauthenticate)
and the station keeps that new session once the action has committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import InvalidInput, NotFound
from domain.services import (
    access,
    account_controls,
    identity_admin,
    security,
    signatures,
    user_admin,
    users,
)
from domain.services.identity import Credentials, IdentityPolicy
from domain.services.pin_policy import check_new_pin
from domain.services.signatures import RecordRef
from domain.uow import UnitOfWork
from kiosk.backend import credentials, record_to_sign, signature_line
from kiosk.sessions import SessionBook, end_session
from kiosk.settings import StationSettings
from screens.admin import backend as ab
from screens.backend import ActionDone, ActionToConfirm, Proof, RecordToSign, SignatureLine


def user_row(row: user_admin.PersonRow) -> ab.UserRow:
    return ab.UserRow(
        row.username,
        row.printed_name,
        row.status,
        row.roles,
        row.active_badges,
        row.revoked_badges,
        row.pin,
        row.failed_attempts,
        row.identity_verified,
        row.user_id,
    )


class AdminStationBackend:
    """Implements AdminBackend and SecurityBackend for one station."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: StationSettings,
        *,
        sessions: SessionBook | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.settings = settings
        self.station = settings.name
        self.policy = IdentityPolicy.from_settings(settings)
        self.sessions = sessions or SessionBook(session_factory)

    def uow(self, actor: str, reason: str | None = None) -> UnitOfWork:
        """A unit of work in ``actor``'s database session (AttributionError: sign in first)."""
        return UnitOfWork(self.session_factory, self.sessions.require(actor), reason)

    # -- AdminBackend ----------------------------------------------------------------------

    def list_users(
        self, actor: str, search: str, role: str | None, status: str | None
    ) -> list[ab.UserRow]:
        with self.uow(actor) as uow:
            rows = user_admin.list_people(uow, search=search, role=role, status=status)
        return [user_row(r) for r in rows]

    def user_card(self, actor: str, username: str) -> ab.UserCard:
        with self.uow(actor) as uow:
            row = user_admin.person(uow, username)
            badges = identity_admin.list_badges(uow, username)
        return ab.UserCard(
            user_row(row),
            tuple(
                ab.BadgeRow(b.id, b.issued_at, b.revoked_at, b.revoke_reason, b.replaces_id)
                for b in reversed(badges)
            ),
        )

    def role_names(self) -> tuple[str, ...]:
        return access.ROLES

    def check_request(self, actor: str, request: ab.AdminRequest) -> None:
        if request.action == ab.ADD_USER:
            self._check_new_user(actor, request)
            return
        if request.pin is not None:
            check_new_pin(self.policy, request.pin)
        with self.uow(actor) as uow:
            if request.badge_uid is not None:
                identity_admin.check_card_unissued(uow, request.badge_uid)
            if request.action in DRY_RUN and _complete(request):
                # The database's own rules (no self-service, the last administrator stays,
                # a revoked badge stays revoked...), in a transaction that is never
                # committed: the screens and this backend hold no copy of them.
                ACTIONS[request.action][1](uow, request, Confirmed(self.policy, None, self.station))

    def _check_new_user(self, actor: str, request: ab.AdminRequest) -> None:
        name = users.normalise_username(request.username)  # InvalidInput names the rule
        if not request.printed_name.strip():
            raise InvalidInput("The printed name is needed: it appears on every signature.")
        if len(request.printed_name.strip()) > PRINTED_NAME_MAX:
            raise InvalidInput(f"A printed name has at most {PRINTED_NAME_MAX} characters.")
        with self.uow(actor) as uow:
            try:
                existing = users.get_user(uow, name)
            except NotFound:
                return
        raise InvalidInput(
            f"The username {name} is taken (by {existing.printed_name}, {existing.status}); "
            "usernames are never reused. Choose another."
        )

    def admin_action(self, actor: str, request: ab.AdminRequest) -> AdminAction:
        return AdminAction(self, actor, request)

    # -- SecurityBackend -------------------------------------------------------------------

    def security_events(
        self, actor: str, *, unacknowledged_only: bool, limit: int
    ) -> list[ab.SecurityEventRow]:
        with self.uow(actor) as uow:
            views = security.list_security_events(
                uow, unacknowledged_only=unacknowledged_only, limit=limit
            )
        return [
            ab.SecurityEventRow(
                v.id,
                v.at,
                v.kind,
                v.username,
                v.printed_name,
                v.station,
                v.detail,
                v.acknowledged_by,
                v.acknowledged_at,
            )
            for v in views
        ]

    def acknowledgement(self, actor: str, event_id: int) -> EventAcknowledgement:
        return EventAcknowledgement(self, actor, event_id)

    def acknowledgements(self, actor: str, event_ids: Sequence[int]) -> EventsAcknowledgement:
        return EventsAcknowledgement(self, actor, tuple(event_ids))


@dataclass(frozen=True)
class EventAcknowledgement:
    """A pending signed acknowledgement of one security event."""

    backend: AdminStationBackend
    actor: str
    event_id: int
    meaning: str = "acknowledged"
    shown: dict[str, RecordToSign] = field(default_factory=dict)  # what the dialog showed

    def describe(self) -> RecordToSign:
        with self.backend.uow(self.actor) as uow:
            access.require_permission(uow, "security.view")
            s = signatures.describe_record(uow, RecordRef("security_event", self.event_id))
        self.shown["record"] = record = record_to_sign(s, self.meaning)
        return record

    def sign(self, proof: Proof, comment: str | None) -> SignatureLine:
        b = self.backend
        reason = f"security event {self.event_id} acknowledged"
        shown = self.shown.get("record")
        with b.uow(self.actor, reason=reason) as uow:
            view = security.acknowledge_event(
                uow,
                self.event_id,
                credentials(proof),
                station=b.station,
                policy=b.policy,
                comment=comment,
                expected_version=shown.version if shown else None,
                expected_hash=shown.content_hash if shown else None,
            )
            uow.commit()
        return signature_line(view)


@dataclass(frozen=True)
class EventsAcknowledgement:
    """Several security events signed 'acknowledged' with one badge + PIN: the dialog lists
    each event as shown (version, content hash); the signing function signs all or none."""

    backend: AdminStationBackend
    actor: str
    event_ids: tuple[int, ...]
    meaning: str = "acknowledged"
    shown: dict[int, RecordToSign] = field(default_factory=dict)

    def describe(self) -> RecordToSign:
        with self.backend.uow(self.actor) as uow:
            access.require_permission(uow, "security.view")
            for event_id in self.event_ids:
                s = signatures.describe_record(uow, RecordRef("security_event", event_id))
                self.shown[event_id] = record_to_sign(s, self.meaning)
        lines = tuple(
            f"• {r.title} (version {r.version})" for r in (self.shown[i] for i in self.event_ids)
        )
        title = f"{len(self.event_ids)} security events, one signature each"
        return RecordToSign(title, 0, lines, self.meaning)

    def sign(self, proof: Proof, comment: str | None) -> SignatureLine:
        b = self.backend
        reason = f"security events {', '.join(map(str, self.event_ids))} acknowledged"
        shown = [
            (i, r.version if r else None, r.content_hash if r else None)
            for i, r in ((i, self.shown.get(i)) for i in self.event_ids)
        ]
        with b.uow(self.actor, reason=reason) as uow:
            access.require_permission(uow, "security.view")
            views = security.acknowledge_events(
                uow, shown, credentials(proof), station=b.station, comment=comment
            )
            uow.commit()
        return signature_line(views[0])


_NOW = select(func.now())
PRINTED_NAME_MAX = 200  # as the database's add-user function


@dataclass(frozen=True)
class Confirmed:
    """What an action needs besides the request: the station's policy, and the
    administrator's fresh proof (an unlock hands it to the database itself; None in a dry
    run before the proof exists)."""

    policy: IdentityPolicy
    creds: Credentials | None
    station: str


# What each action does, and how it reads on the confirmation dialog.
Perform = Callable[[UnitOfWork, ab.AdminRequest, Confirmed], str]


def _add_user(uow: UnitOfWork, r: ab.AdminRequest, c: Confirmed) -> str:
    row = user_admin.add_person(uow, r.username, r.printed_name, r.roles)
    return f"User {row.username} added ({', '.join(row.roles) or 'no roles'})."


def _grant(uow: UnitOfWork, r: ab.AdminRequest, c: Confirmed) -> str:
    access.grant_role(uow, r.username, r.role or "")
    return f"{r.username} now has the {r.role} role."


def _revoke(uow: UnitOfWork, r: ab.AdminRequest, c: Confirmed) -> str:
    access.revoke_role(uow, r.username, r.role or "", r.reason)
    return f"The {r.role} role was taken from {r.username}."


def _issue(uow: UnitOfWork, r: ab.AdminRequest, c: Confirmed) -> str:
    badge = identity_admin.add_badge(uow, r.username, r.badge_uid or "")
    return f"Badge {badge.id} issued to {r.username}."


# A card reported lost or stolen may be in someone else's hand: revoked as lost, which also
# ends its holder's badge sessions at every station (account_controls.report_badge_lost).
MISSING = ("reported lost", "lost", "stolen")


def _revoke_or_lost(uow: UnitOfWork, badge_id: int, reason: str) -> None:
    if reason.strip().lower().startswith(MISSING):
        account_controls.report_badge_lost(uow, badge_id, reason)
    else:
        identity_admin.revoke_badge(uow, badge_id, reason)


def _replace(uow: UnitOfWork, r: ab.AdminRequest, c: Confirmed) -> str:
    if r.badge_id is None:
        raise InvalidInput("Choose the badge to replace.")
    _revoke_or_lost(uow, r.badge_id, r.reason)
    badge = identity_admin.add_badge(
        uow, r.username, r.badge_uid or "", replaces_badge_id=r.badge_id
    )
    return f"Badge {r.badge_id} revoked and replaced by badge {badge.id} for {r.username}."


def _revoke_badge(uow: UnitOfWork, r: ab.AdminRequest, c: Confirmed) -> str:
    if r.badge_id is None:
        raise InvalidInput("Choose the badge to revoke.")
    _revoke_or_lost(uow, r.badge_id, r.reason)
    return f"Badge {r.badge_id} of {r.username} revoked: it no longer opens anything."


def _reset_pin(uow: UnitOfWork, r: ab.AdminRequest, c: Confirmed) -> str:
    identity_admin.set_pin(uow, r.username, r.pin or "", policy=c.policy, reason=r.reason)
    return f"{r.username} has a temporary PIN: they must choose their own before signing."


def _unlock(uow: UnitOfWork, r: ab.AdminRequest, c: Confirmed) -> str:
    if c.creds is None:
        raise InvalidInput("An unlock needs the administrator's badge and PIN.")
    identity_admin.unlock_user(uow, r.username, r.reason, c.creds, station=c.station)
    return f"{r.username} is unlocked."


def _lock(uow: UnitOfWork, r: ab.AdminRequest, c: Confirmed) -> str:
    identity_admin.lock_user(uow, r.username, r.reason)
    return f"{r.username} is locked (all badges)."


def _disable(uow: UnitOfWork, r: ab.AdminRequest, c: Confirmed) -> str:
    user_admin.disable_person(uow, r.username, r.reason)
    return f"{r.username} is disabled for good."


def _verify_identity(uow: UnitOfWork, r: ab.AdminRequest, c: Confirmed) -> str:
    identity_admin.verify_identity(uow, r.username, r.reason)
    return f"{r.username}'s identity verification is recorded."


ACTIONS: dict[str, tuple[str, Perform]] = {
    ab.ADD_USER: ("Add user", _add_user),
    ab.GRANT_ROLE: ("Grant role", _grant),
    ab.REVOKE_ROLE: ("Revoke role", _revoke),
    ab.ISSUE_BADGE: ("Issue badge", _issue),
    ab.REPLACE_BADGE: ("Replace badge", _replace),
    ab.REVOKE_BADGE: ("Revoke badge", _revoke_badge),
    ab.RESET_PIN: ("Reset PIN", _reset_pin),
    ab.UNLOCK: ("Unlock", _unlock),
    ab.LOCK: ("Lock", _lock),
    ab.DISABLE: ("Disable", _disable),
    ab.VERIFY_IDENTITY: ("Verify identity", _verify_identity),
}


# Actions tried in a never-committed transaction before the re-authentication (unlock hands
# the proof to the database, so it cannot be tried without one; add-user has its own check).
DRY_RUN = frozenset(ACTIONS) - {ab.ADD_USER, ab.UNLOCK}


def _complete(r: ab.AdminRequest) -> bool:
    """Whether the request has everything its action needs (the last dialog's check)."""
    needs: dict[str, tuple[object, ...]] = {
        ab.GRANT_ROLE: (r.role,),
        ab.REVOKE_ROLE: (r.role, r.reason),
        ab.ISSUE_BADGE: (r.badge_uid,),
        ab.REPLACE_BADGE: (r.badge_id, r.reason, r.badge_uid),
        ab.REVOKE_BADGE: (r.badge_id, r.reason),
        ab.RESET_PIN: (r.pin, r.reason),
    }
    return all(v not in (None, "") for v in needs.get(r.action, (r.reason,)))


def describe_request(r: ab.AdminRequest) -> tuple[str, ...]:
    """The lines of the confirmation dialog: what exactly will change."""
    lines = [f"User: {r.username}" + (f" ({r.printed_name})" if r.printed_name else "")]
    if r.roles:
        lines.append(f"Roles: {', '.join(r.roles)}")
    if r.role:
        lines.append(f"Role: {r.role}")
    if r.badge_id is not None:
        lines.append(f"Badge: {r.badge_id}")
    if r.badge_uid:
        lines.append("New card: read from the reader (the card id is stored only as a hash)")
    if r.pin:
        lines.append("Temporary PIN: entered (the user must replace it before signing)")
    if r.reason:
        label = "Checked by" if r.action == ab.VERIFY_IDENTITY else "Reason"
        lines.append(f"{label}: {r.reason}")
    if r.action == ab.DISABLE:
        lines.append("This cannot be undone: a disabled account is never re-enabled.")
    return tuple(lines)


@dataclass(frozen=True)
class AdminAction:
    """A pending administrator action (a `Confirmation`): nothing is signed, so it carries
    no record version; the dialog shows what will change and hands over the proof."""

    backend: AdminStationBackend
    actor: str
    request: ab.AdminRequest

    @property
    def meaning(self) -> str:
        return ACTIONS[self.request.action][0].lower()

    def describe(self) -> ActionToConfirm:
        return ActionToConfirm(ACTIONS[self.request.action][0], describe_request(self.request))

    def confirm(self, proof: Proof) -> ActionDone:
        """Re-authenticate the administrator, then act; one transaction, committed together."""
        b, r = self.backend, self.request
        label, perform = ACTIONS[r.action]
        reason = r.reason.strip() or f"{label}: {r.username}"
        creds = credentials(proof)
        renewed = None
        with b.uow(self.actor, reason=reason) as uow:
            if r.action != ab.UNLOCK:  # unlock_user checks the proof in the database itself
                renewed = user_admin.reauthenticate(
                    uow,
                    creds,
                    expected=self.actor,
                    station=b.station,
                    policy=b.policy,
                    action=f"{label.lower()} {r.username}",
                )
            done = perform(uow, r, Confirmed(b.policy, creds, b.station))
            now = uow.session.scalar(_NOW)
            uow.commit()
        if renewed is not None:  # the fresh sign-in replaces the administrator's session
            previous = b.sessions.get(self.actor)
            b.sessions.add(renewed)
            if previous is not None and previous.token != renewed.token:
                end_session(b.session_factory, previous, "re-authenticated for an admin action")
        who = b.sessions.require(self.actor)
        return ActionDone(who.printed_name, who.username, done, now or dt.datetime.now(dt.UTC))
