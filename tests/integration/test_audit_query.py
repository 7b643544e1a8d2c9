"""Reading the trail: filters, keyset paging, entry detail, record history, `audit show`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from domain.audit import query
from domain.errors import InvalidInput, NotFound
from domain.models import Item
from domain.services import items
from domain.uow import UnitOfWork
from tests.conftest import TEST_ADMIN, TestDatabase, unique
from tests.integration.audit_fixtures import make_cli


def _item_with_history(make_uow: Callable[..., UnitOfWork], updates: int) -> tuple[int, str]:
    """An item created and then re-described ``updates`` times; returns (id, marker text)."""
    marker = unique("qmark")
    with make_uow(TEST_ADMIN) as uow:
        view = items.create_item(
            uow, items.NewItem(unique("Q").upper(), f"{marker} v1", "raw", "kg")
        )
        uow.commit()
    for n in range(updates):
        with make_uow(TEST_ADMIN, reason=f"{marker} change {n}") as uow:
            item = uow.session.get(Item, view.id)
            assert item is not None
            item.description = f"{marker} v{n + 2}"  # the mapper advances the version
            uow.commit()
    return view.id, marker


def test_history_of_one_record_oldest_first(make_uow, session_factory) -> None:
    """A record's history lists its INSERT then each UPDATE, with reasons and changed fields."""
    item_id, marker = _item_with_history(make_uow, 2)
    with session_factory() as session:
        rows = query.history(session, "item", str(item_id))
    assert [r.operation for r in rows] == ["INSERT", "UPDATE", "UPDATE"]
    assert rows[1].reason == f"{marker} change 0"
    assert rows[1].changed == ("description",)
    assert all(r.actor == TEST_ADMIN and r.station == "station_pytest" for r in rows)


def test_keyset_paging_walks_both_ways(make_uow, session_factory) -> None:
    """Pages of 3 newest first, then back again with after_id: same rows, no overlap."""
    _item, marker = _item_with_history(make_uow, 6)
    flt = query.AuditFilter(table="workcell.item", text=marker)
    with session_factory() as session:
        first = query.search(session, flt, limit=3)
        second = query.search(session, flt, limit=3, before_id=first.last_id)
        third = query.search(session, flt, limit=3, before_id=second.last_id)
        back = query.search(session, flt, limit=3, after_id=third.first_id)
    ids = [r.id for p in (first, second, third) for r in p.rows]
    assert ids == sorted(ids, reverse=True) and len(ids) == 7 == len(set(ids))
    assert first.has_more and second.has_more and not third.has_more
    assert [r.id for r in back.rows] == [r.id for r in second.rows]


def test_filters_by_user_station_and_time(make_uow, session_factory, new_user) -> None:
    """User, station and time range narrow the search; a record key needs its table."""
    _item, marker = _item_with_history(make_uow, 1)
    with session_factory() as session:
        mine = query.search(session, query.AuditFilter(user=TEST_ADMIN, text=marker))
        nobody = query.search(session, query.AuditFilter(user=unique("nobody"), text=marker))
        station = query.search(session, query.AuditFilter(station="station_pytest", text=marker))
        future = query.search(session, query.AuditFilter(since="2999-01-01", text=marker))
        past = query.search(session, query.AuditFilter(until="2000-01-01 00:00+00", text=marker))
        with pytest.raises(InvalidInput):
            query.search(session, query.AuditFilter(record="1"))
        with pytest.raises(InvalidInput):
            query.search(session, query.AuditFilter(since="yesterday-ish"))
    assert len(mine.rows) == 2 == len(station.rows)
    assert nobody.rows == () == future.rows == past.rows


def test_detail_shows_changes_and_the_same_transaction(make_uow, session_factory) -> None:
    """Detail gives before/after, the changed fields, and the other entries of its transaction."""
    marker = unique("tx")
    with make_uow(TEST_ADMIN) as uow:
        for n in range(3):
            items.create_item(uow, items.NewItem(unique("T").upper(), f"{marker} {n}", "raw", "kg"))
        uow.commit()
    with session_factory() as session:
        page = query.search(session, query.AuditFilter(text=marker), newest_first=False)
        detail = query.detail(session, page.rows[0].id)
        with pytest.raises(NotFound):
            query.detail(session, -1)
    assert detail.before is None and detail.after is not None
    assert {c.name for c in detail.changes} >= {"description", "item_number"}
    assert [r.id for r in detail.same_transaction] == [r.id for r in page.rows[1:]]


def test_cli_show_formats(
    database: TestDatabase, make_uow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`workcell audit show` prints a table, CSV or JSON, paging through every match with --all."""
    item_id, marker = _item_with_history(make_uow, 2)
    cli = make_cli(monkeypatch, tmp_path, database)
    code, out = cli.run(
        "audit", "show", "--table", "item", "--record", str(item_id), "--format", "json"
    )
    assert code == 0
    rows = json.loads(out)
    assert [r["op"] for r in rows] == ["UPDATE", "UPDATE", "INSERT"]
    code, out = cli.run(
        "audit", "show", "--text", marker, "--format", "csv", "--all", "--oldest-first"
    )
    assert code == 0
    assert out.splitlines()[0].startswith("id,at,actor,station")
    assert len(out.splitlines()) == 4
    code, out = cli.run("audit", "show", "--user", TEST_ADMIN, "--limit", "2")
    assert code == 0 and len(out.splitlines()) == 3
    code, out = cli.run("audit", "show", "--entry", str(rows[0]["id"]))
    assert code == 0 and f"{marker} change 1" in out
