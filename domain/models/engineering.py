"""Engineering master data: BOM and routing revisions, their lines, and ECOs.

The schema (with its guards: drafts only editable, no overlapping effectivity, no BOM
cycles) is in migrations/versions/0004_engineering.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, Numeric, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSTZRANGE, Range
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, IdPk, ServerTime

REVISION_STATUSES = ("draft", "in_review", "released", "superseded", "obsolete")
ECO_STATUSES = ("draft", "in_review", "reviewed", "approved", "cancelled")
DATA_KINDS = ("numeric", "pass_fail", "text", "lot_scan")
SIGNOFF_MEANINGS = ("performed", "verified", "reviewed")
SIGNOFF_ROLES = ("operator", "supervisor", "qa", "engineer")

_ACTOR_DEFAULT = "workcell.current_actor_id()"


class _Revision:
    """Columns shared by BOM and routing revisions (a mixin, not a table)."""

    id: Mapped[IdPk]
    item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("item.id"))
    revision: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, server_default="")
    status: Mapped[str] = mapped_column(Text, server_default="draft")
    effective: Mapped[Range[dt.datetime] | None] = mapped_column(TSTZRANGE)
    created_at: Mapped[ServerTime]
    created_by: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id"), server_default=_ACTOR_DEFAULT
    )
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class BomRevision(_Revision, Base):
    __tablename__ = "bom_revision"
    __mapper_args__: dict[str, Any] = {"version_id_col": _Revision.version}


class BomLine(Base):
    __tablename__ = "bom_line"

    id: Mapped[IdPk]
    bom_revision_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("bom_revision.id"))
    position: Mapped[int] = mapped_column(Integer)
    component_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("item.id"))
    quantity_per: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    unit: Mapped[str] = mapped_column(Text)
    scrap_factor: Mapped[Decimal] = mapped_column(Numeric(7, 6), server_default="0")
    optional: Mapped[bool] = mapped_column(Boolean, server_default="false")
    alternate_of: Mapped[int | None] = mapped_column(Integer)
    ref_designators: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    notes: Mapped[str] = mapped_column(Text, server_default="")
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class RoutingRevision(_Revision, Base):
    __tablename__ = "routing_revision"
    __mapper_args__: dict[str, Any] = {"version_id_col": _Revision.version}

    # standard: what work orders run; rework: what an NCR's rework work order runs (0036)
    purpose: Mapped[str] = mapped_column(Text, server_default="standard")


class RoutingOperation(Base):
    __tablename__ = "routing_operation"

    id: Mapped[IdPk]
    routing_revision_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("routing_revision.id"))
    op_number: Mapped[int] = mapped_column(Integer)
    work_centre: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    instructions: Mapped[str] = mapped_column(Text, server_default="")
    standard_minutes: Mapped[Decimal] = mapped_column(Numeric(10, 2), server_default="0")
    # the qualification its executor needs (migration 0013); NULL: none
    qualification_id: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class RoutingStep(Base):
    __tablename__ = "routing_step"

    id: Mapped[IdPk]
    operation_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("routing_operation.id"))
    step_number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    instructions: Mapped[str] = mapped_column(Text, server_default="")
    critical: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # migration 0013: the qualification its executor needs; the step that makes the output
    qualification_id: Mapped[int | None] = mapped_column(BigInteger)
    output: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # migration 0021: the class of equipment the step's unit must be (BALANCE, OVEN...)
    equipment_class: Mapped[str | None] = mapped_column(Text)
    # migration 0030: the inspection made at the step (in_process | final)
    inspection_type: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class RoutingStepData(Base):
    """A data entry the operator must make at a step (measurement, pass/fail, text, lot scan)."""

    __tablename__ = "routing_step_data"

    id: Mapped[IdPk]
    step_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("routing_step.id"))
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(Text)
    lower_limit: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    upper_limit: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    target: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    component_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("item.id"))
    required: Mapped[bool] = mapped_column(Boolean, server_default="true")
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class RoutingStepSignoff(Base):
    """A signature a step needs when executed: meaning and the role that may give it."""

    __tablename__ = "routing_step_signoff"

    id: Mapped[IdPk]
    step_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("routing_step.id"))
    position: Mapped[int] = mapped_column(Integer)
    meaning: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class Eco(Base):
    __tablename__ = "eco"

    id: Mapped[IdPk]
    number: Mapped[str] = mapped_column(
        Text, server_default="'ECO-' || lpad(nextval('workcell.eco_number_seq')::text, 5, '0')"
    )
    title: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, server_default="")
    effective_from: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    impact: Mapped[Any] = mapped_column(JSONB, server_default="[]")
    status: Mapped[str] = mapped_column(Text, server_default="draft")
    created_at: Mapped[ServerTime]
    created_by: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id"), server_default=_ACTOR_DEFAULT
    )
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class EcoItem(Base):
    __tablename__ = "eco_item"

    id: Mapped[IdPk]
    eco_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("eco.id"))
    item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("item.id"))
    bom_revision_id: Mapped[int | None] = mapped_column(BigInteger)
    routing_revision_id: Mapped[int | None] = mapped_column(BigInteger)
    change_note: Mapped[str] = mapped_column(Text, server_default="")
    eco_open: Mapped[bool] = mapped_column(Boolean, server_default="true")
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}
