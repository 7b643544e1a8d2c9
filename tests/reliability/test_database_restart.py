"""The database server restarts while a station is mid-step (a cluster of this module's own,
stopped and started under the station's feet): the station says the database is unreachable,
keeps what was typed, records nothing as done, and carries on once the server is back."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from textual.widgets import Input, Static

from domain.errors import DatabaseUnavailable
from domain.services.work_orders import execution
from domain.uow import UnitOfWork
from screens.widgets import Banner
from screens.widgets.keyboard import KeyboardModal
from tests.conftest import TestDatabase
from tests.integration.work_order_helpers import Line, build_line
from tests.reliability import flow
from tests.reliability.cluster import Cluster
from tests.reliability.stations import open_work_order, station_on, tap_keys
from tests.sessions import forget_session, session_of
from tests.ui.conftest import sign_in, tap, until


@pytest.fixture(scope="module")
def private_line(private_db: TestDatabase, private_factory: sessionmaker[Session]) -> Line:
    return build_line(private_db, private_factory)


@pytest.fixture(autouse=True)
def server_back(cluster: Cluster) -> Any:
    """Whatever a test did to the server, the next one finds it running."""
    yield
    if not cluster.running():
        cluster.start()


def test_restart_with_a_value_in_flight_records_nothing_then_the_same_session_resumes(
    cluster: Cluster, private_db: TestDatabase, private_line: Line
) -> None:
    """A transaction open when the server restarts is lost whole (refused as unreachable);
    while the server is down every write is refused the same way; once it is back the
    operator's session (the token lives in the database) records the value, once."""
    line, factory = private_line, private_line.plant.factory
    number, _ = flow.at_step_two(line)
    op = session_of(factory, line.op1)
    step = line.step(number, 2)
    with pytest.raises(DatabaseUnavailable) as lost, UnitOfWork(factory, op) as uow:
        execution.enter_value(uow, step.id, "LENGTH", "10.1", step.version)
        cluster.restart("fast")  # the server goes with the transaction uncommitted
        uow.commit()
    assert "Nothing was saved" in lost.value.message
    assert flow.entries(private_db, number, 2) == []

    cluster.stop("immediate")  # a crash, not a clean shutdown
    with pytest.raises(DatabaseUnavailable), UnitOfWork(factory, op) as uow:
        execution.enter_value(uow, step.id, "LENGTH", "10.1", step.version)
        uow.commit()
    cluster.start()

    with UnitOfWork(factory, op) as uow:
        after = execution.enter_value(uow, step.id, "LENGTH", "10.1", step.version)
        uow.commit()
    assert flow.entries(private_db, number, 2) == [("value", "LENGTH", "10.100000")]
    assert after.status == "in_progress" and flow.step_status(private_db, number, 2) == (
        "in_progress"
    )
    assert flow.signatures(private_db, number, 2) == []


async def test_step_screen_while_the_server_restarts(
    cluster: Cluster, private_db: TestDatabase, private_line: Line, tmp_path: Any
) -> None:
    """At the step screen: OK with the server down → the station's banner says the database
    is unreachable, the step says nothing was saved, the typed value is kept for the next
    tap; the server back, the same tap and OK save it and the banner goes."""
    line = private_line
    number, _ = flow.at_step_two(line)
    station = station_on(line.plant.factory, tmp_path)
    operator = station.person(line.op1)
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, operator)
        step = await open_work_order(pilot, app, number)
        assert step.view is not None and step.view.seq == 2

        await tap(pilot, "#enter-length")
        await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "the keypad")
        await tap_keys(pilot, "10.2")
        cluster.stop("fast")
        await tap(pilot, "#kb-ok")
        banner = step.query_one(Banner)
        await until(pilot, lambda: "Database unreachable" in banner.message, "the banner")
        status = step.query_one("#step-status", Static)
        await until(pilot, lambda: "Nothing was saved" in str(status.render()), "not saved")
        assert app.screen is step and step.typed == {"LENGTH": "10.2"}
        app.save_screenshot(str(tmp_path / "offline.svg"))

        cluster.start()
        assert flow.entries(private_db, number, 2) == []  # nothing recorded while down
        await tap(pilot, "#enter-length")
        await until(pilot, lambda: isinstance(app.screen, KeyboardModal), "the keypad again")
        assert app.screen.query_one("#kb-text", Input).value == "10.2"  # typed before
        await tap(pilot, "#kb-ok")
        await until(pilot, lambda: step.view.entry("LENGTH") is not None, "saved")
        await until(pilot, lambda: banner.message == "", "the banner gone")
    assert flow.entries(private_db, number, 2) == [("value", "LENGTH", "10.200000")]


def test_sign_in_and_signatures_work_after_a_crash(
    cluster: Cluster, private_db: TestDatabase, private_line: Line
) -> None:
    """After an immediate shutdown (crash recovery empties the unlogged challenge table) a
    fresh sign-in and a signature are accepted: challenge ids do not restart under the ids
    the access log already holds (they did before migration 0027)."""
    line, factory = private_line, private_line.plant.factory
    number, _ = flow.at_step_two(line)  # challenges issued and logged before the crash
    cluster.stop("immediate")
    cluster.start()
    forget_session(factory, line.op1)
    op = session_of(factory, line.op1)  # a new challenge, answered
    with UnitOfWork(factory, op) as uow:
        step = execution.step_view(uow, line.step(number, 2).id)
        execution.enter_value(uow, step.id, "LENGTH", "10.0", step.version)
        execution.enter_value(uow, step.id, "VISUAL", "pass", step.version + 1)
        uow.commit()
    with UnitOfWork(factory, op) as uow:
        execution.sign_step(uow, step.id, "performed", line.plant.signing(line.op1))
        uow.commit()
    assert flow.signatures(private_db, number, 2) == ["performed"]


def test_server_gone_under_an_open_unit_of_work_is_reported_unreachable(
    cluster: Cluster, private_db: TestDatabase, private_line: Line
) -> None:
    """The server goes (a crash, or a failover's lost primary) while a unit of work has its
    transaction open, and what notices first is the signature's challenge on a connection of
    its own: the station is told the database is unreachable (its rollback's own "terminating
    connection" does not escape untranslated), and the step is signed once the server is back."""
    line, factory = private_line, private_line.plant.factory
    number, _ = flow.at_step_two(line)
    op = session_of(factory, line.op1)
    step = line.step(number, 2)
    with UnitOfWork(factory, op) as uow:
        execution.enter_value(uow, step.id, "LENGTH", "10.0", step.version)
        execution.enter_value(uow, step.id, "VISUAL", "pass", step.version + 1)
        uow.commit()
    with pytest.raises(DatabaseUnavailable) as lost, UnitOfWork(factory, op) as uow:
        shown = execution.step_view(uow, step.id)  # the transaction is open on its connection
        cluster.crash()
        # signed as the dialog showed it: the challenge is the first to meet the dead server
        signing = replace(line.plant.signing(line.op1), expected_version=shown.version,
                          expected_hash=shown.content_hash)  # fmt: skip
        execution.sign_step(uow, step.id, "performed", signing)
    assert "Nothing was saved" in lost.value.message
    cluster.start()
    assert flow.signatures(private_db, number, 2) == []
    with UnitOfWork(factory, op) as uow:
        execution.sign_step(uow, step.id, "performed", line.plant.signing(line.op1))
        uow.commit()
    assert flow.signatures(private_db, number, 2) == ["performed"]
