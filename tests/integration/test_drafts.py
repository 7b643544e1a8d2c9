"""Drafts: a person's unsaved kiosk input parked on a station; resumed or discarded, audited."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

from domain.errors import InvalidInput, NotFound
from domain.services import drafts
from domain.uow import UnitOfWork
from tests.conftest import TestDatabase
from tests.integration.identity_fixtures import token_at

STATION = "line1"
pytestmark = pytest.mark.pg18  # audit trigger and immutability on the embedded server too


def _park(make_uow: Callable[..., UnitOfWork], actor: str, owner: str, **kw: object):
    with make_uow(actor) as uow:
        view = drafts.park_draft(
            uow,
            owner,
            str(kw.get("station", STATION)),
            "item_new",
            "New item WID-1",
            {"item_number": "WID-1", "description": "half typed"},
        )
        uow.commit()
    return view


def test_parked_draft_is_offered_only_to_its_owner_on_its_station(make_uow, new_user) -> None:
    """A parked draft is listed for its owner on that station, not elsewhere nor for others."""
    owner, other = new_user("own"), new_user("oth")
    parked = _park(make_uow, other.username, owner.username)
    with make_uow(owner.username) as uow:
        mine = drafts.parked_drafts(uow, owner.username, STATION)
        elsewhere = drafts.parked_drafts(uow, owner.username, "line2")
        theirs = drafts.parked_drafts(uow, other.username, STATION)
    assert [d.id for d in mine] == [parked.id]
    assert mine[0].payload == {"item_number": "WID-1", "description": "half typed"}
    assert elsewhere == [] and theirs == []


def test_discarding_a_draft_is_an_audited_change_with_a_reason(
    make_uow, new_user, database: TestDatabase
) -> None:
    """Discard sets status 'discarded' and leaves an audit entry naming owner and reason."""
    owner, other = new_user("own"), new_user("oth")
    parked = _park(make_uow, other.username, owner.username)
    with make_uow(owner.username) as uow:
        drafts.close_draft(uow, owner.username, STATION, parked.id, resumed=False)
        uow.commit()
    with database.connect("admin") as conn:
        rows = conn.execute(
            "SELECT operation, actor, reason, after->>'status' FROM audit.entry"
            " WHERE table_name = 'workcell.kiosk_draft' AND record_key = %s ORDER BY id",
            (str(parked.id),),
        ).fetchall()
    assert [r[0] for r in rows] == ["INSERT", "UPDATE"]
    assert rows[0][1] == other.username
    assert rows[1][1] == owner.username and rows[1][3] == "discarded"
    assert "discarded by its owner" in rows[1][2]
    with make_uow(owner.username) as uow:
        assert drafts.parked_drafts(uow, owner.username, STATION) == []


def test_a_draft_cannot_be_closed_twice_or_by_someone_else(make_uow, new_user) -> None:
    """Only the owner closes a draft, once; anyone else is told it is not theirs."""
    owner, other = new_user("own"), new_user("oth")
    parked = _park(make_uow, other.username, owner.username)
    with make_uow(other.username) as uow, pytest.raises(NotFound):
        drafts.close_draft(uow, other.username, STATION, parked.id, resumed=True)
    with make_uow(owner.username) as uow:
        drafts.close_draft(uow, owner.username, STATION, parked.id, resumed=True)
        uow.commit()
    with make_uow(owner.username) as uow, pytest.raises(InvalidInput):
        drafts.close_draft(uow, owner.username, STATION, parked.id, resumed=False)


def test_what_was_typed_cannot_be_edited_or_deleted_by_the_station_role(
    make_uow, new_user, database: TestDatabase
) -> None:
    """The station role can neither rewrite a draft's payload nor delete a draft."""
    owner, other = new_user("own"), new_user("oth")
    parked = _park(make_uow, other.username, owner.username)
    with database.connect("station") as conn:
        conn.execute(
            "SELECT set_config('workcell.session', %s, true),"
            " set_config('workcell.reason', 'x', true)",
            (token_at(database, owner.username),),
        )
        with pytest.raises(psycopg.Error) as edit:
            conn.execute(
                "UPDATE workcell.kiosk_draft SET payload = '{}'::jsonb, version = version + 1"
                " WHERE id = %s",
                (parked.id,),
            )
        assert edit.value.sqlstate == "42501"  # what was typed is not even granted
        conn.rollback()
        conn.execute(
            "SELECT set_config('workcell.session', %s, true)", (token_at(database, owner.username),)
        )
        with pytest.raises(psycopg.Error) as delete:
            conn.execute("DELETE FROM workcell.kiosk_draft WHERE id = %s", (parked.id,))
        assert delete.value.sqlstate in ("WC005", "42501")
