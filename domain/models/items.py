from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, IdPk, ServerTime
from domain.views.items import ITEM_TYPES as ITEM_TYPES
from domain.views.items import TRACKING as TRACKING
from domain.views.items import UNITS as UNITS


class Item(Base):
    """Master data for a material or product. The first regulated record type."""

    __tablename__ = "item"

    id: Mapped[IdPk]
    item_number: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    item_type: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(Text)
    tracking: Mapped[str] = mapped_column(Text, server_default="lot")
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)
    gtin: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="draft")
    created_at: Mapped[ServerTime]
    # Filled by the database from the transaction's actor, never by the application.
    created_by: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id"), server_default="workcell.current_actor_id()"
    )
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}
