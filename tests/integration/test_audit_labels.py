"""Names instead of internal ids in the audit trail (domain/audit/labels.py): a lot's
entries read "lot L…", the item and person behind its ids are named, a record filter takes
the lot or item number, and `workcell audit show` prints and filters the same way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from domain.audit import labels, query
from tests.conftest import TestDatabase
from tests.integration.audit_fixtures import make_cli
from tests.integration.materials_helpers import Plant, build_plant


@pytest.fixture
def plant(database: TestDatabase, session_factory: sessionmaker[Session]) -> Plant:
    return build_plant(database, session_factory)


def _lot(session: Session, lot_number: str) -> tuple[int, int, int]:
    """(lot id, item id, the lot's INSERT entry id)."""
    lot_id, item_id = session.execute(
        text("SELECT id, item_id FROM workcell.lot WHERE lot_number = :n"), {"n": lot_number}
    ).one()
    entry = session.scalar(
        text(
            "SELECT id FROM audit.entry WHERE table_name = 'workcell.lot'"
            " AND record_key = :k AND operation = 'INSERT'"
        ),
        {"k": str(lot_id)},
    )
    return int(lot_id), int(item_id), int(entry)


def test_a_lot_is_named_and_found_by_its_number(plant: Plant, session_factory) -> None:
    """The lot's entry is labelled with its lot number, its item_id and created_by are
    named (item number, username), and a filter by lot number or item number finds them."""
    number = plant.receive("resin", "5")
    with session_factory() as session:
        lot_id, item_id, entry = _lot(session, number)
        assert labels.record_labels(session, [entry]) == {entry: f"lot {number}"}
        detail = query.detail(session, entry)
        refs = labels.reference_names(session, "workcell.lot", (detail.before, detail.after))
        assert refs["item_id"] == {item_id: plant.items["resin"]}
        assert plant.clerk in refs["created_by"].values()
        flt = labels.resolve_record(session, query.AuditFilter(table="lot", record=number))
        assert flt.record == str(lot_id)
        assert [r.id for r in query.search(session, flt).rows] == [entry]
        item = labels.resolve_record(
            session, query.AuditFilter(table="item", record=plant.items["resin"].lower())
        )
        assert item.record == str(item_id)
        # a key stays a key; an unknown name stays as typed (and matches nothing)
        same = query.AuditFilter(table="lot", record=str(lot_id))
        assert labels.resolve_record(session, same) == same
        unknown = query.AuditFilter(table="lot", record="NO-SUCH-LOT")
        assert labels.resolve_record(session, unknown) == unknown


def test_audit_show_names_and_filters_by_lot_number(
    plant: Plant, session_factory, database: TestDatabase, monkeypatch, tmp_path: Path
) -> None:
    """`audit show --table lot --record <lot number>` lists the lot's entries with its
    number in the name column; `--entry` names the item behind item_id."""
    number = plant.receive("cap", "3")
    with session_factory() as session:
        _, item_id, entry = _lot(session, number)
    cli = make_cli(monkeypatch, tmp_path, database)
    code, out = cli.run("audit", "show", "--table", "lot", "--record", number, "--format", "json")
    assert code == 0, out
    rows = json.loads(out)
    assert rows and {r["name"] for r in rows} == {number}
    assert entry in {r["id"] for r in rows}
    code, out = cli.run("audit", "show", "--entry", str(entry))
    assert code == 0, out
    assert f"(lot {number})" in out.splitlines()[0]
    assert f"item_id: null -> {item_id} ({plant.items['cap']})" in out
