"""Routings: released through an ECO with signatures, frozen for every role, compared;
every engineering table audited and readable by the auditor."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.services import compare, eco, effectivity, routing, signatures
from domain.services.routing import DataSpec, OperationSpec, SignoffSpec, StepSpec
from domain.services.signatures import RecordRef
from tests.conftest import TEST_ADMIN, TestDatabase
from tests.integration.engineering_helpers import (
    ENGINEER,
    engineer,  # noqa: F401
    make_item,
    make_signer,
    signing,
)
from tests.integration.identity_fixtures import token_at

pytestmark = [pytest.mark.pg18, pytest.mark.usefixtures("engineer")]

TABLES = (
    "bom_revision", "bom_line", "routing_revision", "routing_operation", "routing_step",
    "routing_step_data", "routing_step_signoff", "eco", "eco_item", "eco_transition",
)  # fmt: skip


def _ops(limit: str) -> list[OperationSpec]:
    seal = StepSpec(
        1, "Seal pouch", critical=True,
        data=(DataSpec("PEEL", "Peel strength", "numeric", "N", Decimal("1.5"), Decimal(limit)),),
        signoffs=(SignoffSpec("performed", "operator"), SignoffSpec("reviewed", "qa")),
    )  # fmt: skip
    return [OperationSpec(10, "SEAL-1", "Seal", steps=(seal,))]


@pytest.fixture(scope="module")
def people(database: TestDatabase, session_factory: sessionmaker[Session]) -> tuple[str, ...]:
    return tuple(
        make_signer(database, session_factory, p, r)
        for p, r in (("erin", "engineer"), ("eddie", "engineer"), ("quinn", "qa"))
    )


def _release_routing(make_uow, people: tuple[str, ...], item: str, limit: str) -> str:
    author, reviewer, qa = people
    with make_uow(author, reason="routing ECO") as uow:
        number = eco.create_eco(uow, f"Peel limit {limit}", "Validation report").number
        view = eco.add_eco_item(uow, number, item, new_routing=True)
        label = view.items[0].routing_revision
        assert label is not None
        routing.replace_operations(uow, item, label, _ops(limit))
        uow.commit()
    for fn, who in ((eco.submit_eco, author), (eco.review_eco, reviewer), (eco.approve_eco, qa)):
        with make_uow(who) as uow:
            fn(uow, number, signing(who))
            uow.commit()
    return label


def test_routing_released_by_eco_superseded_and_signatures_still_valid(make_uow, people) -> None:
    """Routing rev A then B through ECOs: A superseded, its three signatures still valid."""
    with make_uow(ENGINEER) as uow:
        item = make_item(uow, "FG", "finished")
        uow.commit()
    _release_routing(make_uow, people, item, "6")
    _release_routing(make_uow, people, item, "5.5")
    with make_uow() as uow:
        now = effectivity.server_now(uow)
        current = routing.routing_as_of(uow, item, now)
        history = {s.revision: s for s in routing.routing_history(uow, item)}
        sigs = signatures.signatures_for(uow, RecordRef("routing_revision", history["A"].id))
        diff = compare.compare_routings(uow, item, "A", "B")
    assert current.summary.revision == "B" and history["A"].status == "superseded"
    assert [s.meaning for s in sigs] == ["authored", "reviewed", "approved"]
    assert all(s.valid for s in sigs)
    assert [(d.key, d.changes[0].field, d.changes[0].after) for d in diff.differences] == [
        ("op 10 / step 1 / PEEL", "high", "5.5")
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE workcell.routing_step_data SET upper_limit = 99, version = version + 1 "
        "WHERE step_id IN (SELECT s.id FROM workcell.routing_step s "
        "JOIN workcell.routing_operation o ON o.id = s.operation_id "
        "WHERE o.routing_revision_id = %s)",
        # stations have no DELETE: the only way is the function, whose guards refuse
        "SELECT workcell.clear_draft_revision('routing_revision', %s)",
        "UPDATE workcell.routing_operation SET instructions = 'skip it', version = version + 1 "
        "WHERE routing_revision_id = %s",
    ],
    ids=["limit", "signoff", "instructions"],
)
def test_released_routing_refused_through_sql(make_uow, people, database, sql: str) -> None:
    """As the station role, a released routing's limits, sign-offs and instructions stay."""
    with make_uow(ENGINEER) as uow:
        item = make_item(uow, "FG", "finished")
        uow.commit()
    _release_routing(make_uow, people, item, "6")
    with make_uow() as uow:
        rev_id = routing.get_routing(uow, item, "A").summary.id
    with database.connect() as conn:
        conn.execute(
            "SELECT set_config('workcell.session', %s, true), "
            "set_config('workcell.reason', 'attack', true)",
            (token_at(database, TEST_ADMIN),),
        )
        with pytest.raises(psycopg.Error) as err:
            conn.execute(sql, (rev_id,))
    assert err.value.sqlstate == "WC021"


def test_every_engineering_table_is_audited_and_readable_by_the_auditor(database) -> None:
    """Each table is registered, its audit trigger fires ALWAYS, and the auditor may read it."""
    with database.connect("admin") as conn:
        for table in TABLES:
            name = f"workcell.{table}"
            registered = conn.execute(
                "SELECT 1 FROM audit.regulated_table WHERE table_name = %s", (name,)
            ).fetchone()
            mode = conn.execute(
                "SELECT tgenabled FROM pg_trigger WHERE tgrelid = %s::regclass "
                "AND tgname = 'audit_row'",
                (name,),
            ).fetchone()
            readable = conn.execute(
                "SELECT has_table_privilege('workcell_auditor', %s, 'SELECT'), "
                "has_table_privilege('workcell_auditor', %s, 'INSERT')",
                (name, name),
            ).fetchone()
            assert registered and mode == ("A",) and readable == (True, False), table
