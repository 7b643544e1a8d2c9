"""Items: master data, the first regulated record type."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from domain.errors import InvalidInput, NotFound
from domain.gtin import normalise_gtin
from domain.models import Item
from domain.models.items import ITEM_TYPES, TRACKING, UNITS
from domain.services.access import require_permission
from domain.uow import UnitOfWork
from domain.views.items import NewItem as NewItem


@dataclass(frozen=True)
class ItemView:
    id: int
    item_number: str
    description: str
    item_type: str
    unit: str
    tracking: str
    shelf_life_days: int | None
    gtin: str | None
    status: str
    version: int


def item_view(item: Item) -> ItemView:
    return ItemView(
        item.id,
        item.item_number,
        item.description,
        item.item_type,
        item.unit,
        item.tracking,
        item.shelf_life_days,
        item.gtin,
        item.status,
        item.version,
    )


def validate_new_item(cmd: NewItem) -> NewItem:
    """Check an item before it reaches the database; messages name the field."""
    number = cmd.item_number.strip().upper()
    if not number or len(number) > 40:
        raise InvalidInput("Item number is required (at most 40 characters).")
    if not all(c.isalnum() or c in "._/-" for c in number):
        raise InvalidInput(f"Item number {number!r}: letters, digits and . _ / - only.")
    if not cmd.description.strip():
        raise InvalidInput("Description is required.")
    if cmd.item_type not in ITEM_TYPES:
        raise InvalidInput(f"Item type must be one of {', '.join(ITEM_TYPES)}.")
    if cmd.unit not in UNITS:
        raise InvalidInput(f"Unit must be one of {', '.join(UNITS)}.")
    if cmd.tracking not in TRACKING:
        raise InvalidInput(f"Tracking must be one of {', '.join(TRACKING)}.")
    if cmd.shelf_life_days is not None and cmd.shelf_life_days <= 0:
        raise InvalidInput("Shelf life must be a positive number of days.")
    gtin = normalise_gtin(cmd.gtin) if cmd.gtin else None
    return NewItem(
        number,
        cmd.description.strip(),
        cmd.item_type,
        cmd.unit,
        cmd.tracking,
        cmd.shelf_life_days,
        gtin,
    )


def create_item(uow: UnitOfWork, cmd: NewItem) -> ItemView:
    require_permission(uow, "item.create")  # the database refuses too; this says it first
    cmd = validate_new_item(cmd)
    if uow.session.scalar(select(Item.id).where(Item.item_number == cmd.item_number)):
        raise InvalidInput(f"Item {cmd.item_number} already exists.")
    item = Item(
        item_number=cmd.item_number,
        description=cmd.description,
        item_type=cmd.item_type,
        unit=cmd.unit,
        tracking=cmd.tracking,
        shelf_life_days=cmd.shelf_life_days,
        gtin=cmd.gtin,
    )
    uow.session.add(item)
    uow.flush()
    uow.session.refresh(item)
    return item_view(item)


def get_item(uow: UnitOfWork, item_number: str) -> ItemView:
    return item_view(load_item(uow, item_number))


def load_item(uow: UnitOfWork, item_number: str) -> Item:
    item = uow.session.scalar(select(Item).where(Item.item_number == item_number.strip().upper()))
    if item is None:
        raise NotFound(f"No item {item_number!r}.")
    return item


def list_items(uow: UnitOfWork, *, search: str = "", limit: int = 500) -> list[ItemView]:
    stmt = select(Item).order_by(Item.item_number).limit(limit)
    if search:
        like = f"%{search.strip()}%"
        stmt = stmt.where(Item.item_number.ilike(like) | Item.description.ilike(like))
    return [item_view(i) for i in uow.session.scalars(stmt)]
