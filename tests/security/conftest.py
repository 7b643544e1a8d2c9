"""A database of the security suite's own (one per run), independent of the shared fixtures:
cheap argon2id in the policy row, the attack stations registered, people made owner-side."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from tests.conftest import drop_test_database
from tests.security.attack import DEFAULT_STATION, Lab, Person, open_lab


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """This run's security database (one per run, dropped at the end)."""
    opened = open_lab()
    try:
        yield opened
    finally:
        drop_test_database(opened.db)


@pytest.fixture
def connect(lab: Lab) -> Iterator[Callable[..., psycopg.Connection[Any]]]:
    """``connect("station_sec_a")``: a station connection, closed after the test."""
    opened: list[psycopg.Connection[Any]] = []

    def factory(role: str = DEFAULT_STATION) -> psycopg.Connection[Any]:
        conn = lab.station(role)
        opened.append(conn)
        return conn

    yield factory
    for conn in opened:
        conn.close()


@pytest.fixture
def station(connect: Callable[..., psycopg.Connection[Any]]) -> psycopg.Connection[Any]:
    """The plain test station login, no token."""
    return connect(DEFAULT_STATION)


@pytest.fixture
def admin(lab: Lab) -> Person:
    """A fresh administrator (role admin, own PIN, badge, verified, policy acknowledged)."""
    return lab.person(["admin"], prefix="adm")


@pytest.fixture
def operator(lab: Lab) -> Person:
    """A fresh operator."""
    return lab.person(["operator"], prefix="op")


@pytest.fixture
def item(lab: Lab) -> int:
    """A draft item created by the system actor."""
    return lab.item()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every attack also runs on the embedded PostgreSQL 18 (`make test`'s second pass)."""
    for item in items:
        if "tests/security/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.pg18)
