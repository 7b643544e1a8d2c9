"""Migration 0028 as a plain station login: the PO pre-check function, whole 'ea'
quantities on every path, and scrap / adjustment of a held lot. Each attack is refused by
the database and changes nothing.

Built on test_materials_gates' world (resin lots; lot_h released on the line with a QA hold
open). Here: a component counted in 'ea' received, released and on the line (10 ea, 4 of
them at the shipping dock), and a PO line of 20 kg of resin from ACME.
"""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.security.attack import Lab, Person, raises, refused, run, sign_in, unique
from tests.security.test_lifecycle_gates import acting_as, one, sign_then
from tests.security.test_materials_gates import MATERIALS, World, move, receive, world  # noqa: F401

WATCHED = (*MATERIALS, "workcell.purchase_order_line")
REASON = [("workcell.reason", "attack")]
CHECK = "SELECT workcell.check_po_receipt(%s, %s, %s, %s::numeric)"


@dataclass(frozen=True)
class Floor:
    w: World
    part: int  # item counted in ea, lot-tracked
    lot_e: int  # released: 6 ea on the line, 4 ea at the shipping dock
    shipment: int  # open, no lines
    po_number: str
    po_line: int


def _token(lab: Lab, person: Person) -> str:
    with lab.station() as conn:
        return sign_in(conn, person)


@pytest.fixture(scope="module")
def floor(lab: Lab, world: World) -> Iterator[Floor]:  # noqa: F811
    w = world
    with lab.owner("security test: a part counted in ea") as conn:
        part = one(conn, "INSERT INTO workcell.item (item_number, description, item_type, unit)"
                         " VALUES (%s, 'part', 'component', 'ea') RETURNING id", (unique("MAT-E-").upper(),))  # fmt: skip
        conn.execute(
            "INSERT INTO workcell.approved_supplier (item_id, supplier_id) VALUES (%s, %s)",
            (part, w.acme),
        )
    po_number = unique("PO").upper()
    with lab.station() as conn:
        sign_then(conn, w.qa, "approved", [("item", part)],
                  [f"UPDATE workcell.item SET status = 'approved', version = version + 1 WHERE id = {part}"])  # fmt: skip
        token = sign_in(conn, w.receiver)
        lot_e = receive(conn, token, part, w.acme, w.bins["RCV"], quantity="10")
        sign_then(conn, w.qa, "released", [("lot", lot_e)],
                  [f"UPDATE workcell.lot SET status = 'released', version = version + 1 WHERE id = {lot_e}"])  # fmt: skip
        token = sign_in(conn, w.receiver)
        move(conn, token, lot_e, w.bins["RCV"], w.bins["LINE"], "6")
        move(conn, token, lot_e, w.bins["RCV"], w.bins["SHIP"], "4")
        sup = sign_in(conn, w.supervisor)
        with conn.transaction():
            acting_as(conn, sup, "PO line (test)")
            po_line = one(conn, "INSERT INTO workcell.purchase_order_line (po_number, line_no, item_id, supplier_id,"
                                " ordered_quantity, unit, version) VALUES (%s, 1, %s, %s, 20, 'kg', 1) RETURNING id",
                          (po_number, w.resin, w.acme))  # fmt: skip
            shipment = one(conn, "INSERT INTO workcell.shipment (customer_id, version) VALUES (%s, 1) RETURNING id",
                           (w.customer,))  # fmt: skip
    yield Floor(w, int(part), lot_e, int(shipment), po_number, int(po_line))


# -- the PO pre-check ------------------------------------------------------------------------


def test_the_po_check_answers_the_line_and_writes_nothing(lab: Lab, floor: Floor) -> None:
    """The receiver gets the line for what is open, NULL for a PO not on file."""
    w, token = floor.w, _token(lab, floor.w.receiver)
    with lab.untouched(WATCHED), lab.station() as conn:
        assert run(conn, CHECK, (floor.po_number, w.resin, w.acme, "20"), token=token) == [
            (floor.po_line,)
        ]
        assert run(conn, CHECK, ("NOT-ON-FILE", w.resin, w.acme, "20"), token=token) == [(None,)]


@pytest.mark.parametrize(
    ("case", "code"),
    [("over the open quantity", "WC075"), ("another item", "WC076"),
     ("a disqualified supplier", "WC076"), ("a line number not on file", "WC076")],
)  # fmt: skip
def test_the_po_check_refuses_as_the_receipt_would(
    lab: Lab, floor: Floor, case: str, code: str
) -> None:
    w, token = floor.w, _token(lab, floor.w.receiver)
    params = {
        "over the open quantity": (floor.po_number, w.resin, w.acme, "20.5"),
        "another item": (floor.po_number, floor.part, w.acme, "1"),
        "a disqualified supplier": (floor.po_number, w.resin, w.banned, "1"),
        "a line number not on file": (floor.po_number + "/7", w.resin, w.acme, "1"),
    }[case]
    with lab.untouched(WATCHED), lab.station() as conn:
        refused(code, conn, CHECK, params, token=token)


def test_the_po_check_needs_a_receiver(lab: Lab, floor: Floor) -> None:
    """Nobody signed in, or QA (who does not receive): refused."""
    w = floor.w
    params = (floor.po_number, w.resin, w.acme, "1")
    qa = _token(lab, w.qa)
    with lab.untouched(WATCHED), lab.station() as conn:
        refused("WC001", conn, CHECK, params)
        refused("WC039", conn, CHECK, params, token=qa)


# -- whole 'ea' --------------------------------------------------------------------------------


def test_a_fraction_of_an_ea_is_refused_on_every_path(lab: Lab, floor: Floor) -> None:
    """Receipt, move, scrap, adjustment, a PO line, a shipment line: WC220, nothing kept."""
    w = floor.w
    rcv, sup = _token(lab, w.receiver), _token(lab, w.supervisor)
    with lab.untouched(WATCHED), lab.station() as conn:
        refused("WC220", conn, "SELECT workcell.receive_lot(%s, %s, 'S-1', 2.5, %s, NULL, NULL, NULL, NULL, NULL, NULL)",
                (floor.part, w.acme, w.bins["RCV"]), token=rcv, settings=REASON)  # fmt: skip
        refused("WC220", conn, "SELECT workcell.move_stock(%s, %s, %s, 0.5)",
                (floor.lot_e, w.bins["LINE"], w.bins["QUA"]), token=rcv, settings=REASON)  # fmt: skip
        refused("WC220", conn, "SELECT workcell.scrap_stock(%s, %s, 0.5, 'dropped')",
                (floor.lot_e, w.bins["LINE"]), token=sup, settings=REASON)  # fmt: skip
        refused("WC220", conn, "SELECT workcell.adjust_stock(%s, %s, 0.5, 'recount', NULL)",
                (floor.lot_e, w.bins["LINE"]), token=sup, settings=REASON)  # fmt: skip
        refused("WC220", conn, "INSERT INTO workcell.purchase_order_line (po_number, line_no, item_id, supplier_id,"
                " ordered_quantity, unit, version) VALUES ('PO-EA', 1, %s, %s, 2.5, 'ea', 1)",
                (floor.part, w.acme), token=sup, settings=REASON)  # fmt: skip
        refused("WC220", conn, "INSERT INTO workcell.shipment_line (shipment_id, lot_id, bin_id, quantity, version)"
                " VALUES (%s, %s, %s, 1.5, 1)", (floor.shipment, floor.lot_e, w.bins["SHIP"]), token=sup, settings=REASON)  # fmt: skip


def test_the_whole_each_rule_is_a_constraint_for_any_writer(lab: Lab, floor: Floor) -> None:
    """Even the owner (past every function) cannot store a fraction of an ea: CHECK 23514."""

    def write() -> None:
        with su.transaction():  # a savepoint: the refusal rolls back to it
            su.execute("UPDATE workcell.lot SET quantity = 9.5 WHERE id = %s", (floor.lot_e,))

    with lab.untouched(WATCHED), lab.superuser() as su, su.transaction(force_rollback=True):
        su.execute("SET LOCAL workcell.reason = 'security test: owner-side write'")
        su.execute("ALTER TABLE workcell.lot DISABLE TRIGGER USER")  # rolled back below
        err = raises("23514", write)
        assert "ck_lot_whole_each" in str(err)


# -- held lots ---------------------------------------------------------------------------------


def test_a_held_lot_is_not_scrapped(lab: Lab, floor: Floor) -> None:
    w = floor.w
    sup = _token(lab, w.supervisor)
    with lab.untouched(WATCHED), lab.station() as conn:
        err = refused("WC062", conn, "SELECT workcell.scrap_stock(%s, %s, 1, 'dropped')",
                      (w.lot_h, w.bins["LINE"]), token=sup, settings=REASON)  # fmt: skip
        assert "on hold" in str(err)


def test_a_held_lot_is_not_adjusted_even_with_the_signature(lab: Lab, floor: Floor) -> None:
    """The supervisor's own "adjusted" signature, made in the transaction: still WC062."""
    w = floor.w
    with lab.untouched(WATCHED), lab.station() as conn:
        raises("WC062", lambda: sign_then(
            conn, w.supervisor, "adjusted", [("lot", w.lot_h)],
            [f"SELECT workcell.adjust_stock({w.lot_h}, {w.bins['LINE']}, -5, 'recount',"
             f" (SELECT max(id) FROM workcell.signature WHERE record_type = 'lot' AND record_id = {w.lot_h}))"],
            comment="recount",
        ))  # fmt: skip
