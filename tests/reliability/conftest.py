"""Reliability fixtures: a PostgreSQL cluster of the module's own (it is restarted under the
stations' feet, so never the shared server), and the work-order line of the integration tests
built on whichever database a test uses."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.db import make_engine, make_session_factory
from tests.conftest import (
    TestDatabase,
    bootstrap_test_admin,
    busy_station_policy,
    create_test_database,
    drop_test_database,
)
from tests.integration.work_order_helpers import Line, build_line
from tests.reliability.cluster import Cluster, available, make_cluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    why = available()
    if why:
        pytest.skip(why)
    made = make_cluster()
    yield made
    made.destroy()


@pytest.fixture(scope="module")
def private_db(cluster: Cluster) -> Iterator[TestDatabase]:
    """A migrated database on the private cluster, with the test administrator."""
    before = os.environ.get("WORKCELL_TEST_DATABASE_URL")
    os.environ["WORKCELL_TEST_DATABASE_URL"] = cluster.url
    try:
        db = create_test_database("wcf")
    finally:
        if before is None:
            os.environ.pop("WORKCELL_TEST_DATABASE_URL", None)
        else:
            os.environ["WORKCELL_TEST_DATABASE_URL"] = before
    bootstrap_test_admin(db)
    busy_station_policy(db.admin)
    yield db
    if cluster.running():
        drop_test_database(db)


@pytest.fixture(scope="module")
def private_factory(private_db: TestDatabase) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(private_db.station)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def line(database: TestDatabase, session_factory: sessionmaker[Session]) -> Line:
    """The integration tests' line on the shared test database (this worker's own)."""
    return build_line(database, session_factory)
