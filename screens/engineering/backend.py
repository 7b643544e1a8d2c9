"""What the engineering screens may ask of the station (implemented in
kiosk/engineering_backend.py). Every method may block: call it through
`screens.base.call_backend`. The DTOs are the domain's frozen views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from domain.views.engineering import (
    BomView,
    Comparison,
    EcoSummary,
    EcoView,
    RevisionSummary,
    RoutingView,
)
from screens.backend import Signable, SignatureLine

ECO_ACTIONS = ("submit", "review", "approve", "reject")


@dataclass(frozen=True)
class EngineeringItem:
    """An item as engineering sees it: what is in effect now and what is changing."""

    item_number: str
    description: str
    item_type: str
    bom_revision: str | None  # in effect now
    routing_revision: str | None
    open_eco: str | None


@dataclass(frozen=True)
class RevisionDetail:
    """One revision with its content and its signatures (manifestations)."""

    summary: RevisionSummary
    bom: BomView | None
    routing: RoutingView | None
    signatures: tuple[SignatureLine, ...]


class EngineeringBackend(Protocol):
    def engineering_items(self, actor: str, search: str) -> list[EngineeringItem]: ...

    def revisions(self, actor: str, item_number: str) -> list[RevisionSummary]:
        """BOM and routing revisions of the item, oldest first."""
        ...

    def revision(self, actor: str, kind: str, item_number: str, label: str) -> RevisionDetail: ...

    def compare(
        self, actor: str, kind: str, item_number: str, left: str, right: str
    ) -> Comparison: ...

    def save_bom_line(
        self,
        actor: str,
        item_number: str,
        label: str,
        component: str,
        quantity: str,
        scrap_percent: str,
    ) -> BomView:
        """Add the component to a draft, or change its quantity and scrap if it is there."""
        ...

    def remove_bom_line(
        self, actor: str, item_number: str, label: str, position: int
    ) -> BomView: ...

    def ecos(self, actor: str, open_only: bool) -> list[EcoSummary]: ...

    def eco(self, actor: str, number: str) -> tuple[EcoView, tuple[SignatureLine, ...]]: ...

    def create_eco(self, actor: str, title: str, reason: str, effective: str = "") -> EcoView:
        """``effective``: YYYY-MM-DD (00:00 site time) or blank for "when approved"."""
        ...

    def add_eco_item(
        self, actor: str, number: str, item_number: str, bom: bool, routing: bool
    ) -> EcoView: ...

    def cancel_eco(self, actor: str, number: str, reason: str) -> EcoView: ...

    def step_refusals(self, actor: str, number: str) -> dict[str, str]:
        """Why ``actor`` may not sign each step (submit, review, approve, reject) now; the
        steps they may sign are absent."""
        ...

    def eco_step(self, actor: str, number: str, action: str, version: int) -> Signable:
        """A pending signed step (submit, review, approve, reject) for SignatureModal."""
        ...
