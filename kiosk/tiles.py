"""What the home screen offers, and how a parked draft becomes a screen again.

Each area adds its tiles and draft restorers here (the composition root), built on the
station's backend; the screens themselves only know their own backend protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from kiosk.admin_tiles import admin_tiles
from kiosk.engineering_tiles import engineering_tiles
from kiosk.materials_tiles import materials_restorers, materials_tiles
from kiosk.quality_tiles import quality_tiles
from kiosk.records_backend import copy_printer
from kiosk.work_order_tiles import work_order_tiles
from screens.backend import ItemsBackend
from screens.home import Tile
from screens.item_detail import ItemDetailScreen
from screens.item_new import NewItemScreen
from screens.items import ItemsScreen

Restorer = Callable[[dict[str, Any]], Screen[Any]]

# Permission names granted by roles (migration 0003: workcell.role_permission).
ITEM_CREATE = "item.create"


def build_tiles(items: ItemsBackend) -> list[Tile]:
    return [
        *work_order_tiles(items),  # what operators do all day comes first
        Tile(
            "items",
            "Items",
            "Find, scan, approve",
            lambda: items_screen(items),
            permission=None,  # every signed-in person may look items up
        ),
        Tile(
            "item-new",
            "New item",
            "Enter a draft item",
            lambda: NewItemScreen(items),
            permission=ITEM_CREATE,
        ),
        *engineering_tiles(items),
        *materials_tiles(items),
        *quality_tiles(items),
        *admin_tiles(items),
    ]


def items_screen(items: ItemsBackend, search: str = "") -> ItemsScreen:
    return ItemsScreen(
        items,
        lambda number: ItemDetailScreen(items, number, copy_printer(items)),
        search=search,
        new_item=lambda: NewItemScreen(items),
    )


def build_restorers(items: ItemsBackend) -> dict[str, Restorer]:
    """Draft screen key (a screen's DRAFT_SCREEN) → the screen rebuilt with that input."""
    return {
        ItemsScreen.DRAFT_SCREEN: lambda p: items_screen(items, str(p.get("search", ""))),
        NewItemScreen.DRAFT_SCREEN: lambda p: NewItemScreen(items, p),
        **materials_restorers(items),
    }
