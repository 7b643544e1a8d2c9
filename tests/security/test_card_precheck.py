"""workcell.card_issued: the yes/no pre-check of a new card before the administrator's
re-authentication. A plain station login learns nothing from it without a session holding
user.administer; with one, only whether the card id was ever issued."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from tests.security.attack import Lab, Person, new_badge, refused, run, sign_in

pytestmark = pytest.mark.requirement("11.10(d)", "11.300(d)")

STATION = "station_sec_admin"
CHECK = "SELECT * FROM workcell.card_issued(%s)"


@pytest.fixture
def desk(connect: Callable[..., psycopg.Connection[Any]]) -> psycopg.Connection[Any]:
    return connect(STATION)


def test_without_a_session_the_station_learns_nothing(
    lab: Lab, station: psycopg.Connection[Any], operator: Person
) -> None:
    """No token, a made-up token, or a forged system actor: refused (WC001/WC002) for an
    issued card and a fresh one alike, so the refusal itself tells nothing."""
    assert operator.badge is not None
    forged = [("workcell.system_actor", "system")]
    with lab.untouched():
        for uid in (operator.badge, new_badge()):
            refused("WC001", station, CHECK, [uid])
            refused("WC002", station, CHECK, [uid], token="0" * 64)
            refused("WC001", station, CHECK, [uid], settings=forged)


def test_a_session_without_user_administer_is_refused(
    lab: Lab, desk: psycopg.Connection[Any], operator: Person, admin: Person
) -> None:
    """An operator's (or QA's) valid session is refused (WC039) whether the card is issued or
    not: the same refusal either way."""
    qa = lab.person(["qa", "supervisor"], prefix="qa")
    assert admin.badge is not None
    for who in (operator, qa):
        token = sign_in(desk, who)
        with lab.untouched():
            for uid in (admin.badge, new_badge()):
                err = refused("WC039", desk, CHECK, [uid], token=token)
                assert admin.username not in str(err)


def test_an_administrator_gets_yes_or_no_and_nothing_else(
    lab: Lab, desk: psycopg.Connection[Any], admin: Person, operator: Person
) -> None:
    """With user.administer: one boolean column, true for an issued card (revoked ones
    included, in any case and with spaces around it), false for a fresh one; no holder, badge
    id or revocation state, and nothing is written (no badge, no event, no audit entry)."""
    revoked = lab.person(["operator"], prefix="rv")
    lab.revoke_badge(revoked)
    assert operator.badge is not None and revoked.badge is not None
    token = sign_in(desk, admin)
    with lab.untouched():
        with desk.transaction():
            desk.execute("SELECT set_config('workcell.session', %s, true)", (token,))
            cur = desk.execute(CHECK, [operator.badge])
            assert cur.description is not None
            assert [c.name for c in cur.description] == ["card_issued"]
            assert cur.fetchall() == [(True,)]
        assert run(desk, CHECK, [revoked.badge], token=token) == [(True,)]
        assert run(desk, CHECK, [f"  {operator.badge.lower()} "], token=token) == [(True,)]
        assert run(desk, CHECK, [new_badge()], token=token) == [(False,)]


def test_no_card_read_is_refused(lab: Lab, desk: psycopg.Connection[Any], admin: Person) -> None:
    """An empty or oversized card id is refused (22023), not answered."""
    token = sign_in(desk, admin)
    with lab.untouched():
        for uid in ("", "   ", None, "A" * 129):
            refused("22023", desk, CHECK, [uid], token=token)


def test_the_station_cannot_reach_the_digest_or_the_hashes(
    lab: Lab, desk: psycopg.Connection[Any], admin: Person
) -> None:
    """The pre-check is the only way in: even an administrator's session cannot compute a
    card's digest or read the stored hashes to compare them itself (42501)."""
    token = sign_in(desk, admin)
    with lab.untouched():
        refused("42501", desk, "SELECT workcell.badge_digest('04A1B2C3D4E5F6')", token=token)
        refused("42501", desk, "SELECT badge_hash FROM workcell.badge", token=token)
