"""Record copies as a plain station login (issue 15): workcell.record_copy is written only by
workcell.record_copy_register, for a signed-in person holding record.copy, with the server's
clock and the station's login; nobody inserts, alters or deletes a row, and each refused
attack changes nothing."""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import pytest

from tests.security.attack import Lab, refused, run, sign_in
from tests.security.test_materials_gates import World, world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.requirement("11.10(b)")

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


def test_the_key_work_order_lot_and_content_hash_are_the_databases(
    lab: Lab,
    world: World,  # noqa: F811
    copy_id: int,
) -> None:
    """The caller names only the record by type and id: what it is called, which lot, and
    the content hash its signatures bind are computed by the database."""
    with lab.superuser() as conn:
        row = conn.execute(
            "SELECT c.record_key = l.lot_number, c.lot_id = l.id, c.record_id = l.id,"
            " c.content_hash = workcell.record_content_hash('lot', l.id), c.format"
            " FROM workcell.record_copy c JOIN workcell.lot l ON l.id = %s WHERE c.id = %s",
            (world.lot_a, copy_id),
        ).fetchone()
    assert row == (True, True, True, True, "pdf")


JSON_COPY = "SELECT workcell.record_copy_register('lot', %s, %s, %s, %s, %s, %s)"


def test_register_refuses_inconsistent_formats(
    lab: Lab,
    world: World,  # noqa: F811
    copy_id: int,
) -> None:
    """A JSON copy names no PDF and no pages; a PDF copy has pages; no third format; the
    same JSON copy twice is refused; an unknown record is not found — nothing written."""
    with lab.station() as conn:
        token = sign_in(conn, world.qa)
    lot = world.lot_a
    attacks = [
        ("WC140", (lot, "json", _digest(7), _digest(8), _digest(9), 0)),  # a PDF digest
        ("WC140", (lot, "pdf", _digest(7), _digest(8), _digest(9), 0)),  # no pages
        ("WC140", (lot, "pdf", _digest(7), None, _digest(9), 1)),  # no PDF digest
        ("WC180", (lot, "xml", _digest(7), None, _digest(9), 0)),
        ("WC180", (lot, None, _digest(7), None, _digest(9), 0)),
        ("WC181", (None, "json", _digest(7), None, _digest(9), 0)),
    ]
    for code, params in attacks:
        with lab.untouched(WATCH), lab.station() as conn:
            refused(code, conn, JSON_COPY, params, token=token)
    with lab.station() as conn:
        run(conn, JSON_COPY, (lot, "json", _digest(10), None, _digest(9), 0), token=token)
    with lab.untouched(WATCH), lab.station() as conn:
        refused(
            "WC141", conn, JSON_COPY, (lot, "json", _digest(10), None, _digest(9), 0), token=token
        )
    for kind in ("work_order", "item", "ncr", "capa"):  # no such record of any kind
        with lab.untouched(WATCH), lab.station() as conn:
            refused(
                "WC181", conn,
                "SELECT workcell.record_copy_register(%s, %s, 'json', %s, NULL, %s, 0)",
                (kind, 10**12, _digest(11), _digest(9)), token=token,
            )  # fmt: skip


def test_a_station_cannot_call_the_old_signature(lab: Lab, world: World, copy_id: int) -> None:  # noqa: F811
    """0020's register function (which took the key and the lot from the caller) is gone."""
    with lab.station() as conn:
        token = sign_in(conn, world.qa)
    with lab.untouched(WATCH), lab.station() as conn:
        refused(
            "42883", conn,
            "SELECT workcell.record_copy_register('lot', 'L-1', NULL, %s, %s, %s, %s, 1)",
            (world.lot_a, _digest(12), _digest(13), _digest(14)), token=token,
        )  # fmt: skip
