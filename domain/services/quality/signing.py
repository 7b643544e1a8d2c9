"""Signing a quality record (or several with one PIN entry) in the caller's transaction,
then moving its status: the database checks the signature on the record's current content."""

from __future__ import annotations

from domain.services.eco import Signing
from domain.services.signatures import RecordRef, Shown, SignatureView, sign_many
from domain.uow import UnitOfWork


def sign_records(
    uow: UnitOfWork, records: list[tuple[str, int, int]], meaning: str, signing: Signing
) -> list[SignatureView]:
    """``records``: (record type, id, version shown). The first record may carry the hash
    the signer was shown."""
    shown = [
        Shown(RecordRef(kind, rid), version, signing.expected_hash if i == 0 else None)
        for i, (kind, rid, version) in enumerate(records)
    ]
    signatures = sign_many(
        uow, shown, meaning, signing.creds, station=signing.station, comment=signing.comment
    )
    uow.set_reason((signing.comment or f"{meaning} (signature {signatures[0].id})")[:500])
    return signatures
