"""Switching states per item and supplier (normal, tightened, reduced, discontinued), the
score, the rule that last moved the state and every move with its rule.

API:
  switching_states(uow) -> list[SwitchingRow]           (every item and supplier inspected)
  get_switching(uow, item_number, supplier_code) -> SwitchingView
  move_switching(uow, item_number, supplier_code, to, reason) -> SwitchingView   (QA)
  judgement_move(view, permitted) -> (to, why not) | None   the move QA may make from here

The lots move the state themselves (the database, at each inspection's completion); QA
moves it by judgement only where the standard asks for the responsible authority: normal
to reduced (score >= 30), discontinued back to tightened, reduced back to normal.
"""

from __future__ import annotations

from domain.services.materials.db import id_of, item_id, one, run
from domain.uow import UnitOfWork
from domain.views.quality import SwitchingEvent, SwitchingRow, SwitchingView

__all__ = ["SwitchingEvent", "SwitchingRow", "SwitchingView", "get_switching", "judgement_move",
           "move_switching", "switching_states"]  # fmt: skip

# The moves workcell.switching_move accepts (its CASE), said before QA types a reason; the
# database checks them again.
JUDGEMENT = {"normal": "reduced", "discontinued": "tightened", "reduced": "normal"}
REDUCED_SCORE = 30


def switching_states(uow: UnitOfWork, limit: int = 500) -> list[SwitchingRow]:
    """Every item and supplier with a switching state, the tightest first (discontinued,
    tightened, then normal and reduced), then the newest move."""
    return [
        SwitchingRow(*r)
        for r in run(
            uow,
            "SELECT i.item_number, s.code, w.status, w.score, w.last_rule,"
            " (SELECT count(*) FROM workcell.switching_event e WHERE e.state_id = w.id),"
            " (SELECT max(e.at) FROM workcell.switching_event e WHERE e.state_id = w.id)"
            " FROM workcell.switching_state w JOIN workcell.item i ON i.id = w.item_id"
            " JOIN workcell.supplier s ON s.id = w.supplier_id"
            " ORDER BY array_position(ARRAY['discontinued', 'tightened', 'normal', 'reduced'],"
            " w.status), 7 DESC NULLS LAST, i.item_number, s.code LIMIT :n",
            {"n": limit},
        )
    ]


def get_switching(uow: UnitOfWork, item_number: str, supplier_code: str) -> SwitchingView:
    item = item_id(uow, item_number)
    supplier = id_of(uow, "supplier", "code", supplier_code.strip().upper(), "supplier")
    row = one(
        uow,
        "SELECT id, status, score, recent, tightened_rejects, last_rule FROM"
        " workcell.switching_state WHERE item_id = :i AND supplier_id = :s",
        {"i": item, "s": supplier},
    )
    if row is None:  # never inspected: normal inspection is where it starts
        return SwitchingView(item_number.upper(), supplier_code.upper(), "normal", 0, "", 0,
                             "start on normal inspection", ())  # fmt: skip
    events = tuple(
        SwitchingEvent(*r)
        for r in run(
            uow,
            "SELECT e.at, e.from_status, e.to_status, e.rule, e.score_before, e.score_after,"
            " i.number, u.username FROM workcell.switching_event e"
            " JOIN workcell.users u ON u.id = e.actor_id"
            " LEFT JOIN workcell.inspection i ON i.id = e.inspection_id"
            " WHERE e.state_id = :id ORDER BY e.id",
            {"id": row.id},
        )
    )
    return SwitchingView(
        item_number.upper(), supplier_code.upper(), row.status, row.score, row.recent,
        row.tightened_rejects, row.last_rule, events,
    )  # fmt: skip


def move_switching(
    uow: UnitOfWork, item_number: str, supplier_code: str, to: str, reason: str
) -> SwitchingView:
    item = item_id(uow, item_number)
    supplier = id_of(uow, "supplier", "code", supplier_code.strip().upper(), "supplier")
    uow.set_reason(f"switching to {to}: {reason.strip()}"[:500])
    run(uow, "SELECT workcell.switching_move(:i, :s, :to, :why)",
        {"i": item, "s": supplier, "to": to, "why": reason})  # fmt: skip
    return get_switching(uow, item_number, supplier_code)


def judgement_move(view: SwitchingView, permitted: bool) -> tuple[str, str | None] | None:
    """The move QA may make by judgement from this state and why it cannot be made now
    (None: it may), or None when the state moves only with the lots (tightened)."""
    to = JUDGEMENT.get(view.status)
    if to is None:
        return None
    if not permitted:
        return to, "moving the severity by judgement needs quality.switching (QA)."
    if to == "reduced" and view.score < REDUCED_SCORE:
        return to, f"reduced needs a switching score of {REDUCED_SCORE} (it is {view.score})."
    return to, None
