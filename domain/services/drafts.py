"""Drafts: a person's unsaved kiosk input, parked when someone else signs in at the station.

Parking is done by the person signing in (the transaction's actor); only the owner sees,
resumes or discards a draft, and only on the station where it was parked. Nothing is ever
deleted: resuming and discarding are status changes with a reason, so each is an audit
entry (Part 11 §11.10(e)).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from domain.errors import InvalidInput, NotFound
from domain.models import User
from domain.models.drafts import KioskDraft
from domain.uow import UnitOfWork

MAX_PAYLOAD_KEYS = 50


@dataclass(frozen=True)
class DraftView:
    id: int
    owner: str
    station: str
    screen: str
    summary: str
    payload: dict[str, Any]
    status: str
    parked_at: dt.datetime


def _view(draft: KioskDraft, owner: str) -> DraftView:
    return DraftView(
        draft.id,
        owner,
        draft.station,
        draft.screen,
        draft.summary,
        dict(draft.payload),
        draft.status,
        draft.parked_at,
    )


def _owner_id(uow: UnitOfWork, username: str) -> int:
    owner = uow.session.scalar(select(User.id).where(User.username == username.strip().lower()))
    if owner is None:
        raise NotFound(f"No user named {username!r}.")
    return owner


def park_draft(
    uow: UnitOfWork, owner: str, station: str, screen: str, summary: str, payload: dict[str, Any]
) -> DraftView:
    """Keep ``owner``'s unsaved input from ``screen`` for them on ``station``."""
    if not station.strip() or not screen.strip():
        raise InvalidInput("A draft needs its station and screen.")
    if len(payload) > MAX_PAYLOAD_KEYS:
        raise InvalidInput("Too much unsaved input to park as one draft.")
    draft = KioskDraft(
        owner_id=_owner_id(uow, owner),
        station=station,
        screen=screen,
        summary=summary.strip() or screen,
        payload=payload,
    )
    uow.session.add(draft)
    uow.flush()
    uow.session.refresh(draft)
    return _view(draft, owner)


def parked_drafts(uow: UnitOfWork, owner: str, station: str) -> list[DraftView]:
    """The owner's parked drafts on this station, oldest first."""
    stmt = (
        select(KioskDraft)
        .where(
            KioskDraft.owner_id == _owner_id(uow, owner),
            KioskDraft.station == station,
            KioskDraft.status == "parked",
        )
        .order_by(KioskDraft.id)
    )
    return [_view(d, owner) for d in uow.session.scalars(stmt)]


def close_draft(
    uow: UnitOfWork, owner: str, station: str, draft_id: int, *, resumed: bool
) -> DraftView:
    """Resume (input handed back) or discard (input dropped) a parked draft; audited."""
    draft = uow.session.get(KioskDraft, draft_id)
    if draft is None or draft.owner_id != _owner_id(uow, owner) or draft.station != station:
        raise NotFound("That draft is not yours on this station.")
    if draft.status != "parked":
        raise InvalidInput(f"That draft was already {draft.status}.")
    uow.set_reason(
        f"Draft from {draft.screen} resumed by its owner"
        if resumed
        else f"Draft from {draft.screen} discarded by its owner"
    )
    draft.status = "resumed" if resumed else "discarded"
    uow.flush()  # the database stamps closed_at and checks the actor is the owner
    return _view(draft, owner)
