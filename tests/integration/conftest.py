"""Integration fixtures: the shared test station serves the whole suite."""

from __future__ import annotations

import pytest

from tests.conftest import TestDatabase
from tests.integration.identity_fixtures import busy_station_policy


@pytest.fixture(scope="session", autouse=True)
def _busy_test_station(database: TestDatabase) -> None:
    """The suite's sign-ins, signatures and deliberate wrong PINs all come from one station
    login; the per-station limits a plant sets for one kiosk would block it half-way (they
    are tested on stations of their own in tests/security)."""
    busy_station_policy(database.admin)
