"""The station's implementation of the screens' backend protocols (screens/backend.py).

Each method opens its own UnitOfWork in the acting person's database session (looked up
by username in the station's SessionBook, kiosk/sessions.py: set at sign-in, ended at
sign-out or lock), calls domain services and returns the screens' frozen DTOs; no Session
or ORM object leaves this module. Every method may block (database, argon2): screens call
them from thread workers only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from domain.services import drafts, identity, item_approval, items, sign_check, signatures
from domain.services.identity import Credentials, IdentityPolicy
from domain.services.signatures import RecordRef, RecordSummary
from domain.uow import UnitOfWork
from kiosk.sessions import SessionBook
from kiosk.settings import StationSettings
from screens.backend import (
    BadgeHolder,
    Draft,
    ItemDetail,
    ItemRow,
    Proof,
    RecordToSign,
    SignatureLine,
    SignedInUser,
)

GTIN_LENGTH = 14
# Shown once a badge is read: the database names its holder only to the right PIN.
BADGE_READ = BadgeHolder("", "Badge read")


def credentials(proof: Proof) -> Credentials:
    return Credentials(pin=proof.pin, badge_uid=proof.badge_uid, username=proof.username)


def record_to_sign(
    summary: RecordSummary, meaning: str, lines: tuple[str, ...] = ()
) -> RecordToSign:
    """What the signing dialog shows, with the content hash the signature will bind."""
    return RecordToSign(
        summary.title, summary.version, (*summary.lines, *lines), meaning, summary.content_hash
    )


def signature_line(view: Any) -> SignatureLine:
    return SignatureLine(
        printed_name=view.printed_name,
        username=view.username,
        meaning=view.meaning,
        signed_at=view.signed_at,
        comment=getattr(view, "comment", None),
        valid=getattr(view, "valid", True),
    )


def item_row(view: items.ItemView) -> ItemRow:
    return ItemRow(
        view.item_number, view.description, view.item_type, view.unit, view.status, view.version
    )


class KioskBackend:
    """Implements SessionBackend, DraftsBackend and ItemsBackend for one station."""

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
        # shared with the station's other backends (kiosk/tiles.py passes it on)
        self.sessions = sessions or SessionBook(session_factory)

    def uow(self, actor: str, reason: str | None = None) -> UnitOfWork:
        """A unit of work in ``actor``'s database session (AttributionError: sign in first)."""
        return UnitOfWork(self.session_factory, self.sessions.require(actor), reason)

    # -- SessionBackend ------------------------------------------------------------------

    def identify_badge(self, uid: str) -> BadgeHolder:
        # No database call: the database tells who holds a badge only to its PIN.
        return BADGE_READ

    def sign_in(self, proof: Proof) -> SignedInUser:
        who = identity.authenticate(
            self.session_factory, credentials(proof), station=self.station, policy=self.policy
        )
        if who.session is not None:
            self.sessions.add(who.session)
        return SignedInUser(
            who.username,
            who.printed_name,
            frozenset(who.roles),
            frozenset(who.permissions),
            who.must_change_pin,
            who.session.idle_s if who.session is not None else None,
        )

    def sign_out(self, username: str, reason: str) -> None:
        self.sessions.end(username, reason)

    def keep_alive(self, username: str) -> None:
        # Opening the session moves its "last seen" on; committing keeps that.
        with self.uow(username) as uow:
            uow.commit()

    def change_pin(self, proof: Proof, new_pin: str) -> None:
        identity.change_pin(
            self.session_factory,
            credentials(proof),
            new_pin,
            station=self.station,
            policy=self.policy,
        )

    def server_time(self) -> dt.datetime:
        with self.session_factory() as session:
            now: dt.datetime | None = session.scalar(select(func.now()))
        if now is None:
            raise RuntimeError("the database returned no time")
        return now

    # -- DraftsBackend ---------------------------------------------------------------------

    def park(
        self, actor: str, owner: str, parked: list[tuple[str, str, dict[str, Any]]]
    ) -> list[Draft]:
        """Park ``owner``'s unsaved input, all screens in one transaction, ``actor`` acting."""
        with self.uow(actor) as uow:
            views = [
                drafts.park_draft(uow, owner, self.station, screen, summary, payload)
                for screen, summary, payload in parked
            ]
            uow.commit()
        return [_draft(v) for v in views]

    def drafts_for(self, owner: str) -> list[Draft]:
        with self.uow(owner) as uow:
            return [_draft(v) for v in drafts.parked_drafts(uow, owner, self.station)]

    def resume(self, owner: str, draft_id: int) -> Draft:
        with self.uow(owner) as uow:
            view = drafts.close_draft(uow, owner, self.station, draft_id, resumed=True)
            uow.commit()
        return _draft(view)

    def discard(self, owner: str, draft_id: int) -> None:
        with self.uow(owner) as uow:
            drafts.close_draft(uow, owner, self.station, draft_id, resumed=False)
            uow.commit()

    # -- ItemsBackend ----------------------------------------------------------------------

    def list_items(self, actor: str, search: str) -> list[ItemRow]:
        with self.uow(actor) as uow:
            if search.isdigit() and len(search) == GTIN_LENGTH:  # a scanned GTIN
                return [item_row(v) for v in items.list_items(uow) if v.gtin == search]
            return [item_row(v) for v in items.list_items(uow, search=search)]

    def item_detail(self, actor: str, item_number: str) -> ItemDetail:
        with self.uow(actor) as uow:
            view = items.get_item(uow, item_number)
            record = RecordRef("workcell.item", view.id)
            sigs = tuple(signature_line(s) for s in signatures.signatures_for(uow, record))
            refusal = None
            if view.status == "draft":
                refusal = sign_check.signing_refusal(uow, record, "approved", actor)
        facts = (
            ("Item number", view.item_number),
            ("Description", view.description),
            ("Type", view.item_type),
            ("Unit", view.unit),
            ("Tracking", view.tracking),
            ("Shelf life", f"{view.shelf_life_days} days" if view.shelf_life_days else "—"),
            ("GTIN", view.gtin or "—"),
            ("Status", view.status),
            ("Version", str(view.version)),
        )
        draft = view.status == "draft"
        return ItemDetail(
            item_row(view), facts, sigs, can_approve=draft and refusal is None,
            approve_refusal=refusal,
        )  # fmt: skip

    def create_item(self, actor: str, item: items.NewItem) -> ItemRow:
        with self.uow(actor) as uow:
            view = items.create_item(uow, item)
            uow.commit()
        return item_row(view)

    def approval(self, actor: str, item_number: str, version: int) -> ItemApproval:
        return ItemApproval(self, actor, item_number, version)


@dataclass(frozen=True)
class ItemApproval:
    """A pending item approval (a Signable). Nothing touches the database until asked."""

    backend: KioskBackend
    actor: str
    item_number: str
    version: int
    meaning: str = "approved"
    shown: dict[str, RecordToSign] = field(default_factory=dict)  # what the dialog showed

    def describe(self) -> RecordToSign:
        with self.backend.uow(self.actor) as uow:
            view = items.get_item(uow, self.item_number)
            summary = signatures.describe_record(uow, RecordRef("workcell.item", view.id))
        self.shown["record"] = record = record_to_sign(summary, self.meaning)
        return record

    def sign(self, proof: Proof, comment: str | None) -> SignatureLine:
        b = self.backend
        shown = self.shown.get("record")
        with b.uow(self.actor, reason=f"Item {self.item_number} approved") as uow:
            view = item_approval.approve_item(
                uow,
                self.item_number,
                credentials(proof),
                station=b.station,
                policy=b.policy,
                comment=comment,
                expected_version=shown.version if shown else self.version,
                expected_hash=shown.content_hash if shown else None,
            )
            uow.commit()
        return signature_line(view)


def _draft(view: drafts.DraftView) -> Draft:
    return Draft(view.id, view.screen, view.summary, view.payload, view.parked_at)
