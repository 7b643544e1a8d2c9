"""Typed ORM models (SQLAlchemy 2). The schema itself is written in migrations/."""

from domain.models.base import Base, metadata
from domain.models.items import Item
from domain.models.users import User

__all__ = ["Base", "Item", "User", "metadata"]
