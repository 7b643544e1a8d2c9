"""Record copies as a plain station login (issue 15): workcell.record_copy is written only by
workcell.record_copy_register, for a signed-in person holding record.copy, with the server's
clock and the station's login; nobody inserts, alters or deletes a row, and each refused
attack changes nothing."""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import pytest

from tests.security.attack import Lab, refused, run, sign_in
from tests.security.test_materials_gates import World, world  # noqa: F401  (the fixture)

WATCH = ("workcell.record_copy", "audit.entry")
REGISTER = "SELECT workcell.record_copy_register('lot', %s, 'pdf', %s, %s, %s, 1)"


def _digest(n: int) -> str:
    return f"{n:064x}"


@pytest.fixture(scope="module")
def copy_id(lab: Lab, world: World) -> int:  # noqa: F811
    """QA registers one copy through the function (the only way in)."""
    with lab.station() as conn:
        token = sign_in(conn, world.qa)
        rows = run(conn, REGISTER, (world.lot_a, _digest(1), _digest(2), _digest(3)), token=token)
    return int(rows[0][0])


def test_the_registered_copy_is_the_servers_facts(lab: Lab, world: World, copy_id: int) -> None:  # noqa: F811
    """Who is the signed-in person, when the server's clock, where the station login."""
    with lab.superuser() as conn:
        row = conn.execute(
            "SELECT u.username, c.station, c.made_at <= now() FROM workcell.record_copy c"
            " JOIN workcell.users u ON u.id = c.made_by WHERE c.id = %s",
            (copy_id,),
        ).fetchone()
    assert row == (world.qa.username, "station_pytest", True)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO workcell.record_copy (record_type, record_key, lot_id, json_sha256, pdf_sha256,"
        " template_sha256, pages, made_by, made_at, station) SELECT 'lot', 'L', lot_id, json_sha256,"
        " repeat('e', 64), template_sha256, 1, made_by, made_at, station FROM workcell.record_copy LIMIT 1",
        "UPDATE workcell.record_copy SET pdf_sha256 = repeat('f', 64)",
        "UPDATE workcell.record_copy SET made_at = made_at - interval '1 year'",
        "DELETE FROM workcell.record_copy",
        "TRUNCATE workcell.record_copy",
    ],
)
@pytest.mark.parametrize("with_token", [False, True])
def test_a_station_cannot_write_the_table(
    lab: Lab,
    world: World,  # noqa: F811
    copy_id: int,
    statement: str,
    with_token: bool,
) -> None:
    with lab.station() as conn:
        token = sign_in(conn, world.qa) if with_token else None
    with lab.untouched(WATCH), lab.station() as conn:
        refused("42501", conn, statement, token=token)


def test_register_needs_a_person_with_record_copy(lab: Lab, world: World, copy_id: int) -> None:  # noqa: F811
    """No session: refused; an operator (no record.copy): WC039; nothing written."""
    params = (world.lot_a, _digest(4), _digest(5), _digest(6))
    with lab.untouched(WATCH), lab.station() as conn:
        err = refused(("WC001", "WC039", "WC030", "WC031"), conn, REGISTER, params)
        assert "signed in" in str(err).lower() or "permission" in str(err).lower()
    with lab.station() as conn:
        token = sign_in(conn, world.operator)
    with lab.untouched(WATCH), lab.station() as conn:
        refused("WC039", conn, REGISTER, params, token=token)


def test_register_refuses_bad_digests_unknown_subjects_and_duplicates(
    lab: Lab,
    world: World,  # noqa: F811
    copy_id: int,
) -> None:
    with lab.station() as conn:
        token = sign_in(conn, world.qa)
    attacks = [
        ("WC140", REGISTER, (world.lot_a, "not-a-digest", _digest(5), _digest(6))),
        ("WC181", REGISTER, (10**12, _digest(4), _digest(5), _digest(6))),
        ("WC141", REGISTER, (world.lot_a, _digest(4), _digest(2), _digest(6))),  # same PDF
        (
            "WC180",
            "SELECT workcell.record_copy_register('batch', %s, 'pdf', %s, %s, %s, 1)",
            (world.lot_a, _digest(4), _digest(5), _digest(6)),
        ),
    ]
    for code, statement, params in attacks:
        with lab.untouched(WATCH), lab.station() as conn:
            refused(code, conn, statement, params, token=token)
