"""Training records (§11.10(i)): qualifications (a procedure or work instruction at a
revision), a person's record (trained on, expires on) attested with the trainer's signature,
revocation, and the qualifications running out soon. The database refuses an unqualified
or expired person at every step entry and step signature, naming the qualification."""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import datetime as dt

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.services.access import require_permission
from domain.services.eco import Signing
from domain.services.materials.db import id_of, run, scalar
from domain.services.signatures import RecordRef, sign
from domain.uow import UnitOfWork
from domain.views.work_orders import (
    ExpiringQualification,
    PersonQualificationView,
    QualificationView,
)

_RECORDS = """
SELECT p.id, u.username, u.printed_name, q.code, q.title, q.document, q.document_revision, p.trained_on,
       p.expires_on, p.status, a.printed_name AS attested_by,
       coalesce(p.expires_on < workcell.plant_today(), false) AS expired
  FROM workcell.person_qualification p
  JOIN workcell.users u ON u.id = p.user_id
  JOIN workcell.qualification q ON q.id = p.qualification_id
  LEFT JOIN workcell.users a ON a.id = p.attested_by
"""


def define_qualification(
    uow: UnitOfWork, code: str, title: str, document: str, document_revision: str
) -> QualificationView:
    require_permission(uow, "training.manage")
    code = code.strip().upper()
    if not (code and title.strip() and document.strip() and document_revision.strip()):
        raise InvalidInput("A qualification has a code, a title, a document and its revision.")
    uow.set_reason(f"qualification {code} defined")
    run(
        uow,
        "INSERT INTO workcell.qualification (code, title, document, document_revision)"
        " VALUES (:c, :t, :d, :r)",
        {"c": code, "t": title.strip(), "d": document.strip(), "r": document_revision.strip()},
    )
    return next(q for q in list_qualifications(uow) if q.code == code)


def list_qualifications(uow: UnitOfWork) -> list[QualificationView]:
    rows = run(
        uow,
        "SELECT id, code, title, document, document_revision FROM workcell.qualification ORDER BY code",
    )
    return [QualificationView(*r) for r in rows]


def _record(uow: UnitOfWork, record_id: int) -> PersonQualificationView:
    rows = run(uow, _RECORDS + " WHERE p.id = :id", {"id": record_id})
    if not rows:
        raise NotFound(f"There is no qualification record {record_id}.")
    return PersonQualificationView(*rows[0])


def grant_qualification(
    uow: UnitOfWork, username: str, code: str, trained_on: dt.date,
    expires_on: dt.date | None, signing: Signing,
) -> PersonQualificationView:  # fmt: skip
    """Record a person's training and attest it with the signer's signature (a trainer or an
    administrator, never the trainee), in the caller's transaction."""
    require_permission(uow, "training.record")
    if expires_on is not None and expires_on <= trained_on:
        raise InvalidInput("A qualification expires after the training date.")
    user = id_of(uow, "users", "username", username.strip().lower(), "user")
    qual = id_of(uow, "qualification", "code", code.strip().upper(), "qualification")
    uow.set_reason(f"training {code.strip().upper()} recorded for {username.strip().lower()}")
    new_id = int(scalar(
        uow,
        "INSERT INTO workcell.person_qualification (user_id, qualification_id, trained_on, expires_on)"
        " VALUES (:u, :q, :t, :e) RETURNING id",
        {"u": user, "q": qual, "t": trained_on, "e": expires_on},
    ))  # fmt: skip
    sign(
        uow, RecordRef("person_qualification", new_id), "attested", signing.creds,
        station=signing.station, policy=signing.policy, comment=signing.comment, expected_version=1,
    )  # fmt: skip
    rows = run(
        uow,
        "UPDATE workcell.person_qualification SET status = 'active', version = version + 1"
        " WHERE id = :id AND version = 1 RETURNING id",
        {"id": new_id},
    )
    if not rows:
        raise RuleViolation("The qualification record changed meanwhile.")
    return _record(uow, new_id)


def revoke_qualification(uow: UnitOfWork, record_id: int, reason: str) -> PersonQualificationView:
    require_permission(uow, "training.record")
    if not reason.strip():
        raise InvalidInput("Say why the qualification is revoked.")
    record = _record(uow, record_id)
    if record.status == "revoked":
        raise RuleViolation(f"Qualification record {record_id} is revoked already.")
    uow.set_reason(reason.strip()[:500])
    run(
        uow,
        "UPDATE workcell.person_qualification SET status = 'revoked', version = version + 1 WHERE id = :id",
        {"id": record_id},
    )
    return _record(uow, record_id)


def qualifications_of(
    uow: UnitOfWork, username: str | None = None
) -> list[PersonQualificationView]:
    """Training records (of one person, or everyone), by person and code, newest first."""
    where = " WHERE u.username = :u" if username else ""
    rows = run(
        uow, _RECORDS + where + " ORDER BY u.username, q.code, p.id DESC",
        {"u": (username or "").strip().lower()},
    )  # fmt: skip
    return [PersonQualificationView(*r) for r in rows]


def expiring(uow: UnitOfWork, days: int = 30) -> list[ExpiringQualification]:
    """Active qualifications running out within ``days`` (not renewed), soonest first."""
    if days < 0:
        raise InvalidInput("Look ahead 0 days or more.")
    rows = run(uow, "SELECT * FROM workcell.qualifications_expiring(:d)", {"d": days})
    return [ExpiringQualification(*r) for r in rows]


def qualification_gap(uow: UnitOfWork, username: str, step_id: int) -> str | None:
    """What ``username`` lacks to work at or sign the step (the database's own gate, read
    before any badge), None when nothing."""
    found = scalar(
        uow,
        "SELECT workcell.qualification_gap(u.id, :s) FROM workcell.users u WHERE u.username = :u",
        {"s": step_id, "u": username.strip().lower()},
    )
    return None if found is None else str(found)
