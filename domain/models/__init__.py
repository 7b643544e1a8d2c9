"""Typed ORM models (SQLAlchemy 2). The schema itself is written in migrations/."""

from domain.models.base import Base, metadata
from domain.models.engineering import (
    BomLine,
    BomRevision,
    Eco,
    EcoItem,
    RoutingOperation,
    RoutingRevision,
    RoutingStep,
    RoutingStepData,
    RoutingStepSignoff,
)
from domain.models.items import Item
from domain.models.lifecycle import StatusTransition, TransitionRule
from domain.models.users import User

__all__ = [
    "Base",
    "BomLine",
    "BomRevision",
    "Eco",
    "EcoItem",
    "Item",
    "RoutingOperation",
    "RoutingRevision",
    "RoutingStep",
    "RoutingStepData",
    "RoutingStepSignoff",
    "StatusTransition",
    "TransitionRule",
    "User",
    "metadata",
]
