"""Identity and signatures: roles, PINs, badges, security events, signatures (schema in
migrations/versions/0003_identity.py).

Secrets (PIN hashes, badge hashes) are columns here because the domain must check them,
but they never leave the services: views returned to screens carry no secret.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, IdPk, ServerTime


class Role(Base):
    __tablename__ = "role"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class Permission(Base):
    __tablename__ = "permission"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    kind: Mapped[str] = mapped_column(Text)  # 'action' | 'sign'
    description: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class RolePermission(Base):
    __tablename__ = "role_permission"

    role: Mapped[str] = mapped_column(Text, ForeignKey("role.name"), primary_key=True)
    permission: Mapped[str] = mapped_column(Text, ForeignKey("permission.name"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class UserRole(Base):
    """A role granted to a person. Revoking deletes the row (with a reason, audited)."""

    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(Text, ForeignKey("role.name"), primary_key=True)
    granted_at: Mapped[ServerTime]
    granted_by: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id"), server_default="workcell.current_actor_id()"
    )
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class UserPin(Base):
    """One PIN in a person's history; the latest row is the current PIN. Append-only."""

    __tablename__ = "user_pin"

    id: Mapped[IdPk]
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    temporary: Mapped[bool] = mapped_column(Boolean)
    set_at: Mapped[ServerTime]
    set_by: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id"), server_default="workcell.current_actor_id()"
    )
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    def __repr__(self) -> str:  # never the hash
        return f"UserPin(id={self.id!r}, user_id={self.user_id!r}, temporary={self.temporary!r})"


class Badge(Base):
    """A card id issued to one person for life (stored as a peppered hash)."""

    __tablename__ = "badge"

    id: Mapped[IdPk]
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    issued_at: Mapped[ServerTime]
    issued_by: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id"), server_default="workcell.current_actor_id()"
    )
    replaces_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("badge.id"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:  # never the hash
        return f"Badge(id={self.id!r}, user_id={self.user_id!r}, revoked={self.revoked_at!r})"


class IdentityVerification(Base):
    __tablename__ = "identity_verification"

    id: Mapped[IdPk]
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    method: Mapped[str] = mapped_column(Text)
    verified_at: Mapped[ServerTime]
    verified_by: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id"), server_default="workcell.current_actor_id()"
    )
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class PolicyAcknowledgement(Base):
    __tablename__ = "policy_acknowledgement"

    id: Mapped[IdPk]
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    policy_version: Mapped[str] = mapped_column(Text)
    acknowledged_at: Mapped[ServerTime]
    station: Mapped[str] = mapped_column(Text, server_default="session_user")
    version: Mapped[int] = mapped_column(Integer, server_default="1")


class SecurityEvent(Base):
    """Written only through workcell.record_security_event(); read by supervisors."""

    __tablename__ = "security_event"

    id: Mapped[IdPk]
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    station: Mapped[str] = mapped_column(Text)
    method: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)


class SignableType(Base):
    __tablename__ = "signable_type"

    record_type: Mapped[str] = mapped_column(Text, primary_key=True)
    table_name: Mapped[str] = mapped_column(Text)
    content_function: Mapped[str] = mapped_column(Text)
    author_column: Mapped[str | None] = mapped_column(Text)
    summary_function: Mapped[str | None] = mapped_column(Text)
    production: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)


class SigningRule(Base):
    __tablename__ = "signing_rule"

    record_type: Mapped[str] = mapped_column(
        Text, ForeignKey("signable_type.record_type"), primary_key=True
    )
    meaning: Mapped[str] = mapped_column(Text, primary_key=True)
    permission: Mapped[str] = mapped_column(Text, ForeignKey("permission.name"))
    requires: Mapped[list[str]] = mapped_column(ARRAY(Text))
    distinct_from: Mapped[list[str]] = mapped_column(ARRAY(Text))
    version: Mapped[int] = mapped_column(Integer)


class Signature(Base):
    """Append-only; inserted only by workcell.apply_signature() (the app has no INSERT)."""

    __tablename__ = "signature"

    id: Mapped[IdPk]
    record_type: Mapped[str] = mapped_column(Text, ForeignKey("signable_type.record_type"))
    record_table: Mapped[str] = mapped_column(Text)
    record_id: Mapped[int] = mapped_column(BigInteger)
    record_version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(Text)
    meaning: Mapped[str] = mapped_column(Text)
    signer_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    printed_name: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    method: Mapped[str] = mapped_column(Text)
    station: Mapped[str] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    binding_hash: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
