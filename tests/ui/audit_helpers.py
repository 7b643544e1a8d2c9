"""Helpers for the audit-trail Pilot tests: a record with a long history, the backend."""

from __future__ import annotations

from dataclasses import dataclass

from domain.services import item_approval, items
from kiosk.audit_backend import AuditStationBackend
from tests.conftest import unique
from tests.ui.conftest import Station


@dataclass(frozen=True)
class Record:
    item_number: str
    item_id: int
    changes: int


def audit_backend(station: Station) -> AuditStationBackend:
    return AuditStationBackend(
        station.backend.session_factory, station.settings, sessions=station.backend.sessions
    )


def item_with_history(make_uow, author: str, changes: int) -> Record:
    """A draft item edited ``changes`` times, each in its own transaction with a reason."""
    number = unique("AUD-").upper()
    with make_uow(author) as uow:
        view = items.create_item(uow, items.NewItem(number, "Audit subject", "component", "ea"))
        uow.commit()
    for n in range(changes):
        with make_uow(author) as uow:
            item_approval.edit_draft_item(
                uow,
                number,
                item_approval.ItemChanges(description=f"Audit subject rev {n + 1}"),
                f"pytest change {n + 1}",
            )
            uow.commit()
    return Record(number, view.id, changes)
