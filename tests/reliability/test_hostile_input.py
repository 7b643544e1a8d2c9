"""Hostile input through the domain services and the parsers (hypothesis): every free-text
and scanned field is refused with a message a person can act on (a WorkCellError, never an
unexpected error), or stored and read back unchanged. Example counts are modest: each one is
a real round trip to PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import WorkCellError
from domain.gs1 import parse_gs1
from domain.services import identity, items
from domain.services.identity import Credentials
from domain.services.materials import lots
from domain.services.work_orders import deviations, execution
from domain.views.items import NewItem
from hardware.wedge import Wedge, WedgeConfig, char_to_key
from kiosk.settings import StationSettings
from kiosk.work_order_backend import KioskWorkOrderBackend
from screens.base import UnexpectedError
from tests.conftest import TEST_ADMIN, unique
from tests.integration.engineering_helpers import POLICY, STATION
from tests.integration.work_order_helpers import Line
from tests.reliability import flow
from tests.reliability.hostile import hostile_text

FUZZ = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _refused_or(action: Any) -> Any:
    """The action's result, or None when it was refused clearly."""
    try:
        return action()
    except WorkCellError as exc:
        assert not isinstance(exc, UnexpectedError), exc
        assert exc.message.strip() and exc.title.strip()
        return None


@pytest.fixture(scope="module")
def step_two(line: Line) -> tuple[str, int]:
    number, _ = flow.at_step_two(line)
    return number, line.step(number, 2).id


@FUZZ
@given(text=hostile_text())
def test_item_description(line: Line, make_uow: Any, text: str) -> None:
    """An item's description: refused, or read back exactly as written."""
    number = unique("FZ-").upper()
    with make_uow(TEST_ADMIN) as uow:
        made = _refused_or(lambda: items.create_item(uow, NewItem(number, text, "component", "ea")))
        if made is not None:  # leading and trailing blanks are trimmed, nothing else
            assert items.get_item(uow, number).description == text.strip()


@FUZZ
@given(text=hostile_text())
def test_step_text_value(line: Line, step_two: tuple[str, int], text: str) -> None:
    """A step's free-text remark: refused, or shown back as typed (trimmed)."""
    _, step_id = step_two
    with line.uow(line.op1) as uow:
        step = execution.step_view(uow, step_id)
        after = _refused_or(
            lambda: execution.enter_value(uow, step_id, "REMARK", text, step.version)
        )
        if after is not None:
            remark = next(f for f in after.fields if f.code == "REMARK").history[-1]
            assert remark.value == text.strip()


@FUZZ
@given(what=hostile_text(), why=hostile_text())
def test_deviation_what_and_why(line: Line, step_two: tuple[str, int], what: str, why: str) -> None:
    """A deviation raised at the step: refused, or stored as written."""
    _, step_id = step_two
    kind = deviations.KINDS_BY_HAND[0]
    with line.uow(line.op1) as uow:
        made = _refused_or(lambda: deviations.open_deviation(uow, step_id, kind, what, "", "", why))
        if made is not None:  # the database trims spaces (btrim), nothing else
            assert (made.what, made.why) == (what.strip(" "), why.strip(" "))


@FUZZ
@given(scanned=hostile_text())
def test_scanned_lot_number(line: Line, scanned: str) -> None:
    """A scanned lot number that is no lot: refused (not found, or not a lot number)."""
    with line.uow(line.op1) as uow:
        assert _refused_or(lambda: lots.get_lot(uow, scanned)) is None


@FUZZ
@given(scanned=hostile_text())
def test_scan_at_the_step(line: Line, step_two: tuple[str, int], scanned: str) -> None:
    """The station's component scan (GS1 or our lot label) with hostile data: refused."""
    from kiosk.sessions import SessionBook
    from tests.sessions import session_of

    book = SessionBook(line.plant.factory)
    book.add(session_of(line.plant.factory, line.op1))
    backend = KioskWorkOrderBackend(
        line.plant.factory, StationSettings(name="pytest"), sessions=book
    )
    _, step_id = step_two
    assert _refused_or(lambda: backend.scan_component(line.op1, step_id, scanned)) is None


@FUZZ
@given(uid=hostile_text())
def test_badge_uid(line: Line, uid: str) -> None:
    """A badge UID from a wedge reader that is no badge: not recognised, nobody signed in."""
    creds = Credentials(pin="482916", badge_uid=uid)
    assert _refused_or(lambda: identity.authenticate(
        line.plant.factory, creds, station=STATION, policy=POLICY)) is None  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(text=hostile_text())
def test_gs1_parser(text: str) -> None:
    """GS1 parsing of anything: data, or InvalidInput — never another exception."""
    _refused_or(lambda: parse_gs1(text))


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.characters(exclude_categories=()), max_size=200), badge=st.booleans())
def test_wedge_framing(text: str, badge: bool) -> None:
    """Any keys inside a scanner or badge frame: the decoder yields scans, aborted scans or
    keys passed through, never an exception, and holds nothing once the frame ends."""
    config = WedgeConfig(badge_prefix="\x1d") if badge else WedgeConfig()
    wedge = Wedge(config)
    opener = config.badge_prefix if badge else config.prefix
    at = 0.0
    for char in opener + text + config.suffix:
        at += 0.001
        wedge.feed(char_to_key(char), at)
    wedge.poll(at + 10)
    assert not wedge.busy
