"""Engineering change orders: the only way a BOM or routing revision is released.

draft ──submit (authored, engineer)──▶ in_review ──review (reviewed, engineer or QA)──▶
reviewed ──approve (approved, QA)──▶ approved: every listed revision released from the
ECO's effective date (or the moment of approval), its predecessor's range closed.
Reject (signed, with a comment) from in_review or reviewed returns the ECO and its
revisions to draft; cancel closes it without releasing anything.

Each step is a signature through domain/services/signatures.py on the ECO *and* on each
revision it carries, so a released revision shows its own authored/reviewed/approved
signatures. The signing rules registered in migration 0004 require three different
people (the database refuses the author approving, an operator approving, an approval
before review); the status checks here give the operator-readable refusal first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, text

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.models import BomRevision, Eco, EcoItem, Item, RoutingRevision
from domain.services import bom, effectivity, explosion, routing
from domain.services.access import require_permission
from domain.services.eco_views import EcoSummary, EcoView, eco_view, list_ecos, load_eco
from domain.services.identity import Credentials
from domain.services.items import load_item
from domain.services.lifecycle import remove_draft_row
from domain.services.pin_policy import IdentityPolicy
from domain.services.signatures import RecordRef, Shown, SignatureView, sign, sign_many
from domain.uow import UnitOfWork

__all__ = ["EcoSummary", "EcoView", "Signing", "get_eco", "list_ecos"]

OPEN = ("draft", "in_review", "reviewed")
Revision = BomRevision | RoutingRevision


@dataclass(frozen=True)
class Signing:
    """Who signs, how they proved it, and on which station (one PIN entry per step)."""

    creds: Credentials
    station: str
    policy: IdentityPolicy
    comment: str | None = None
    expected_version: int | None = None  # the ECO version the signer was shown
    expected_hash: str | None = None  # the content hash of what the signer was shown


def get_eco(uow: UnitOfWork, number: str) -> EcoView:
    return eco_view(uow, load_eco(uow, number))


def create_eco(
    uow: UnitOfWork,
    title: str,
    reason: str,
    *,
    description: str = "",
    effective_from: dt.datetime | None = None,
) -> EcoView:
    """A new draft ECO authored by the transaction's actor (an engineer)."""
    require_permission(uow, "engineering.edit")
    if not title.strip() or not reason.strip():
        raise InvalidInput("An ECO needs a title and the reason for the change.")
    _check_future(uow, effective_from)
    eco = Eco(
        title=title.strip(),
        reason=reason.strip(),
        description=description.strip(),
        effective_from=effective_from,
    )
    uow.session.add(eco)
    uow.flush()
    uow.session.refresh(eco)
    return eco_view(uow, eco)


def edit_eco(
    uow: UnitOfWork,
    number: str,
    *,
    change_reason: str,
    title: str | None = None,
    reason: str | None = None,
    description: str | None = None,
    effective_from: dt.datetime | None = None,
    clear_effective: bool = False,
) -> EcoView:
    """Change a draft ECO's text or requested effective date (e.g. after a rejection)."""
    require_permission(uow, "engineering.edit")
    eco = _draft(uow, number)
    if effective_from is not None or clear_effective:
        _check_future(uow, effective_from)
        eco.effective_from = effective_from
    for name, value in (("title", title), ("reason", reason), ("description", description)):
        if value is not None:
            setattr(eco, name, value.strip())
    uow.set_reason(change_reason)
    uow.flush()
    return eco_view(uow, eco)


def add_eco_item(
    uow: UnitOfWork,
    number: str,
    item_number: str,
    *,
    bom_revision: str | None = None,
    routing_revision: str | None = None,
    new_bom: bool = False,
    new_routing: bool = False,
    change_note: str = "",
) -> EcoView:
    """List an item on the ECO with its new draft BOM and/or routing revision.

    ``new_bom`` / ``new_routing`` create that draft now, copied from the revision in effect.
    """
    require_permission(uow, "engineering.edit")
    eco = _draft(uow, number)
    item = load_item(uow, item_number)
    _refuse_if_on_open_eco(uow, item, eco)
    if new_bom:
        bom_revision = _new_draft(uow, "bom", item)
    if new_routing:
        routing_revision = _new_draft(uow, "routing", item)
    if not bom_revision and not routing_revision:
        raise InvalidInput(f"Name the new BOM or routing revision of {item.item_number}.")
    row = EcoItem(eco_id=eco.id, item_id=item.id, change_note=change_note.strip())
    labels: list[tuple[effectivity.Kind, str | None]] = [
        ("bom", bom_revision),
        ("routing", routing_revision),
    ]
    for kind, label in labels:
        if label:
            rev = effectivity.load_revision(uow, kind, item.item_number, label)
            effectivity.require_draft(kind, rev)
            setattr(row, f"{kind}_revision_id", rev.id)
    uow.session.add(row)
    uow.flush()
    return eco_view(uow, eco)


def remove_eco_item(uow: UnitOfWork, number: str, item_number: str, reason: str) -> EcoView:
    require_permission(uow, "engineering.edit")
    eco = _draft(uow, number)
    item = load_item(uow, item_number)
    row = uow.session.scalar(
        select(EcoItem).where(EcoItem.eco_id == eco.id, EcoItem.item_id == item.id)
    )
    if row is None:
        raise NotFound(f"{item.item_number} is not on {eco.number}.")
    uow.set_reason(reason)
    remove_draft_row(uow, row)
    return eco_view(uow, eco)


def submit_eco(uow: UnitOfWork, number: str, signing: Signing) -> SignatureView:
    """Sign as authored and send for review; the where-used impact is frozen now."""
    eco = _in_status(uow, number, ("draft",), "submitted", signing)
    revisions = _revisions(uow, eco)
    if not revisions:
        raise RuleViolation(f"{eco.number} lists no items: add the revisions it changes first.")
    for kind, rev in revisions:
        effectivity.require_draft(kind, rev)
        _require_content(uow, kind, rev)
    _check_future(uow, eco.effective_from)
    uow.set_reason(f"{eco.number} submitted for review")
    eco.impact = _impact(uow, eco)
    uow.flush()
    return _step(uow, eco, revisions, signing, "authored", ("in_review", "in_review"))


def review_eco(uow: UnitOfWork, number: str, signing: Signing) -> SignatureView:
    """Sign as reviewed (an engineer or QA other than the author)."""
    eco = _in_status(uow, number, ("in_review",), "reviewed", signing)
    uow.set_reason(f"{eco.number} reviewed")
    return _step(uow, eco, _revisions(uow, eco), signing, "reviewed", (None, "reviewed"))


def approve_eco(uow: UnitOfWork, number: str, signing: Signing) -> SignatureView:
    """QA approval: sign, then release every revision from the effective date."""
    eco = _in_status(uow, number, ("reviewed",), "approved", signing)
    now = effectivity.server_now(uow)
    if eco.effective_from is not None and eco.effective_from < now:
        raise RuleViolation(
            f"{eco.number} asks to take effect {eco.effective_from:%Y-%m-%d %H:%M %Z}, which "
            "has passed. Reject it with a comment so the author sets a new date."
        )
    revisions = _revisions(uow, eco)
    uow.set_reason(f"{eco.number} approved: revisions released")
    signature = _step(uow, eco, revisions, signing, "approved", (None, "approved"))
    for kind, rev in revisions:
        effectivity.release(uow, kind, rev, eco.effective_from)
    return signature


def reject_eco(uow: UnitOfWork, number: str, signing: Signing) -> SignatureView:
    """Signed rejection with a comment: the ECO and its revisions return to draft."""
    if not (signing.comment or "").strip():
        raise InvalidInput("Say why the ECO is rejected: the author needs the comment.")
    eco = _in_status(uow, number, ("in_review", "reviewed"), "rejected", signing)
    uow.set_reason(f"{eco.number} rejected: {signing.comment}")
    signature = sign(
        uow, RecordRef("eco", eco.id), "rejected", signing.creds, station=signing.station,
        policy=signing.policy, comment=signing.comment, expected_version=eco.version,
        expected_hash=signing.expected_hash,
    )  # fmt: skip
    revisions = _revisions(uow, eco)
    _move(uow, eco, "draft")  # first: a revision returns to draft only with its ECO
    for _, rev in revisions:
        effectivity.set_status(uow, rev, "draft")
    return signature


def cancel_eco(uow: UnitOfWork, number: str, reason: str) -> EcoView:
    """Close an ECO without releasing anything; its revisions stay drafts for reuse."""
    require_permission(uow, "engineering.edit")
    if not reason.strip():
        raise InvalidInput("Give the reason for cancelling the ECO.")
    eco = load_eco(uow, number)
    if eco.status not in OPEN:
        raise RuleViolation(f"{eco.number} is {eco.status}; only an open ECO can be cancelled.")
    uow.set_reason(reason.strip())
    revisions = _revisions(uow, eco)
    _move(uow, eco, "cancelled")
    for _, rev in revisions:
        if rev.status == "in_review":
            effectivity.set_status(uow, rev, "draft")
    return eco_view(uow, eco)


# --- internals -----------------------------------------------------------------------


def _step(
    uow: UnitOfWork,
    eco: Eco,
    revisions: list[tuple[effectivity.Kind, Revision]],
    signing: Signing,
    meaning: str,
    move: tuple[str | None, str],
) -> SignatureView:
    """Sign the ECO and each revision with one meaning (one PIN entry), then move the statuses."""
    shown = [Shown(RecordRef("eco", eco.id), eco.version, signing.expected_hash)]
    shown += [Shown(RecordRef(f"{kind}_revision", rev.id), rev.version) for kind, rev in revisions]
    signature = sign_many(
        uow, shown, meaning, signing.creds, station=signing.station, comment=signing.comment
    )[0]
    revision_status, eco_status = move
    _move(uow, eco, eco_status)  # first: the revisions' moves follow the ECO's
    if revision_status:
        for _, rev in revisions:
            effectivity.set_status(uow, rev, revision_status)
    return signature


def _move(uow: UnitOfWork, eco: Eco, to: str) -> None:
    """The database guards the move (workcell.transition_rule) and logs it, with the
    signature's comment or the transaction's reason, in workcell.status_transition."""
    eco.status = to
    uow.flush()


def _in_status(
    uow: UnitOfWork, number: str, allowed: tuple[str, ...], verb: str, signing: Signing
) -> Eco:
    eco = load_eco(uow, number)
    if eco.status not in allowed:
        raise RuleViolation(
            f"{eco.number} is {eco.status.replace('_', ' ')}; it can be {verb} only when "
            f"{' or '.join(a.replace('_', ' ') for a in allowed)}."
        )
    if signing.expected_version is not None and signing.expected_version != eco.version:
        raise RuleViolation(f"{eco.number} changed while you were looking at it. Reload it.")
    # Lines of a draft revision change without touching the ECO's version: the content hash
    # of what was shown is the guarantee that nothing is signed unseen.
    if signing.expected_hash is not None:
        current = uow.session.scalar(text("SELECT workcell.eco_hash(:id)"), {"id": eco.id})
        if current != signing.expected_hash:
            raise RuleViolation(
                f"{eco.number} or one of its revisions changed since it was shown. Reload it."
            )
    return eco


def _draft(uow: UnitOfWork, number: str) -> Eco:
    eco = load_eco(uow, number)
    if eco.status != "draft":
        raise RuleViolation(
            f"{eco.number} is {eco.status.replace('_', ' ')}: only a draft changes."
        )
    return eco


def _revisions(uow: UnitOfWork, eco: Eco) -> list[tuple[effectivity.Kind, Revision]]:
    rows = list(
        uow.session.scalars(select(EcoItem).where(EcoItem.eco_id == eco.id).order_by(EcoItem.id))
    )
    out: list[tuple[effectivity.Kind, Revision]] = []
    for row in rows:
        if row.bom_revision_id:
            b = uow.session.get(BomRevision, row.bom_revision_id, with_for_update=True)
            assert b is not None
            out.append(("bom", b))
        if row.routing_revision_id:
            r = uow.session.get(RoutingRevision, row.routing_revision_id, with_for_update=True)
            assert r is not None
            out.append(("routing", r))
    return out


def _require_content(uow: UnitOfWork, kind: effectivity.Kind, rev: Revision) -> None:
    if isinstance(rev, BomRevision):
        empty = not bom.bom_view(uow, rev).lines
    else:
        empty = not routing.routing_view(uow, rev).operations
    if empty:
        raise RuleViolation(f"{effectivity.KIND_NAMES[kind]} revision {rev.revision} is empty.")


def _impact(uow: UnitOfWork, eco: Eco) -> list[dict[str, str | int]]:
    """Multi-level where-used, now, of every affected item (frozen into the ECO at submit)."""
    now = effectivity.server_now(uow)
    items = uow.session.scalars(
        select(Item)
        .join(EcoItem, EcoItem.item_id == Item.id)
        .where(EcoItem.eco_id == eco.id)
        .order_by(Item.item_number)
    )
    out: list[dict[str, str | int]] = []
    for item in items:
        for w in explosion.where_used(uow, item.item_number, now):
            out.append(
                {
                    "item": item.item_number,
                    "level": w.level,
                    "used_in": w.parent,
                    "revision": w.revision,
                }
            )
    return out


def _refuse_if_on_open_eco(uow: UnitOfWork, item: Item, eco: Eco) -> None:
    other = uow.session.scalar(
        select(Eco.number)
        .join(EcoItem, EcoItem.eco_id == Eco.id)
        .where(EcoItem.item_id == item.id, EcoItem.eco_open)
    )
    if other == eco.number:
        raise InvalidInput(f"{item.item_number} is already on {eco.number}.")
    if other:
        raise RuleViolation(
            f"{item.item_number} is already on open {other}: one open ECO per item."
        )


def _new_draft(uow: UnitOfWork, kind: effectivity.Kind, item: Item) -> str:
    now = effectivity.server_now(uow)
    current = effectivity.revision_at(uow, kind, item.id, now)
    copy = current.revision if current is not None else None
    if kind == "bom":
        return bom.create_bom_revision(uow, item.item_number, copy_from=copy).summary.revision
    return routing.create_routing_revision(uow, item.item_number, copy_from=copy).summary.revision


def _check_future(uow: UnitOfWork, when: dt.datetime | None) -> None:
    if when is not None and when < effectivity.server_now(uow):
        raise InvalidInput(f"The effective date {when:%Y-%m-%d %H:%M %Z} is in the past.")
