"""Item approval: the first signed workflow. draft → approved (QA, not the author).

API (stable):
  approve_item(uow, item_number, creds, *, station, policy, comment=None,
               expected_version=None, expected_hash=None) -> SignatureView
  return_to_draft(uow, item_number, reason) -> ItemView     (item.return: QA or engineer)
  edit_draft_item(uow, item_number, changes: ItemChanges, reason) -> ItemView   (item.create)

An approved item's substantive fields are locked by the database (WC011 → RecordLocked);
the database also refuses the draft → approved transition without a valid "approved"
signature on the version being approved (WC013). A change after approval is: return to
draft with a reason, edit, approve again (a new signature on the new content; the old
approval then shows as invalid with "changed after signing").
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from domain.errors import InvalidInput, RuleViolation
from domain.models.items import Item
from domain.services.access import require_permission
from domain.services.identity import Credentials
from domain.services.items import ItemView, NewItem, item_view, load_item, validate_new_item
from domain.services.pin_policy import IdentityPolicy
from domain.services.signatures import RecordRef, SignatureView, sign
from domain.uow import UnitOfWork


@dataclass(frozen=True)
class ItemChanges:
    """Substantive fields to change on a draft item; None leaves a field as it is."""

    description: str | None = None
    item_type: str | None = None
    unit: str | None = None
    tracking: str | None = None
    shelf_life_days: int | None = None
    gtin: str | None = None


def approve_item(
    uow: UnitOfWork,
    item_number: str,
    creds: Credentials,
    *,
    station: str,
    policy: IdentityPolicy,
    comment: str | None = None,
    expected_version: int | None = None,
    expected_hash: str | None = None,
) -> SignatureView:
    """Sign the draft item as 'approved' and move it to approved, in the caller's
    transaction (the caller commits). The signer becomes the actor of the change.
    ``expected_version``/``expected_hash``: what the signing dialog showed (the database
    refuses if the item moved on)."""
    item = load_item(uow, item_number)
    if item.status != "draft":
        raise RuleViolation(
            f"Item {item.item_number} is {item.status}; only a draft item can be approved."
        )
    version = expected_version if expected_version is not None else item.version
    signature = sign(
        uow,
        RecordRef("item", item.id),
        "approved",
        creds,
        station=station,
        policy=policy,
        comment=comment,
        expected_version=version,
        expected_hash=expected_hash,
    )
    uow.set_reason(f"approved by signature {signature.id}")
    item.status = "approved"
    uow.flush()
    return signature


def return_to_draft(uow: UnitOfWork, item_number: str, reason: str) -> ItemView:
    """Reopen an approved item for change; it must be approved again afterwards."""
    require_permission(uow, "item.return")
    if not reason.strip():
        raise InvalidInput("Give the reason for reopening the approved item.")
    item = load_item(uow, item_number)
    if item.status != "approved":
        raise RuleViolation(f"Item {item.item_number} is {item.status}, not approved.")
    uow.set_reason(reason.strip())
    item.status = "draft"
    uow.flush()
    return item_view(item)


def edit_draft_item(
    uow: UnitOfWork, item_number: str, changes: ItemChanges, reason: str
) -> ItemView:
    """Change a draft item's substantive fields (with a reason, audited)."""
    require_permission(uow, "item.create")
    if not reason.strip():
        raise InvalidInput("Give the reason for the change.")
    item = load_item(uow, item_number)
    merged = _merged(item, changes)
    uow.set_reason(reason.strip())
    for f in fields(ItemChanges):
        setattr(item, f.name, getattr(merged, f.name))
    uow.flush()
    return item_view(item)


def _merged(item: Item, changes: ItemChanges) -> NewItem:
    def pick(name: str) -> object:
        value = getattr(changes, name)
        return getattr(item, name) if value is None else value

    candidate = NewItem(
        item.item_number,
        str(pick("description")),
        str(pick("item_type")),
        str(pick("unit")),
        str(pick("tracking")),
        pick("shelf_life_days"),  # type: ignore[arg-type]
        pick("gtin"),  # type: ignore[arg-type]
    )
    return validate_new_item(candidate)
