"""Retest-date extension: after a retest, QA moves a lot's retest date later, signed
("retest_extended"; not by whoever received or produced the lot), with the reason and the
retest result's reference; every extension is kept. A lot past its retest date is refused
for use by the database until it is extended.

API:
  extend_retest(uow, lot_number, new_date, reason, reference, signing) -> int   (lot.retest)
  retest_history(uow, lot_number) -> list[Extension]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain.errors import InvalidInput, RuleViolation
from domain.services.eco import Signing
from domain.services.materials.db import lot_id, plant_today, run, scalar
from domain.services.materials.lots import get_lot
from domain.services.signatures import RecordRef, sign
from domain.uow import UnitOfWork

MEANING = "retest_extended"


@dataclass(frozen=True)
class Extension:
    at: dt.datetime
    old_date: dt.date
    new_date: dt.date
    reason: str
    reference: str
    by: str
    signature_id: int


def signed_comment(new_date: dt.date, reason: str, reference: str) -> str:
    """What the signature says (the database checks it names the new date)."""
    return f"retest date {new_date:%Y-%m-%d}: {reason.strip()} (result {reference.strip()})"


def extend_retest(
    uow: UnitOfWork, lot_number: str, new_date: dt.date, reason: str, reference: str,
    signing: Signing,
) -> int:  # fmt: skip
    if not reason.strip() or not reference.strip():
        raise InvalidInput("Give the reason and the retest result (report or CoA reference).")
    lot = get_lot(uow, lot_number)
    if lot.retest_date is None:
        raise RuleViolation(f"Lot {lot.lot_number} has no retest date to extend.")
    today = plant_today(uow)
    if new_date <= max(lot.retest_date, today):
        raise InvalidInput(
            f"The new retest date must be after {max(lot.retest_date, today):%Y-%m-%d}."
        )
    if lot.expiry_date is not None and new_date > lot.expiry_date:
        raise RuleViolation(
            f"Lot {lot.lot_number} expires on {lot.expiry_date:%Y-%m-%d}: a retest date never "
            "goes past the expiry date."
        )
    if lot.created_by == signing.creds.username:
        raise RuleViolation(
            f"{lot.created_by} received or produced lot {lot.lot_number}: someone else "
            "extends its retest date.",
            title="Segregation of duties",
        )
    comment = signed_comment(new_date, reason, reference)
    signature = sign(
        uow, RecordRef("lot", lot.id), MEANING, signing.creds, station=signing.station,
        policy=signing.policy, comment=comment,
        expected_version=signing.expected_version or lot.version,
        expected_hash=signing.expected_hash,
    )  # fmt: skip
    return int(
        scalar(
            uow,
            "SELECT workcell.extend_retest(:lot, :d, :reason, :ref, :sig)",
            {"lot": lot.id, "d": new_date, "reason": reason.strip(), "ref": reference.strip(),
             "sig": signature.id},
        )
    )  # fmt: skip


def retest_history(uow: UnitOfWork, lot_number: str) -> list[Extension]:
    rows = run(
        uow,
        "SELECT x.created_at, x.old_retest_date, x.new_retest_date, x.reason, x.reference,"
        " u.username, x.signature_id FROM workcell.retest_extension x"
        " JOIN workcell.users u ON u.id = x.created_by WHERE x.lot_id = :lot ORDER BY x.id",
        {"lot": lot_id(uow, lot_number)},
    )
    return [Extension(*r) for r in rows]
