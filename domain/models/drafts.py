from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, IdPk, ServerTime


class KioskDraft(Base):
    """Unsaved kiosk input parked for its owner on one station (migration 0005)."""

    __tablename__ = "kiosk_draft"

    id: Mapped[IdPk]
    owner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    station: Mapped[str] = mapped_column(Text)
    screen: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(Text, server_default="parked")
    parked_at: Mapped[ServerTime]
    # Filled by the database from the transaction's actor (who was signing in).
    parked_by: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id"), server_default="workcell.current_actor_id()"
    )
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}
