"""Lifecycle gates (migration 0009): the moves the database allows, the log of moves made,
and removing a draft's rows (stations hold no DELETE grant).

API (stable):
  history(uow, record_type, record_id) -> tuple[Move, ...]     oldest first
  rules(uow, record_type) -> list[TransitionRule]
  remove_draft_row(uow, row) -> None      a draft line or affected item (guards still apply)
  clear_draft_revision(uow, revision) -> None     every line of a draft BOM/routing revision
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, text

from domain.errors import translate
from domain.models import Base, StatusTransition, TransitionRule, User
from domain.uow import UnitOfWork


@dataclass(frozen=True)
class Move:
    action: str
    from_status: str | None
    to_status: str
    comment: str
    actor: str
    at: dt.datetime
    signature_id: int | None


def history(uow: UnitOfWork, record_type: str, record_id: int) -> tuple[Move, ...]:
    rows = uow.session.execute(
        select(StatusTransition, User.username)
        .join(User, User.id == StatusTransition.actor_id)
        .where(StatusTransition.record_type == record_type)
        .where(StatusTransition.record_id == record_id)
        .order_by(StatusTransition.id)
    ).all()
    return tuple(
        Move(t.action, t.from_status, t.to_status, t.comment, who, t.at, t.signature_id)
        for t, who in rows
    )


def rules(uow: UnitOfWork, record_type: str) -> list[TransitionRule]:
    return list(
        uow.session.scalars(
            select(TransitionRule)
            .where(TransitionRule.record_type == record_type)
            .order_by(TransitionRule.from_status.nulls_first(), TransitionRule.to_status)
        )
    )


def remove_draft_row(uow: UnitOfWork, row: Base) -> None:
    """Delete one row of a draft through workcell.remove_draft_row (the row's own guards and
    the audit trigger run as for any change; the transaction's reason is the audit reason)."""
    table, row_id = row.__tablename__, row.id  # type: ignore[attr-defined]
    _call(uow, "SELECT workcell.remove_draft_row(:table, :id)", table, row_id)
    uow.session.expunge(row)


def clear_draft_revision(uow: UnitOfWork, revision: Base) -> None:
    """Delete every line of a draft BOM or routing revision (operations, steps, data
    entries and sign-offs of a routing), each row guarded and audited."""
    table, row_id = revision.__tablename__, revision.id  # type: ignore[attr-defined]
    _call(uow, "SELECT workcell.clear_draft_revision(:table, :id)", table, row_id)
    uow.session.expire_all()


def _call(uow: UnitOfWork, sql: str, table: str, row_id: int) -> None:
    uow.flush()
    try:
        uow.session.execute(text(sql), {"table": table, "id": row_id})
    except Exception as exc:
        translated = translate(exc)
        if translated is None:
            raise
        raise translated from exc
