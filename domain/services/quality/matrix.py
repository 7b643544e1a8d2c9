"""The NCR risk matrix, a controlled record: severity (1..5) x occurrence (1..5) -> risk class,
and per risk class and disposition the approvals the NCR needs. A new revision starts as a
draft (quality.configure), copied from the released one and edited cell by cell; QA releases
it by signature ("approved", never its author), which supersedes the revision released
before in the same transaction. NCRs keep the revision they were classed on.

API:
  matrices(uow) -> list[MatrixRow]                          every revision, newest first,
                                                            with when it was signed released
  get_matrix(uow, revision=None) -> MatrixView              the released one by default
  propose_matrix(uow, title, cells, approvals=None) -> MatrixView
        a new draft (or the draft edited); ``approvals`` changes what a class and
        disposition needs (QA always among them; a disposition the matrix allows stays allowed)
  release_matrix(uow, revision, signing) -> MatrixView      signed "approved", released

The database refuses a change to a released or superseded revision (WC128), a release
without all 25 cells or by the author (the signing rule), a second released revision.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.services.access import require_permission
from domain.services.eco import Signing
from domain.services.materials.db import one, run, scalar
from domain.services.quality.ncr import APPROVALS
from domain.services.quality.signing import sign_records
from domain.uow import UnitOfWork
from domain.views.quality import RISK_CLASSES as CLASSES
from domain.views.quality import RISK_SCALE as SCALE
from domain.views.quality import MatrixRow, MatrixView


def matrices(uow: UnitOfWork) -> list[MatrixRow]:
    return [
        MatrixRow(*r)
        for r in run(
            uow,
            "SELECT m.revision, m.title, m.status, u.username, m.created_at,"
            " (SELECT max(s.signed_at) FROM workcell.signature s"
            "   WHERE s.record_type = 'risk_matrix' AND s.record_id = m.id"
            "     AND s.meaning = 'approved') AS released_at"
            " FROM workcell.risk_matrix m JOIN workcell.users u ON u.id = m.created_by"
            " ORDER BY m.revision DESC LIMIT 100",
        )
    ]


def get_matrix(uow: UnitOfWork, revision: int | None = None) -> MatrixView:
    row = one(
        uow,
        "SELECT m.id, m.revision, m.title, m.status, m.version, u.username AS created_by,"
        " m.created_at FROM workcell.risk_matrix m JOIN workcell.users u ON u.id = m.created_by"
        " WHERE (CAST(:r AS integer) IS NULL AND m.status = 'released') OR m.revision = :r",
        {"r": revision},
    )
    if row is None:
        raise NotFound(
            "There is no released risk matrix." if revision is None
            else f"There is no risk matrix revision {revision}."
        )  # fmt: skip
    p = {"id": row.id}
    cells = {
        (int(r.severity), int(r.occurrence)): str(r.risk_class)
        for r in run(
            uow,
            "SELECT severity, occurrence, risk_class FROM workcell.risk_matrix_cell"
            " WHERE matrix_id = :id",
            p,
        )
    }
    approvals = {
        (str(r.risk_class), str(r.disposition)): tuple(r.approvals)
        for r in run(
            uow,
            "SELECT risk_class, disposition, approvals FROM workcell.risk_matrix_approval"
            " WHERE matrix_id = :id",
            p,
        )
    }
    return MatrixView(**dict(row._mapping), cells=cells, approvals=approvals)


def _draft(uow: UnitOfWork) -> MatrixView | None:
    found = scalar(uow, "SELECT revision FROM workcell.risk_matrix WHERE status = 'draft'"
                        " ORDER BY revision DESC LIMIT 1")  # fmt: skip
    return None if found is None else get_matrix(uow, int(found))


def _check(title: str, cells: Mapping[tuple[int, int], str]) -> None:
    if not title.strip():
        raise InvalidInput("Give the risk matrix revision a title (what changed and why).")
    missing = [(s, o) for s in SCALE for o in SCALE if cells.get((s, o)) not in CLASSES]
    if missing:
        s, o = missing[0]
        raise InvalidInput(
            f"Every cell needs a risk class ({', '.join(CLASSES)}): severity {s} x occurrence"
            f" {o} has none ({len(missing)} missing)."
        )


Approvals = Mapping[tuple[str, str], tuple[str, ...]]


def _check_approvals(approvals: Approvals, base: Approvals) -> None:
    """Only what the matrix allows is changed (no row is removed from a controlled record: a
    disposition allowed stays allowed), each needing QA's approval among known meanings."""
    for (cls, disposition), meanings in approvals.items():
        if (cls, disposition) not in base:
            raise InvalidInput(
                f"The matrix allows no {disposition.replace('_', ' ')} for a {cls} NCR:"
                " only the approvals of an allowed disposition change."
            )
        unknown = [m for m in meanings if m not in APPROVALS]
        if unknown or "qa_approved" not in meanings:
            raise InvalidInput(
                f"{cls} {disposition.replace('_', ' ')}: approvals are among"
                f" {', '.join(APPROVALS)}, and QA's is always one of them."
            )


def propose_matrix(
    uow: UnitOfWork,
    title: str,
    cells: Mapping[tuple[int, int], str],
    approvals: Approvals | None = None,
) -> MatrixView:
    """The draft revision with these cells and title: a new one (the approvals copied from
    the released revision, then ``approvals`` applied) or the open draft edited. Not yet in
    force."""
    require_permission(uow, "quality.configure")
    _check(title, cells)
    changes = {k: tuple(dict.fromkeys(v)) for k, v in (approvals or {}).items()}
    draft = _draft(uow)
    _check_approvals(changes, (draft or get_matrix(uow)).approvals)
    if draft is None:
        released = get_matrix(uow)
        revision = 1 + int(
            scalar(uow, "SELECT coalesce(max(revision), 0) FROM workcell.risk_matrix")
        )
        uow.set_reason(f"risk matrix revision {revision} proposed: {title.strip()}"[:500])
        mid = int(scalar(
            uow, "INSERT INTO workcell.risk_matrix (revision, title, version)"
            " VALUES (:r, :t, 1) RETURNING id", {"r": revision, "t": title.strip()},
        ))  # fmt: skip
        for (s, o), cls in sorted(cells.items()):
            run(uow, "INSERT INTO workcell.risk_matrix_cell (matrix_id, severity, occurrence,"
                " risk_class, version) VALUES (:m, :s, :o, :c, 1)",
                {"m": mid, "s": s, "o": o, "c": cls})  # fmt: skip
        for key, needed in sorted({**released.approvals, **changes}.items()):
            run(uow, "INSERT INTO workcell.risk_matrix_approval (matrix_id, risk_class,"
                " disposition, approvals, version) VALUES (:m, :c, :d, :a, 1)",
                {"m": mid, "c": key[0], "d": key[1], "a": list(needed)})  # fmt: skip
        return get_matrix(uow, revision)
    uow.set_reason(f"risk matrix revision {draft.revision} draft edited: {title.strip()}"[:500])
    for (s, o), cls in sorted(cells.items()):
        if draft.cells.get((s, o)) != cls:
            run(uow, "UPDATE workcell.risk_matrix_cell SET risk_class = :c, version = version + 1"
                " WHERE matrix_id = :m AND severity = :s AND occurrence = :o",
                {"m": draft.id, "s": s, "o": o, "c": cls})  # fmt: skip
    for (cls, disposition), needed in sorted(changes.items()):
        if tuple(draft.approvals[(cls, disposition)]) != needed:
            run(uow, "UPDATE workcell.risk_matrix_approval SET approvals = :a,"
                " version = version + 1 WHERE matrix_id = :m AND risk_class = :c"
                " AND disposition = :d",
                {"m": draft.id, "c": cls, "d": disposition, "a": list(needed)})  # fmt: skip
    if draft.title != title.strip():
        run(uow, "UPDATE workcell.risk_matrix SET title = :t, version = version + 1"
            " WHERE id = :id", {"t": title.strip(), "id": draft.id})  # fmt: skip
    return get_matrix(uow, draft.revision)


def _move(uow: UnitOfWork, m: MatrixView, to: str) -> None:
    rows = run(
        uow,
        "UPDATE workcell.risk_matrix SET status = :to, version = version + 1"
        " WHERE id = :id AND version = :v RETURNING id",
        {"to": to, "id": m.id, "v": m.version},
    )
    if not rows:
        raise RuleViolation(f"Risk matrix revision {m.revision} changed meanwhile: reload it.")


def release_matrix(uow: UnitOfWork, revision: int, signing: Signing) -> MatrixView:
    """QA's approval (not the author's): the released revision is superseded first, in the
    same transaction (only one is ever released)."""
    m = get_matrix(uow, revision)
    if m.status != "draft":
        raise RuleViolation(
            f"Risk matrix revision {m.revision} is {m.status}: only a draft is released."
        )
    if m.created_by == signing.creds.username:
        raise RuleViolation(
            f"{m.created_by} proposed revision {m.revision}: someone else approves it.",
            title="Segregation of duties",
        )
    sign_records(uow, [("risk_matrix", m.id, m.version)], "approved", signing)
    m = get_matrix(uow, revision)  # signing does not move the version; read it once more
    for old in run(uow, "SELECT revision FROM workcell.risk_matrix WHERE status = 'released'"):
        _move(uow, get_matrix(uow, int(old.revision)), "superseded")
    _move(uow, m, "released")
    return get_matrix(uow, revision)
