"""Electronic signatures bound to the exact record version (Part 11 §11.50, §11.70, §11.200).

API (stable; screens, exports and later areas call these):
  RecordRef(record_type, record_id)                   e.g. RecordRef("item", 42)
  sign(uow, record, meaning, creds, *, station, policy, comment=None,
       expected_version=None) -> SignatureView        inside the caller's UnitOfWork
  signatures_for(uow, record) -> list[SignatureView]  with validity, reason, manifestation
  verify(uow, signature_id) -> Verification
  describe_record(uow, record) -> RecordSummary(title, version, lines)
  SignatureView.manifestation(tz="UTC") -> Manifestation(printed_name, meaning, signed_at, ...)

Every call to ``sign`` re-authenticates with both components (badge + PIN, or username + PIN
where the station's policy allows it) — stricter than §11.200(a)(1)(i), which would accept
one component for later signings in a continuous session. The database computes the
content hash (workcell.apply_signature) and enforces the signing rules; this module never
supplies a hash. After a successful check the rest of the transaction is attributed to the
signer (by the database), so the workflow transition and its signature commit together.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import text

from domain import field_caps
from domain.errors import InvalidInput, NotFound, translate
from domain.services.identity import Credentials, answer, refusals_recorded
from domain.services.pin_policy import IdentityPolicy
from domain.uow import UnitOfWork

_SIGN = text("SELECT workcell.sign(:c, :proof, :meaning, CAST(:records AS jsonb), :comment)")
_CURRENT = text(
    "SELECT (workcell.record_summary(:record_type, :record_id)->>'version')::int AS version,"
    " workcell.record_content_hash(:record_type, :record_id) AS hash"
)
_MANIFEST = (
    "SELECT id, record_type, record_id, record_version, meaning, printed_name, username,"
    " signed_at, method, station, comment, valid, reason FROM workcell.signature_manifest"
)
_BY_RECORD = text(
    _MANIFEST + " WHERE record_type = :record_type AND record_id = :record_id ORDER BY id"
)
_JUST_SIGNED = text(
    "SELECT s.id, s.record_type, s.record_id, s.record_version, s.meaning, s.printed_name,"
    " u.username, s.signed_at, s.method, s.station, s.comment, true AS valid, NULL AS reason"
    " FROM workcell.signature s JOIN workcell.users u ON u.id = s.signer_id WHERE s.id = :id"
)
_VERIFY = text("SELECT valid, reason FROM workcell.verify_signature(:id)")
_HASH = text("SELECT workcell.record_content_hash(:record_type, :record_id)")
_SUMMARY = text("SELECT workcell.record_summary(:record_type, :record_id)")


@dataclass(frozen=True)
class RecordRef:
    """A signable record: its registered type (workcell.signable_type) and its id."""

    record_type: str
    record_id: int

    def __post_init__(self) -> None:
        # Accept the table name too ("workcell.item" → "item"): types are named after tables.
        if self.record_type.startswith("workcell."):
            object.__setattr__(self, "record_type", self.record_type.removeprefix("workcell."))

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_id}"


@dataclass(frozen=True)
class RecordSummary:
    """What the signing dialog shows: exactly what will be signed, at which version."""

    title: str
    version: int
    lines: tuple[str, ...]
    content_hash: str = ""


@dataclass(frozen=True)
class Manifestation:
    """§11.50: printed name, date and time with zone, meaning — on every screen and export."""

    printed_name: str
    meaning: str
    signed_at: dt.datetime
    timezone: str

    @property
    def when(self) -> str:
        return self.signed_at.strftime("%Y-%m-%d %H:%M:%S %Z")

    @property
    def line(self) -> str:
        return f"{self.meaning.capitalize()} by {self.printed_name} on {self.when}"


@dataclass(frozen=True)
class Verification:
    valid: bool
    reason: str | None


@dataclass(frozen=True)
class SignatureView:
    id: int
    record: RecordRef
    record_version: int
    meaning: str
    printed_name: str
    username: str
    signed_at: dt.datetime
    method: str
    station: str
    comment: str | None
    valid: bool
    reason: str | None

    def manifestation(self, tz: str = "UTC") -> Manifestation:
        local = self.signed_at.astimezone(ZoneInfo(tz))
        return Manifestation(self.printed_name, self.meaning, local, tz)


def sign(
    uow: UnitOfWork,
    record: RecordRef,
    meaning: str,
    creds: Credentials,
    *,
    station: str,
    policy: IdentityPolicy,
    comment: str | None = None,
    expected_version: int | None = None,
    expected_hash: str | None = None,
) -> SignatureView:
    """Sign one record; see ``sign_many``."""
    shown = Shown(record, expected_version, expected_hash)
    return sign_many(uow, [shown], meaning, creds, station=station, comment=comment)[0]


@dataclass(frozen=True)
class Shown:
    """A record as the signing dialog showed it: the database refuses if it moved on."""

    record: RecordRef
    version: int | None = None
    content_hash: str | None = None


def sign_many(
    uow: UnitOfWork,
    records: list[Shown],
    meaning: str,
    creds: Credentials,
    *,
    station: str,
    comment: str | None = None,
) -> list[SignatureView]:
    """Re-authenticate the signer (one PIN entry, one argon2 run) and sign every record with
    ``meaning`` in the caller's transaction (the caller commits). The database verifies the
    proof, records the method it verified and attributes the rest of the transaction to the
    signer. A record shown without its content hash is bound to its content now, at the
    version shown (callers that display content pass the hash they displayed).

    Refusals: the identity errors, SignatureRefused (rules), StaleRecord (the record is not
    at the version or content shown)."""
    if not meaning or not meaning.strip():
        raise InvalidInput("Choose what the signature means (e.g. approved).")
    # before the PIN is spent: an oversized comment is refused by name and limit
    field_caps.check(uow.session, "workcell.signature", "comment", comment)
    payload = [_shown_payload(uow, s) for s in records]
    purpose = f"signing {', '.join(str(s.record) for s in records[:3])} as {meaning}"
    ans = answer(uow.session_factory, creds, "sign")
    params = {
        "c": ans.challenge_id,
        "proof": ans.proof,
        "meaning": meaning.strip(),
        "records": json.dumps(payload),
        "comment": comment,
    }
    with refusals_recorded(uow.session_factory, ans, f"{purpose} at {station}"):
        try:
            ids = [int(i) for i in uow.session.scalars(_SIGN, params)]
        except Exception as exc:
            raise (translate(exc) or exc) from exc
    views = [_view(uow.session.execute(_JUST_SIGNED, {"id": i}).one()) for i in ids]
    uow.signed_by(views[0].username)
    return views


def _shown_payload(uow: UnitOfWork, shown: Shown) -> dict[str, object]:
    version, content_hash = shown.version, shown.content_hash
    if version is None or content_hash is None:
        now = uow.session.execute(
            _CURRENT, {"record_type": shown.record.record_type, "record_id": shown.record.record_id}
        ).one_or_none()
        if now is None or now.version is None:
            raise NotFound(f"There is no {shown.record}.")
        version = now.version if version is None else version
        content_hash = now.hash if content_hash is None else content_hash
    return {
        "type": shown.record.record_type,
        "id": shown.record.record_id,
        "version": version,
        "hash": content_hash,
    }


def signatures_for(uow: UnitOfWork, record: RecordRef) -> list[SignatureView]:
    """Every signature on the record, oldest first, each with its binding re-verified."""
    rows = uow.session.execute(
        _BY_RECORD, {"record_type": record.record_type, "record_id": record.record_id}
    ).all()
    return [_view(row) for row in rows]


def verify(uow: UnitOfWork, signature_id: int) -> Verification:
    valid, reason = uow.session.execute(_VERIFY, {"id": signature_id}).one()
    return Verification(bool(valid), reason)


def describe_record(uow: UnitOfWork, record: RecordRef) -> RecordSummary:
    try:
        summary = uow.session.scalar(
            _SUMMARY, {"record_type": record.record_type, "record_id": record.record_id}
        )
    except Exception as exc:
        raise (translate(exc) or exc) from exc
    if summary is None:
        raise NotFound(f"There is no {record.record_type} {record.record_id}.")
    content_hash = uow.session.scalar(
        _HASH, {"record_type": record.record_type, "record_id": record.record_id}
    )
    return RecordSummary(
        str(summary["title"]),
        int(summary["version"]),
        tuple(str(x) for x in summary["lines"]),
        str(content_hash or ""),
    )


def _view(row: object) -> SignatureView:
    r = row._mapping  # type: ignore[attr-defined]
    return SignatureView(
        id=r["id"],
        record=RecordRef(r["record_type"], r["record_id"]),
        record_version=r["record_version"],
        meaning=r["meaning"],
        printed_name=r["printed_name"],
        username=r["username"],
        signed_at=r["signed_at"],
        method=r["method"],
        station=r["station"],
        comment=r["comment"],
        valid=bool(r["valid"]),
        reason=r["reason"],
    )
