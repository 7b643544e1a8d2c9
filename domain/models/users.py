from __future__ import annotations

from sqlalchemy import Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, IdPk, ServerTime


class User(Base):
    """A person or a system actor. Never deleted; the username is never reused."""

    __tablename__ = "users"

    id: Mapped[IdPk]
    username: Mapped[str] = mapped_column(Text)
    printed_name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text, server_default="person")
    status: Mapped[str] = mapped_column(Text, server_default="active")
    created_at: Mapped[ServerTime]
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}
