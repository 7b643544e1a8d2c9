"""Revisions in time: which BOM or routing revision is in effect at an instant, release and
supersession (closing the predecessor's range), and the "as of DATE" convention.

A released revision is in effect over a half-open range [start, end). The database refuses
two ranges of one item that overlap (exclusion constraint; a routing's standard and
rework revisions each have their own ranges, migration 0036) and a start in the past; this
module gives the same refusals a readable message first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, func, select, text
from sqlalchemy.dialects.postgresql import Range

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.models import BomRevision, RoutingRevision
from domain.services.access import require_permission
from domain.services.engineering_rules import LABEL_RE, next_label
from domain.services.items import load_item
from domain.uow import UnitOfWork
from domain.views.engineering import KIND_NAMES as KIND_NAMES
from domain.views.engineering import RevisionSummary as RevisionSummary

Kind = Literal["bom", "routing"]
Revision = BomRevision | RoutingRevision
PURPOSES = ("standard", "rework")  # a routing revision is made for one (migration 0036)
MODELS: dict[str, type[BomRevision] | type[RoutingRevision]] = {
    "bom": BomRevision,
    "routing": RoutingRevision,
}


def site_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"Unknown time zone {name!r} in the station settings.") from None


def parse_instant(value: str, timezone: str) -> dt.datetime:
    """``YYYY-MM-DD`` means 00:00 that day in the site zone; a time without zone is site time."""
    value = value.strip()
    zone = site_zone(timezone)
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone)
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date (YYYY-MM-DD) or date and time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def server_now(uow: UnitOfWork) -> dt.datetime:
    """The transaction's time on the database server (never the station clock)."""
    now = uow.session.scalar(select(func.now()))
    assert isinstance(now, dt.datetime)
    return now


def load_revision(uow: UnitOfWork, kind: Kind, item_number: str, label: str) -> Revision:
    model = MODELS[kind]
    item = load_item(uow, item_number)
    rev = cast(
        Revision | None,
        uow.session.scalar(
            select(model).where(model.item_id == item.id, model.revision == label.strip().upper())
        ),
    )
    if rev is None:
        raise NotFound(f"{item.item_number} has no {KIND_NAMES[kind]} revision {label!r}.")
    return rev


def revision_at(
    uow: UnitOfWork, kind: Kind, item_id: int, at: dt.datetime, purpose: str = "standard"
) -> Revision | None:
    """The revision in effect at ``at``; for a routing, the one made for ``purpose``."""
    return cast(Revision | None, uow.session.scalar(_of_purpose(
        select(MODELS[kind]).where(MODELS[kind].item_id == item_id,
                                   MODELS[kind].effective.contains(at)), kind, purpose,
    )))  # fmt: skip


def _of_purpose(stmt: Select[Any], kind: Kind, purpose: str) -> Select[Any]:
    # routings have a standard and a rework line of revisions, each with its own ranges
    return stmt.where(RoutingRevision.purpose == purpose) if kind == "routing" else stmt


def purpose_of(rev: Revision) -> str:
    return rev.purpose if isinstance(rev, RoutingRevision) else "standard"


def summarise(uow: UnitOfWork, kind: Kind, rev: Revision) -> RevisionSummary:
    row = uow.session.execute(
        text(
            "SELECT (SELECT item_number FROM workcell.item WHERE id = :item),"
            " (SELECT username FROM workcell.users WHERE id = :by),"
            f" workcell.{kind}_revision_hash(:rid)"
        ),
        {"item": rev.item_id, "by": rev.created_by, "rid": rev.id},
    ).one()
    eff = rev.effective
    return RevisionSummary(
        rev.id,
        kind,
        row[0],
        rev.revision,
        rev.description,
        rev.status,
        eff.lower if eff is not None else None,
        eff.upper if eff is not None else None,
        rev.version,
        rev.created_at,
        row[1],
        row[2],
        purpose_of(rev),
    )


def history(uow: UnitOfWork, kind: Kind, item_number: str) -> list[RevisionSummary]:
    """Every revision of an item, oldest first (released ones in effective order)."""
    model = MODELS[kind]
    item = load_item(uow, item_number)
    revs: list[Revision] = list(uow.session.scalars(
        select(model).where(model.item_id == item.id).order_by(model.created_at, model.id)
    ))  # fmt: skip
    return [summarise(uow, kind, r) for r in revs]


def new_draft(
    uow: UnitOfWork,
    kind: Kind,
    item_number: str,
    label: str | None,
    description: str,
    purpose: str = "standard",
) -> Revision:
    require_permission(uow, "engineering.edit")
    model = MODELS[kind]
    item = load_item(uow, item_number)
    if item.status == "obsolete":
        raise RuleViolation(f"{item.item_number} is obsolete: it gets no new revisions.")
    labels = list(uow.session.scalars(select(model.revision).where(model.item_id == item.id)))
    label = (label or next_label(labels)).strip().upper()
    if not LABEL_RE.match(label):
        raise InvalidInput(f"Revision label {label!r}: 1-8 capitals, digits, '.' or '-'.")
    if label in labels:
        raise InvalidInput(f"{item.item_number} already has {KIND_NAMES[kind]} revision {label}.")
    if purpose not in PURPOSES or (purpose != "standard" and kind != "routing"):
        raise InvalidInput(f"A {KIND_NAMES[kind]} revision is made for: standard work"
                           f"{' or rework' if kind == 'routing' else ''}.")  # fmt: skip
    rev = model(item_id=item.id, revision=label, description=description.strip())
    if isinstance(rev, RoutingRevision):
        rev.purpose = purpose
    uow.session.add(rev)
    uow.flush()
    uow.session.refresh(rev)
    return rev


def require_editable(uow: UnitOfWork, kind: Kind, rev: Revision) -> None:
    """The actor may edit engineering drafts, and this revision is one."""
    require_permission(uow, "engineering.edit")
    require_draft(kind, rev)


def require_draft(kind: Kind, rev: Revision) -> None:
    if rev.status != "draft":
        raise RuleViolation(
            f"{KIND_NAMES[kind]} revision {rev.revision} is {rev.status.replace('_', ' ')}: "
            "only a draft can be edited. Make a new revision through an ECO."
        )


def release(uow: UnitOfWork, kind: Kind, rev: Revision, start: dt.datetime | None) -> None:
    """Put ``rev`` in effect from ``start`` (now if None), closing its predecessor's range."""
    model = MODELS[kind]
    now = server_now(uow)
    start = start or now
    if start < now:
        raise RuleViolation(
            f"Effective date {start:%Y-%m-%d %H:%M %Z} is in the past; choose now or later."
        )
    latest = cast(Revision | None, uow.session.scalar(
        _of_purpose(select(model), kind, purpose_of(rev))
        .where(model.item_id == rev.item_id, model.effective.is_not(None))
        .order_by(func.lower(model.effective).desc())
        .limit(1)
        .with_for_update()
    ))  # fmt: skip
    if latest is not None and latest.effective is not None:
        _close_predecessor(uow, kind, latest, start)
    rev.status = "released"
    rev.effective = Range(start, None, bounds="[)")
    uow.flush()


def _close_predecessor(uow: UnitOfWork, kind: Kind, latest: Revision, start: dt.datetime) -> None:
    eff = latest.effective
    assert eff is not None and eff.lower is not None
    if start <= eff.lower:
        raise RuleViolation(
            f"{KIND_NAMES[kind]} revision {latest.revision} starts {eff.lower:%Y-%m-%d %H:%M %Z}; "
            "the new revision must start after that."
        )
    if eff.upper is not None:
        if eff.upper > start:
            raise RuleViolation(
                f"{KIND_NAMES[kind]} revision {latest.revision} is in effect until "
                f"{eff.upper:%Y-%m-%d %H:%M %Z}; choose a start on or after that."
            )
        return
    latest.effective = Range(eff.lower, start, bounds="[)")
    if latest.status == "released":
        latest.status = "superseded"
    # Flush now: the exclusion constraint is checked row by row, so the old range must be
    # closed before the new one opens.
    uow.flush()


def set_status(uow: UnitOfWork, rev: Revision, status: str) -> None:
    rev.status = status
    uow.flush()
