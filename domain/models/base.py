"""Declarative base, shared column types and the naming convention used by migrations."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from sqlalchemy import BigInteger, DateTime, Identity, MetaData, Text, func
from sqlalchemy.orm import DeclarativeBase, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

SCHEMA = "workcell"

metadata = MetaData(naming_convention=NAMING_CONVENTION, schema=SCHEMA)


class Base(DeclarativeBase):
    metadata = metadata


# Reusable column types.
IdPk = Annotated[int, mapped_column(BigInteger, Identity(always=True), primary_key=True)]
ServerTime = Annotated[
    dt.datetime, mapped_column(DateTime(timezone=True), server_default=func.now())
]
Str = Annotated[str, mapped_column(Text)]
