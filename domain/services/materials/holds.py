"""Holds are records: a lot is held while any of its holds is open. A QA or recall hold
is released with a QA signature; an inspection or NCR hold only by its own record (those
areas come later: the database refuses until then).

API:
  place_hold(uow, lot_number, reason, source="qa", source_ref="") -> int      (hold.place)
  release_hold(uow, hold_id, signing) -> SignatureView                          (hold.release)
  hold_forward(uow, lot_number, reason) -> list[str]   hold every lot made from it (recall)
"""

from __future__ import annotations

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.services.access import require_permission
from domain.services.eco import Signing
from domain.services.materials.db import lot_id, one, run, scalar
from domain.services.signatures import RecordRef, SignatureView, sign
from domain.uow import UnitOfWork

SOURCES = ("qa", "inspection", "ncr", "recall")


def place_hold(
    uow: UnitOfWork, lot_number: str, reason: str, source: str = "qa", source_ref: str = ""
) -> int:
    require_permission(uow, "hold.place")
    if not reason.strip():
        raise InvalidInput("Say why the lot is held.")
    if source not in SOURCES:
        raise InvalidInput(f"A hold comes from one of: {', '.join(SOURCES)}.")
    lot = lot_id(uow, lot_number)
    uow.set_reason(f"hold: {reason.strip()}"[:500])
    return int(
        scalar(
            uow,
            "INSERT INTO workcell.hold (lot_id, source, source_ref, reason, version)"
            " VALUES (:lot, :source, :ref, :reason, 1) RETURNING id",
            {"lot": lot, "source": source, "ref": source_ref.strip(), "reason": reason.strip()},
        )
    )


def release_hold(uow: UnitOfWork, hold_id: int, signing: Signing) -> SignatureView:
    row = one(
        uow, "SELECT status, source, version FROM workcell.hold WHERE id = :id", {"id": hold_id}
    )
    if row is None:
        raise NotFound(f"There is no hold {hold_id}.")
    if row.status != "open":
        raise RuleViolation(f"Hold {hold_id} is already closed.")
    if row.source in ("inspection", "ncr"):
        raise RuleViolation(
            f"Hold {hold_id} came from an {row.source.upper()}: it closes with that record's "
            "decision, not by hand."
        )
    signature = sign(
        uow, RecordRef("hold", hold_id), "released", signing.creds, station=signing.station,
        policy=signing.policy, comment=signing.comment, expected_version=row.version,
        expected_hash=signing.expected_hash,
    )  # fmt: skip
    uow.set_reason(signing.comment or f"hold {hold_id} released (signature {signature.id})")
    run(
        uow,
        "UPDATE workcell.hold SET status = 'closed', close_comment = :c, version = version + 1"
        " WHERE id = :id",
        {"id": hold_id, "c": (signing.comment or "")[:500]},
    )
    return signature


def hold_forward(uow: UnitOfWork, lot_number: str, reason: str) -> list[str]:
    """Recall hold on the lot and every lot made from it that still has stock (forward
    trace); returns the lot numbers held."""
    from domain.services.materials.trace import forward_lot_ids

    root = lot_id(uow, lot_number)
    held = []
    for lot in [root, *forward_lot_ids(uow, root)]:
        row = one(
            uow,
            "SELECT lot_number, EXISTS (SELECT 1 FROM workcell.on_hand o WHERE o.lot_id = l.id"
            " AND o.quantity > 0) AS stocked FROM workcell.lot l WHERE l.id = :id",
            {"id": lot},
        )
        if row is not None and row.stocked:
            place_hold(uow, row.lot_number, reason, "recall", lot_number.strip().upper())
            held.append(str(row.lot_number))
    return held
