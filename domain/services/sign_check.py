"""May this person sign this record with this meaning? Asked *before* anyone taps a badge.

The answer comes from the database's own signing rules: the same functions the signing
function runs (`workcell.check_signer`: identity verified, policy acknowledged, no admin on
production records, the rule's permission; `workcell.check_sequence`: not twice, required
meanings first, segregation from the author and earlier signers), called in a savepoint
that is rolled back. So the screens can hide or explain an action without a second copy of
the rules. It is advice for the screen, not a control: the signature itself is checked
again by the database when it is made.

API:
  signing_refusal(uow, record, meaning, username) -> str | None   (None: would be accepted)
"""

from __future__ import annotations

from sqlalchemy import TextClause, text
from sqlalchemy.exc import DBAPIError

from domain.services.signatures import RecordRef
from domain.uow import UnitOfWork

_TYPE = text(
    "SELECT t.table_name::text, t.author_column FROM workcell.signable_type t"
    " WHERE t.record_type = :t"
)
_SIGNER = text(
    "SELECT workcell.check_signer(u, t, r) FROM workcell.users u, workcell.signable_type t,"
    " workcell.signing_rule r WHERE u.username = :u AND t.record_type = :t"
    " AND r.record_type = :t AND r.meaning = :m"
)
_SEQUENCE = text(
    "SELECT workcell.check_sequence(u, r, :id, :version, :author,"
    " workcell.record_content_hash(:t, :id))"
    " FROM workcell.users u, workcell.signing_rule r"
    " WHERE u.username = :u AND r.record_type = :t AND r.meaning = :m"
)
_RULE = text("SELECT 1 FROM workcell.signing_rule WHERE record_type = :t AND meaning = :m")
# SQLSTATEs that mean "the rules refuse" (signature_refused raises WC012)
_REFUSALS = {"WC012"}


def signing_refusal(uow: UnitOfWork, record: RecordRef, meaning: str, username: str) -> str | None:
    """Why the database would refuse ``username``'s ``meaning`` signature on ``record`` now,
    or None when it would accept it (given a right badge and PIN)."""
    params: dict[str, object] = {
        "t": record.record_type,
        "m": meaning,
        "u": username.strip().lower(),
    }
    session = uow.session
    if session.execute(_RULE, params).first() is None:
        return f'A {record.record_type} cannot be signed as "{meaning}".'
    row = session.execute(_TYPE, params).first()
    if row is None:
        return f'Records of type "{record.record_type}" cannot be signed.'
    table, author_column = str(row[0]), row[1]
    author = _quote(author_column) if author_column else "NULL::bigint"
    current = session.execute(
        text(f"SELECT version, {author} FROM {table} WHERE id = :id"),  # names from the catalogue
        {"id": record.record_id},
    ).first()
    if current is None:
        return f"There is no {record.record_type} {record.record_id}."
    checks = (
        (_SIGNER, params),
        (
            _SEQUENCE,
            {**params, "id": record.record_id, "version": current[0], "author": current[1]},
        ),
    )
    for statement, values in checks:
        refusal = _refusal(uow, statement, values)
        if refusal is not None:
            return refusal
    return None


def _refusal(uow: UnitOfWork, statement: TextClause, values: dict[str, object]) -> str | None:
    savepoint = uow.session.begin_nested()
    try:
        uow.session.execute(statement, values)
    except DBAPIError as exc:
        savepoint.rollback()
        sqlstate = getattr(exc.orig, "sqlstate", None)
        if sqlstate not in _REFUSALS:
            raise
        diag = getattr(exc.orig, "diag", None)
        return str(getattr(diag, "message_primary", None) or exc.orig)
    savepoint.rollback()
    return None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
