"""The station's EngineeringBackend (screens/engineering/backend.py) on the domain services.

Each method opens its own UnitOfWork and returns frozen views; signed ECO steps are
`EcoStep` Signables driven by the shared SignatureModal.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from domain.models import Item
from domain.services import bom, compare, eco, effectivity, routing, sign_check, signatures
from domain.services.bom import BomView
from domain.services.compare import Comparison
from domain.services.eco_views import EcoItemView, EcoSummary, EcoView
from domain.services.effectivity import Kind, RevisionSummary
from domain.services.engineering_rules import parse_decimal
from domain.services.identity import IdentityPolicy
from domain.services.signatures import RecordRef
from domain.uow import UnitOfWork
from kiosk.backend import credentials, record_to_sign, signature_line
from kiosk.sessions import SessionBook
from kiosk.settings import StationSettings
from screens.backend import Proof, RecordToSign, SignatureLine
from screens.engineering.backend import EngineeringItem, RevisionDetail

STEPS = {
    "submit": (eco.submit_eco, "authored"),
    "review": (eco.review_eco, "reviewed"),
    "approve": (eco.approve_eco, "approved"),
    "reject": (eco.reject_eco, "rejected"),
}


class KioskEngineeringBackend:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: StationSettings,
        *,
        sessions: SessionBook | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.station = settings.name
        self.timezone = settings.timezone
        self.policy = IdentityPolicy.from_settings(settings)
        self.sessions = sessions or SessionBook(session_factory)

    def uow(self, actor: str, reason: str | None = None) -> UnitOfWork:
        """A unit of work in ``actor``'s database session (AttributionError: sign in first)."""
        return UnitOfWork(self.session_factory, self.sessions.require(actor), reason)

    def engineering_items(self, actor: str, search: str) -> list[EngineeringItem]:
        with self.uow(actor) as uow:
            now = effectivity.server_now(uow)
            stmt = select(Item).order_by(Item.item_number).limit(300)
            if search.strip():
                like = f"%{search.strip()}%"
                stmt = stmt.where(Item.item_number.ilike(like) | Item.description.ilike(like))
            rows = []
            for item in uow.session.scalars(stmt):
                b = effectivity.revision_at(uow, "bom", item.id, now)
                r = effectivity.revision_at(uow, "routing", item.id, now)
                open_eco = eco.list_ecos(uow, open_only=True, item_number=item.item_number)
                rows.append(
                    EngineeringItem(
                        item.item_number, item.description, item.item_type,
                        b.revision if b else None, r.revision if r else None,
                        open_eco[0].number if open_eco else None,
                    )
                )  # fmt: skip
        return rows

    def revisions(self, actor: str, item_number: str) -> list[RevisionSummary]:
        with self.uow(actor) as uow:
            both = bom.bom_history(uow, item_number) + routing.routing_history(uow, item_number)
        return sorted(both, key=lambda s: (s.kind, s.created_at, s.id))

    def revision(self, actor: str, kind: str, item_number: str, label: str) -> RevisionDetail:
        with self.uow(actor) as uow:
            if kind == "bom":
                b = bom.get_bom(uow, item_number, label)
                summary, r = b.summary, None
            else:
                r = routing.get_routing(uow, item_number, label)
                summary, b = r.summary, None
            sigs = signatures.signatures_for(uow, RecordRef(f"{kind}_revision", summary.id))
        return RevisionDetail(summary, b, r, tuple(signature_line(s) for s in sigs))

    def compare(self, actor: str, kind: str, item_number: str, left: str, right: str) -> Comparison:
        with self.uow(actor) as uow:
            fn = compare.compare_boms if kind == "bom" else compare.compare_routings
            return fn(uow, item_number, left, right)

    def save_bom_line(
        self,
        actor: str,
        item_number: str,
        label: str,
        component: str,
        quantity: str,
        scrap_percent: str,
    ) -> BomView:
        qty = parse_decimal(quantity, "Quantity per")
        scrap = parse_decimal(scrap_percent, "Scrap %") / 100
        with self.uow(actor, f"draft BOM {item_number} rev {label} edited on the station") as uow:
            lines = list(bom.get_bom(uow, item_number, label).lines)
            found = next((x for x in lines if x.component == component), None)
            if found is None:
                view = bom.add_bom_line(
                    uow, item_number, label, bom.BomLineInput(component, qty, scrap_factor=scrap)
                )
            else:
                kept = [bom.input_of(x) for x in lines if x is not found]
                new = replace(bom.input_of(found), quantity_per=qty, scrap_factor=scrap)
                view = bom.replace_bom_lines(uow, item_number, label, [*kept, new])
            uow.commit()
        return view

    def remove_bom_line(self, actor: str, item_number: str, label: str, position: int) -> BomView:
        with self.uow(
            actor, f"draft BOM {item_number} rev {label}: line {position} removed"
        ) as uow:
            view = bom.remove_bom_line(uow, item_number, label, position)
            uow.commit()
        return view

    def ecos(self, actor: str, open_only: bool) -> list[EcoSummary]:
        with self.uow(actor) as uow:
            return eco.list_ecos(uow, open_only=open_only)

    def eco(self, actor: str, number: str) -> tuple[EcoView, tuple[SignatureLine, ...]]:
        with self.uow(actor) as uow:
            view = eco.get_eco(uow, number)
            sigs = signatures.signatures_for(uow, RecordRef("eco", view.id))
        return view, tuple(signature_line(s) for s in sigs)

    def create_eco(self, actor: str, title: str, reason: str, effective: str = "") -> EcoView:
        start = effectivity.parse_instant(effective, self.timezone) if effective.strip() else None
        with self.uow(actor) as uow:
            view = eco.create_eco(uow, title, reason, effective_from=start)
            uow.commit()
        return view

    def add_eco_item(
        self, actor: str, number: str, item_number: str, bom: bool, routing: bool
    ) -> EcoView:
        with self.uow(actor) as uow:
            view = eco.add_eco_item(
                uow, number, item_number, new_bom=bom, new_routing=routing,
                change_note="added on the station",
            )  # fmt: skip
            uow.commit()
        return view

    def cancel_eco(self, actor: str, number: str, reason: str) -> EcoView:
        with self.uow(actor) as uow:
            view = eco.cancel_eco(uow, number, reason)
            uow.commit()
        return view

    def step_refusals(self, actor: str, number: str) -> dict[str, str]:
        """Why ``actor`` may not sign each ECO step now (the database's signing rules; steps
        they may sign are absent). Asked before anyone taps a badge."""
        with self.uow(actor) as uow:
            record = RecordRef("eco", eco.get_eco(uow, number).id)
            refusals = {
                action: sign_check.signing_refusal(uow, record, meaning, actor)
                for action, (_, meaning) in STEPS.items()
            }
        return {action: why for action, why in refusals.items() if why}

    def eco_step(self, actor: str, number: str, action: str, version: int) -> EcoStep:
        return EcoStep(self, actor, number, action, version)


DIFFERENCES_SHOWN = 8  # per revision in the signing dialog; the compare screen has them all
_SIGNS = {"added": "+", "removed": "-", "changed": "~"}


def _what_changes(uow: UnitOfWork, item: EcoItemView) -> list[str]:
    """For the signing dialog: each revision the ECO carries compared with the one in
    effect before it (domain/services/compare.py), so the signer sees what changes."""
    lines: list[str] = []
    carried: tuple[tuple[Kind, str | None], ...] = (
        ("bom", item.bom_revision),
        ("routing", item.routing_revision),
    )
    for kind, label in carried:
        if not label:
            continue
        before = [
            r.revision
            for r in effectivity.history(uow, kind, item.item_number)
            if r.revision != label and r.status in ("released", "superseded")
        ]
        name = "BOM" if kind == "bom" else "Routing"
        if not before:
            lines.append(f"{name} {item.item_number} rev {label}: first revision")
            continue
        fn = compare.compare_boms if kind == "bom" else compare.compare_routings
        c = fn(uow, item.item_number, before[-1], label)
        lines.append(
            f"{name} {item.item_number} rev {before[-1]} → {label}: {c.count('added')} added, "
            f"{c.count('removed')} removed, {c.count('changed')} changed"
        )
        for d in c.differences[:DIFFERENCES_SHOWN]:
            detail = "; ".join(f"{ch.field} {ch.before} → {ch.after}" for ch in d.changes)
            lines.append(f"  {_SIGNS[d.kind]} {d.key}: {detail or d.after or d.before}")
        if len(c.differences) > DIFFERENCES_SHOWN:
            lines.append(f"  … {len(c.differences) - DIFFERENCES_SHOWN} more (Compare screen)")
    return lines


@dataclass(frozen=True)
class EcoStep:
    """A pending signed ECO step (a Signable). Nothing touches the database until asked."""

    backend: KioskEngineeringBackend
    actor: str
    number: str
    action: str
    version: int
    shown: dict[str, RecordToSign] = field(default_factory=dict)  # what the dialog showed

    @property
    def meaning(self) -> str:
        return STEPS[self.action][1]

    def describe(self) -> RecordToSign:
        with self.backend.uow(self.actor) as uow:
            view = eco.get_eco(uow, self.number)
            summary = signatures.describe_record(uow, RecordRef("eco", view.id))
            changes = tuple(line for i in view.items for line in _what_changes(uow, i))
        extra = ("Each listed revision is signed with the same meaning.", *changes)
        self.shown["record"] = record = record_to_sign(summary, self.meaning, extra)
        return record

    def sign(self, proof: Proof, comment: str | None) -> SignatureLine:
        b = self.backend
        fn: Any = STEPS[self.action][0]
        shown = self.shown.get("record")
        signing = eco.Signing(
            credentials(proof), b.station, b.policy, comment,
            shown.version if shown else self.version, shown.content_hash if shown else None,
        )  # fmt: skip
        with b.uow(self.actor) as uow:
            view = fn(uow, self.number, signing)
            uow.commit()
        return signature_line(view)
