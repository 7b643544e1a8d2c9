"""Deviations: opened by the database for an out-of-limit value or a failed check, by hand
at a step for a substitution or a skipped check; approved by QA with a signature by someone
who did not perform the work. An open deviation keeps its step (or the work order's review)
waiting."""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.services.access import require_permission
from domain.services.eco import Signing
from domain.services.materials.db import run, scalar
from domain.services.signatures import RecordRef, sign
from domain.uow import UnitOfWork
from domain.views.work_orders import DeviationView

KINDS_BY_HAND = ("substitution", "skipped_check", "other")

_SELECT = """
SELECT v.id, v.number, w.number AS work_order, si.seq, v.kind, v.what, v.expected, v.actual, v.why, v.status,
       ou.printed_name AS opened_by, v.created_at, du.printed_name AS decided_by, v.decided_at, v.version,
       v.step_instance_id
  FROM workcell.deviation v
  JOIN workcell.work_order w ON w.id = v.work_order_id
  JOIN workcell.users ou ON ou.id = v.created_by
  LEFT JOIN workcell.users du ON du.id = v.decided_by
  LEFT JOIN workcell.step_instance si ON si.id = v.step_instance_id
"""


def select_deviations(
    uow: UnitOfWork, where: str, params: Mapping[str, Any]
) -> list[DeviationView]:
    return [DeviationView(*r) for r in run(uow, f"{_SELECT} WHERE {where} ORDER BY v.id", params)]


def get_deviation(uow: UnitOfWork, number: str) -> DeviationView:
    found = select_deviations(uow, "v.number = :n", {"n": number.strip().upper()})
    if not found:
        raise NotFound(f"There is no deviation {number.strip()!r}.")
    return found[0]


def deviations_of(uow: UnitOfWork, work_order: str) -> list[DeviationView]:
    from domain.services.work_orders.planning import normalise

    return select_deviations(uow, "w.number = :n", {"n": normalise(work_order)})


def open_deviations(uow: UnitOfWork) -> list[DeviationView]:
    """Every deviation waiting for QA, oldest first (QA's worklist)."""
    return select_deviations(uow, "v.status = 'open'", {})


def open_deviation(
    uow: UnitOfWork, step_id: int, kind: str, what: str, expected: str, actual: str, why: str
) -> DeviationView:
    """A substitution, a skipped check (or other) at a running step: what, expected, actual,
    why; the person is the session holder, the time the server's."""
    require_permission(uow, "deviation.open")
    if kind not in KINDS_BY_HAND:
        raise InvalidInput(f"A deviation opened at the step is one of: {', '.join(KINDS_BY_HAND)}.")
    if not what.strip() or not why.strip():
        raise InvalidInput("Say what happened and why.")
    for label, value, cap in (
        ("What", what, 500),
        ("Expected", expected, 500),
        ("Actual", actual, 500),
        ("Why", why, 2000),
    ):
        if len(value) > cap:
            raise InvalidInput(f"{label} has at most {cap} characters.")
    new_id = scalar(
        uow,
        "SELECT workcell.wo_open_deviation(:s, :k, :what, :exp, :act, :why)",
        {"s": step_id, "k": kind, "what": what, "exp": expected, "act": actual, "why": why},
    )
    return select_deviations(uow, "v.id = :id", {"id": new_id})[0]


def approve_deviation(uow: UnitOfWork, number: str, signing: Signing) -> DeviationView:
    """QA approves, signed (the comment is the disposition); not by the performer. The
    signer may be QA tapping their badge at an operator's station (the operator stays
    signed in): who may approve is the signer's question, asked by the database when the
    signature is made (the signing rule's deviation.approve, the performer refused), and
    the status move that follows is attributed to the signer."""
    dev = get_deviation(uow, number)
    if dev.status != "open":
        raise RuleViolation(f"Deviation {dev.number} is {dev.status} already.")
    signature = sign(
        uow, RecordRef("deviation", dev.id), "approved", signing.creds, station=signing.station,
        policy=signing.policy, comment=signing.comment, expected_version=dev.version,
        expected_hash=signing.expected_hash,
    )  # fmt: skip
    uow.set_reason(signing.comment or f"deviation {dev.number} approved (signature {signature.id})")
    rows = run(
        uow,
        "UPDATE workcell.deviation SET status = 'approved', version = version + 1"
        " WHERE id = :id AND version = :v RETURNING id",
        {"id": dev.id, "v": dev.version},
    )
    if not rows:
        raise RuleViolation(f"Deviation {dev.number} changed meanwhile: look at it again.")
    return get_deviation(uow, dev.number)
