"""Read side of ECOs: frozen views for screens and the CLI (never live ORM objects)."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import aliased

from domain.errors import NotFound
from domain.models import BomRevision, Eco, EcoItem, Item, RoutingRevision, User
from domain.services import lifecycle
from domain.uow import UnitOfWork
from domain.views.engineering import EcoEvent as EcoEvent
from domain.views.engineering import EcoItemView as EcoItemView
from domain.views.engineering import EcoSummary as EcoSummary
from domain.views.engineering import EcoView as EcoView
from domain.views.engineering import ImpactRow as ImpactRow


def load_eco(uow: UnitOfWork, number: str) -> Eco:
    eco = uow.session.scalar(select(Eco).where(Eco.number == number.strip().upper()))
    if eco is None:
        raise NotFound(f"No ECO {number!r}.")
    return eco


def eco_view(uow: UnitOfWork, eco: Eco) -> EcoView:
    author = uow.session.scalar(select(User.username).where(User.id == eco.created_by)) or "?"
    content_hash = uow.session.scalar(text("SELECT workcell.eco_hash(:id)"), {"id": eco.id})
    impact = tuple(
        ImpactRow(str(x["item"]), int(x["level"]), str(x["used_in"]), str(x["revision"]))
        for x in (eco.impact or [])
    )
    return EcoView(
        eco.id,
        eco.number,
        eco.title,
        eco.reason,
        eco.description,
        eco.effective_from,
        eco.status,
        eco.version,
        author,
        eco.created_at,
        _items(uow, eco.id),
        impact,
        _history(uow, eco.id),
        str(content_hash),
    )


def _items(uow: UnitOfWork, eco_id: int) -> tuple[EcoItemView, ...]:
    b = aliased(BomRevision)
    r = aliased(RoutingRevision)
    rows = uow.session.execute(
        select(
            Item.item_number,
            Item.description,
            b.revision,
            b.status,
            r.revision,
            r.status,
            EcoItem.change_note,
        )
        .join(Item, Item.id == EcoItem.item_id)
        .outerjoin(b, b.id == EcoItem.bom_revision_id)
        .outerjoin(r, r.id == EcoItem.routing_revision_id)
        .where(EcoItem.eco_id == eco_id)
        .order_by(Item.item_number)
    ).all()
    return tuple(EcoItemView(*row) for row in rows)


def _history(uow: UnitOfWork, eco_id: int) -> tuple[EcoEvent, ...]:
    return tuple(
        EcoEvent(m.action, m.from_status or "", m.to_status, m.comment, m.actor, m.at,
                 m.signature_id)
        for m in lifecycle.history(uow, "eco", eco_id)
    )  # fmt: skip


def list_ecos(
    uow: UnitOfWork, *, open_only: bool = False, item_number: str | None = None
) -> list[EcoSummary]:
    """ECOs newest first; optionally only open ones, or only those listing an item."""
    count = select(func.count(EcoItem.id)).where(EcoItem.eco_id == Eco.id).scalar_subquery()
    stmt = (
        select(Eco.number, Eco.title, Eco.status, User.username, Eco.created_at, count)
        .join(User, User.id == Eco.created_by)
        .order_by(Eco.id.desc())
    )
    if open_only:
        stmt = stmt.where(Eco.status.in_(("draft", "in_review", "reviewed")))
    if item_number:
        listed = (
            select(EcoItem.eco_id)
            .join(Item, Item.id == EcoItem.item_id)
            .where(Item.item_number == item_number.strip().upper())
        )
        stmt = stmt.where(Eco.id.in_(listed))
    return [EcoSummary(*row) for row in uow.session.execute(stmt)]
