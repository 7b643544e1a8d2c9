"""8-D CAPA on an NCR: D0..D8, each with content, an owner, a due date and the owner's
signature when complete (in order; D3 starts with the NCR's held lots; D7, effectiveness,
before D8, which QA signs); closed by QA when every section is complete. An open CAPA keeps
its NCR from closing.

API:
  raise_capa(uow, ncr_number, title, owners, due) -> CapaView     (nine owners and dates)
  get_capa(uow, number) -> CapaView
  write_section(uow, number, discipline, content) -> CapaView     (its owner, or QA)
  complete_section(uow, number, discipline, signing) -> CapaView  (signed "completed")
  close_capa(uow, number, signing) -> CapaView                    (QA, signed "closed")
  overdue_actions(uow) -> list[Overdue]     open sections past their due date (plant's today)
"""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.services.eco import Signing
from domain.services.materials.db import id_of, one, run, scalar
from domain.services.quality.signing import sign_records
from domain.uow import UnitOfWork
from domain.views.quality import Overdue


@dataclass(frozen=True)
class Section:
    id: int
    discipline: int
    title: str
    content: str
    owner: str
    due_date: dt.date
    status: str
    completed_at: dt.datetime | None
    version: int
    overdue: bool


@dataclass(frozen=True)
class CapaView:
    id: int
    number: str
    ncr_number: str
    title: str
    status: str
    created_by: str
    version: int
    sections: tuple[Section, ...]


def get_capa(uow: UnitOfWork, number: str) -> CapaView:
    row = one(
        uow,
        "SELECT c.id, c.number, n.number AS ncr_number, c.title, c.status, u.username AS created_by,"
        " c.version FROM workcell.capa c JOIN workcell.ncr n ON n.id = c.ncr_id"
        " JOIN workcell.users u ON u.id = c.created_by WHERE c.number = :n",
        {"n": number.strip().upper()},
    )
    if row is None:
        raise NotFound(f"There is no CAPA {number.strip()!r}.")
    sections = tuple(
        Section(*r)
        for r in run(
            uow,
            "SELECT s.id, s.discipline, workcell.capa_title(s.discipline), s.content, u.username,"
            " s.due_date, s.status, s.completed_at, s.version,"
            " s.status = 'open' AND s.due_date < workcell.plant_today()"
            " FROM workcell.capa_section s JOIN workcell.users u ON u.id = s.owner_id"
            " WHERE s.capa_id = :id ORDER BY s.discipline",
            {"id": row.id},
        )
    )
    return CapaView(**dict(row._mapping), sections=sections)


def raise_capa(
    uow: UnitOfWork, ncr_number: str, title: str, owners: Sequence[str], due: Sequence[dt.date]
) -> CapaView:
    if not title.strip():
        raise InvalidInput("Give the CAPA a title.")
    if len(owners) != 9 or len(due) != 9:
        raise InvalidInput("Name an owner and a due date for each of D0..D8 (nine of each).")
    ncr = id_of(uow, "ncr", "number", ncr_number.strip().upper(), "NCR")
    ids = [id_of(uow, "users", "username", o.strip().lower(), "person") for o in owners]
    uow.set_reason(f"CAPA raised on {ncr_number.strip().upper()}: {title.strip()}"[:500])
    cid = scalar(
        uow,
        "SELECT workcell.raise_capa(:n, :t, CAST(:o AS bigint[]), CAST(:d AS date[]))",
        {"n": ncr, "t": title, "o": ids, "d": list(due)},
    )
    return get_capa(
        uow, str(scalar(uow, "SELECT number FROM workcell.capa WHERE id = :id", {"id": cid}))
    )


def _section(view: CapaView, discipline: int) -> Section:
    for s in view.sections:
        if s.discipline == discipline:
            return s
    raise NotFound(f"CAPA {view.number} has no D{discipline}.")


def write_section(uow: UnitOfWork, number: str, discipline: int, content: str) -> CapaView:
    view = get_capa(uow, number)
    s = _section(view, discipline)
    if s.status != "open":
        raise RuleViolation(f"{s.title} is complete: its content is signed.")
    uow.set_reason(f"CAPA {view.number} {s.title[:2]} written")
    run(uow, "UPDATE workcell.capa_section SET content = :c, version = version + 1"
             " WHERE id = :id AND version = :v", {"c": content.strip(), "id": s.id, "v": s.version})  # fmt: skip
    return get_capa(uow, number)


def complete_section(uow: UnitOfWork, number: str, discipline: int, signing: Signing) -> CapaView:
    view = get_capa(uow, number)
    s = _section(view, discipline)
    if s.status != "open":
        raise RuleViolation(f"{s.title} is already complete.")
    if not s.content.strip():
        raise InvalidInput(f"{s.title} has no content yet.")
    sign_records(uow, [("capa_section", s.id, s.version)], "completed", signing)
    run(uow, "UPDATE workcell.capa_section SET status = 'complete', version = version + 1"
             " WHERE id = :id", {"id": s.id})  # fmt: skip
    return get_capa(uow, number)


def close_capa(uow: UnitOfWork, number: str, signing: Signing) -> CapaView:
    view = get_capa(uow, number)
    if view.status != "open":
        raise RuleViolation(f"CAPA {view.number} is {view.status}.")
    sign_records(uow, [("capa", view.id, view.version)], "closed", signing)
    run(uow, "UPDATE workcell.capa SET status = 'closed', version = version + 1 WHERE id = :id",
        {"id": view.id})  # fmt: skip
    return get_capa(uow, number)


def overdue_actions(uow: UnitOfWork) -> list[Overdue]:
    """What the supervisor's and QA's home screens list (screens/quality/overdue.py)."""
    return [
        Overdue(*r)
        for r in run(
            uow,
            "SELECT c.number, n.number, workcell.capa_title(s.discipline), u.username, s.due_date"
            " FROM workcell.capa_section s JOIN workcell.capa c ON c.id = s.capa_id"
            " JOIN workcell.ncr n ON n.id = c.ncr_id JOIN workcell.users u ON u.id = s.owner_id"
            " WHERE s.status = 'open' AND s.due_date < workcell.plant_today() AND c.status = 'open'"
            " ORDER BY s.due_date, c.number, s.discipline",
        )
    ]
