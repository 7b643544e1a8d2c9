"""The lifecycle log: every status move a guard let through (migration 0009).

Written only by workcell.transition_guard() inside its trigger; time, actor, station and
transaction are the server's. Rules live in workcell.transition_rule.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, IdPk, ServerTime


class StatusTransition(Base):
    __tablename__ = "status_transition"

    id: Mapped[IdPk]
    record_type: Mapped[str] = mapped_column(Text)
    record_id: Mapped[int] = mapped_column(BigInteger)
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    signature_id: Mapped[int | None] = mapped_column(BigInteger)
    comment: Mapped[str] = mapped_column(Text)
    restarts: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[ServerTime]
    actor_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    station: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)


class TransitionRule(Base):
    __tablename__ = "transition_rule"

    record_type: Mapped[str] = mapped_column(Text, primary_key=True)
    from_status: Mapped[str | None] = mapped_column(Text, primary_key=True)
    to_status: Mapped[str] = mapped_column(Text, primary_key=True)
    action: Mapped[str] = mapped_column(Text)
    permission: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
