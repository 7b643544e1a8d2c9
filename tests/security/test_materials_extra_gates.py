"""Units, PO lines, retest extensions and label issues as a plain station login (issue 12
items 2, 4, 5). Each attack is refused by the database and changes nothing.

Built on test_materials_gates' world (resin lots received, released, on the line). Here
QA defines grams for the resin; a supervisor (purchasing) orders 50 kg on one PO line.
"""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from tests.security.attack import Lab, Person, refused, run, sign_in, unique
from tests.security.test_lifecycle_gates import acting_as, one, sign_then
from tests.security.test_materials_gates import MATERIALS, World, world  # noqa: F401

pytestmark = pytest.mark.requirement("11.10(f)", "11.10(g)")

EXTRA = (
    *MATERIALS,
    "workcell.item_unit",
    "workcell.purchase_order_line",
    "workcell.retest_extension",
    "workcell.label_issue",
)
GS = "\x1d"


@dataclass(frozen=True)
class Extra:
    w: World
    engineer: Person
    po_line: int
    po_number: str
    lot_t: int  # quarantine, retest date in 10 days, received by the receiver
    lot_t_number: str


def _receive(conn: psycopg.Connection[Any], token: str, w: World, quantity: str, po: str | None,
             retest: str | None = None) -> int:  # fmt: skip
    rows = run(conn,
               "SELECT workcell.receive_lot(%s, %s, %s, %s::numeric, %s, DATE '2099-12-31',"
               " %s::date, NULL, %s, NULL, NULL)",
               (w.resin, w.acme, unique("SUP-"), quantity, w.bins["RCV"], retest, po),
               token=token, settings=[("workcell.reason", "receipt (test)")])  # fmt: skip
    return int(rows[0][0])


@pytest.fixture(scope="module")
def extra(lab: Lab, world: World) -> Iterator[Extra]:  # noqa: F811
    engineer = lab.person(["engineer"], prefix="eng")
    po_number = unique("PO").upper()
    with lab.station() as conn:
        qa = sign_in(conn, world.qa)
        run(conn, "INSERT INTO workcell.item_unit (item_id, unit, factor, decimals, version) VALUES (%s, 'g', 0.001, 3, 1)",
            (world.resin,), token=qa, settings=[("workcell.reason", "grams")])  # fmt: skip
        sup = sign_in(conn, world.supervisor)
        with conn.transaction():
            acting_as(conn, sup, "PO line (test)")
            po_line = one(conn, "INSERT INTO workcell.purchase_order_line (po_number, line_no, item_id, supplier_id,"
                                " ordered_quantity, unit, version) VALUES (%s, 1, %s, %s, 50, 'kg', 1) RETURNING id",
                          (po_number, world.resin, world.acme))  # fmt: skip
        token = sign_in(conn, world.receiver)
        _receive(conn, token, world, "45", po_number)
        lot_t = _receive(conn, token, world, "5", None, retest="2099-01-01")
        number = one(conn, "SELECT lot_number FROM workcell.lot WHERE id = %s", (lot_t,))
    yield Extra(world, engineer, po_line, po_number, lot_t, number)


def _token(lab: Lab, person: Person) -> str:
    with lab.station() as conn:
        return sign_in(conn, person)


DIRECT_WRITES = {
    "conversion factor edited": "UPDATE workcell.item_unit SET factor = 1, version = version + 1",
    "conversion inserted with its creator": "INSERT INTO workcell.item_unit (item_id, unit, factor, created_by) SELECT item_id, 'oz', 1, 1 FROM workcell.item_unit LIMIT 1",
    "conversion deleted": "DELETE FROM workcell.item_unit",
    "PO line's item changed": "UPDATE workcell.purchase_order_line SET item_id = item_id, version = version + 1",
    "PO line inserted closed": "INSERT INTO workcell.purchase_order_line (po_number, line_no, item_id, supplier_id, ordered_quantity, unit, status) SELECT 'X1', 1, item_id, supplier_id, 1, unit, 'closed' FROM workcell.purchase_order_line LIMIT 1",
    "PO line deleted": "DELETE FROM workcell.purchase_order_line",
    "lot's PO line changed": "UPDATE workcell.lot SET po_line_id = NULL, version = version + 1",
    "retest date edited": "UPDATE workcell.lot SET retest_date = '2100-01-01', version = version + 1",
    "retest extension forged": "INSERT INTO workcell.retest_extension (lot_id, old_retest_date, new_retest_date, reason, reference, signature_id) SELECT id, '2000-01-01', '2100-01-01', 'x', 'x', 1 FROM workcell.lot LIMIT 1",
    "label issue forged": "INSERT INTO workcell.label_issue (lot_id, copies, format, destination, element_string, reprint) SELECT id, 1, 'zpl', 'x', 'x', false FROM workcell.lot LIMIT 1",
    "label count edited": "UPDATE workcell.label_issue SET copies = 0",
    "label issues deleted": "DELETE FROM workcell.label_issue",
    "ledger entered quantity forged": "UPDATE workcell.inventory_txn SET entered_quantity = 1",
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(DIRECT_WRITES))
def test_the_new_tables_cannot_be_written_past_their_grants(
    lab: Lab, extra: Extra, attack: str
) -> None:
    """Column grants only: server facts, the ledger, extensions and issues (42501)."""
    token = _token(lab, extra.w.supervisor)
    with lab.untouched(EXTRA), lab.station() as conn:
        refused(
            "42501",
            conn,
            DIRECT_WRITES[attack],
            token=token,
            settings=[("workcell.reason", "attack")],
        )


def test_conversions_need_uom_manage_and_never_change(lab: Lab, extra: Extra) -> None:
    """An operator may not add one (WC039); QA may not add the item's own unit or
    reactivate a retired one (WC074)."""
    w = extra.w
    op, qa = _token(lab, w.operator), _token(lab, w.qa)
    insert = "INSERT INTO workcell.item_unit (item_id, unit, factor, version) VALUES (%s, %s, 2, 1)"
    with lab.untouched(EXTRA), lab.station() as conn:
        refused(
            "WC039",
            conn,
            insert,
            (w.resin, "lb"),
            token=op,
            settings=[("workcell.reason", "attack")],
        )
        refused(
            "WC074",
            conn,
            insert,
            (w.resin, "kg"),
            token=qa,
            settings=[("workcell.reason", "attack")],
        )
        refused("WC039", conn, "UPDATE workcell.item_unit SET active = false, version = version + 1",
                token=op, settings=[("workcell.reason", "attack")])  # fmt: skip


LEDGER_UNITS = {
    "a unit without a conversion": ("1", "oz"),
    "grams with more decimals than counted": ("0.0001", "g"),
    "kilograms past 6 decimals": ("0.0000001", None),
    "no quantity": (None, "g"),
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(LEDGER_UNITS))
def test_a_move_that_does_not_convert_exactly_is_refused(
    lab: Lab, extra: Extra, attack: str
) -> None:
    """move_stock with a quantity in another unit: converted exactly or refused (WC073),
    never rounded."""
    quantity, unit = LEDGER_UNITS[attack]
    w = extra.w
    token = _token(lab, w.operator)
    with lab.untouched(EXTRA), lab.station() as conn:
        refused("WC073", conn, "SELECT workcell.move_stock(%s, %s, %s, %s::numeric, NULL, %s)",
                (w.lot_r, w.bins["LINE"], w.bins["STK"], quantity, unit), token=token,
                settings=[("workcell.reason", "attack")])  # fmt: skip


def test_grams_move_exactly(lab: Lab, extra: Extra) -> None:
    """The legitimate move: 250 g of lot R go from the line to released stock as 0.25 kg."""
    w = extra.w
    token = _token(lab, w.operator)
    with lab.station() as conn:
        run(conn, "SELECT workcell.move_stock(%s, %s, %s, 250, NULL, 'g')",
            (w.lot_r, w.bins["LINE"], w.bins["STK"]), token=token, settings=[("workcell.reason", "move")])  # fmt: skip
    with lab.superuser() as su:
        got = one(su, "SELECT trim_scale(quantity) || ' ' || unit || ' from ' || entered_quantity || ' ' || entered_unit"
                      " FROM workcell.inventory_txn WHERE lot_id = %s ORDER BY id DESC LIMIT 1", (w.lot_r,))  # fmt: skip
    assert got == "0.25 kg from 250 g"


def test_po_lines_need_purchasing_and_receipts_stay_within_them(lab: Lab, extra: Extra) -> None:
    """An operator may not add a PO line (WC039), nor for a disqualified supplier (WC065);
    6 kg against the 5 kg open is refused (WC075); cutting the line below 45 kg (WC076)."""
    w = extra.w
    op, sup, rcv = _token(lab, w.operator), _token(lab, w.supervisor), _token(lab, w.receiver)
    insert = ("INSERT INTO workcell.purchase_order_line (po_number, line_no, item_id, supplier_id, ordered_quantity, unit, version)"
              " VALUES ('ATTACK-1', 1, %s, %s, 1, 'kg', 1)")  # fmt: skip
    with lab.untouched(EXTRA), lab.station() as conn:
        refused(
            "WC039",
            conn,
            insert,
            (w.resin, w.acme),
            token=op,
            settings=[("workcell.reason", "attack")],
        )
        refused(
            "WC065",
            conn,
            insert,
            (w.resin, w.banned),
            token=sup,
            settings=[("workcell.reason", "attack")],
        )
        refused("WC073", conn, insert.replace("'kg'", "'oz'"), (w.resin, w.acme), token=sup,
                settings=[("workcell.reason", "attack")])  # fmt: skip
        refused("WC076", conn, "UPDATE workcell.purchase_order_line SET ordered_quantity = 44, version = version + 1 WHERE id = %s",
                (extra.po_line,), token=sup, settings=[("workcell.reason", "attack")])  # fmt: skip
        err = refused("WC075", conn,
                      "SELECT workcell.receive_lot(%s, %s, 'S-X', 6, %s, NULL, NULL, NULL, %s, NULL, NULL)",
                      (w.resin, w.acme, w.bins["RCV"], extra.po_number), token=rcv,
                      settings=[("workcell.reason", "attack")])  # fmt: skip
        assert "open 5 kg" in str(err)
        refused("WC076", conn,
                "SELECT workcell.receive_lot(%s, %s, 'S-X', 1, %s, NULL, NULL, NULL, %s, NULL, NULL)",
                (w.resin, w.acme, w.bins["RCV"], extra.po_number + "/2"), token=rcv,
                settings=[("workcell.reason", "attack")])  # fmt: skip


def _extend(lot: int, date: str, sig: str = "(SELECT max(id) FROM workcell.signature)") -> str:
    return f"SELECT workcell.extend_retest({lot}, DATE '{date}', 'retested', 'LAB-1', {sig})"


def test_retest_extension_is_qa_signed_and_not_by_the_receiver(lab: Lab, extra: Extra) -> None:
    """Without lot.retest (WC039); without a signature (WC077); with a signature whose
    comment names another date (WC077); past the expiry (WC077); the receiver's own
    signature (WC012, the signing rule); QA's signed extension goes through."""
    w = extra.w
    op, qa = _token(lab, w.operator), _token(lab, w.qa)
    with lab.untouched(EXTRA), lab.station() as conn:
        refused(
            "WC039",
            conn,
            _extend(extra.lot_t, "2099-06-01"),
            token=op,
            settings=[("workcell.reason", "attack")],
        )
        refused(
            "WC077",
            conn,
            _extend(extra.lot_t, "2099-06-01", "NULL"),
            token=qa,
            settings=[("workcell.reason", "attack")],
        )
        for date, comment in (
            ("2099-06-01", "retest date 2099-07-01"),
            ("2199-01-01", "retest date 2199-01-01"),
        ):
            with pytest.raises(psycopg.Error) as caught:
                sign_then(
                    conn,
                    w.qa,
                    "retest_extended",
                    [("lot", extra.lot_t)],
                    [_extend(extra.lot_t, date)],
                    comment,
                )
            assert caught.value.sqlstate == "WC077", caught.value
        with pytest.raises(psycopg.Error) as caught:
            sign_then(conn, w.receiver, "retest_extended", [("lot", extra.lot_t)], [_extend(extra.lot_t, "2099-06-01")],
                      "retest date 2099-06-01")  # fmt: skip
        assert caught.value.sqlstate in ("WC012", "WC039"), caught.value
    with lab.superuser() as su:
        content_before = one(su, "SELECT workcell.record_content_hash('lot', %s)", (extra.lot_t,))
    with lab.station() as conn:
        sign_then(conn, w.qa, "retest_extended", [("lot", extra.lot_t)], [_extend(extra.lot_t, "2099-06-01")],
                  "retest date 2099-06-01: passed")  # fmt: skip
    with lab.superuser() as su:
        assert (
            one(su, "SELECT retest_date::text FROM workcell.lot WHERE id = %s", (extra.lot_t,))
            == "2099-06-01"
        )
        assert (
            one(
                su,
                "SELECT count(*) FROM workcell.retest_extension WHERE lot_id = %s",
                (extra.lot_t,),
            )
            == 1
        )
        # the signed content keeps the retest date as received: earlier signatures match
        content_after = one(su, "SELECT workcell.record_content_hash('lot', %s)", (extra.lot_t,))
        assert content_after == content_before


def _issue(
    lot: int, element_string: str, copies: int = 1, serial: str = "NULL"
) -> tuple[str, tuple[Any, ...]]:
    return (
        "SELECT workcell.issue_label(%s, " + serial + ", %s, 'zpl', 'attack', %s)",
        (lot, copies, element_string),
    )


def test_label_issues_need_label_print_and_carry_the_lot(lab: Lab, extra: Extra) -> None:
    """No session (WC001/WC002/WC039); an engineer (WC039); a label without this lot's
    AI 10 (WC078); 0 copies (WC078); a serial not in the lot (WC078); the real one
    is recorded."""
    op, eng = _token(lab, extra.w.operator), _token(lab, extra.engineer)
    good = f"10{extra.lot_t_number}"
    with lab.untouched(EXTRA), lab.station() as conn:
        statement, params = _issue(extra.lot_t, good)
        refused(
            ("WC001", "WC002", "WC039"),
            conn,
            statement,
            params,
            settings=[("workcell.reason", "attack")],
        )
        refused(
            "WC039", conn, statement, params, token=eng, settings=[("workcell.reason", "attack")]
        )
        for bad, copies in (
            (f"10{extra.lot_t_number}X", 1),
            (f"21{extra.lot_t_number}", 1),
            (good, 0),
            (good, 501),
        ):
            statement, params = _issue(extra.lot_t, bad, copies)
            refused(
                "WC078", conn, statement, params, token=op, settings=[("workcell.reason", "attack")]
            )
        statement, params = _issue(extra.lot_t, good + GS + "21X", serial="-1")
        refused(
            ("WC078",), conn, statement, params, token=op, settings=[("workcell.reason", "attack")]
        )
    with lab.station() as conn:
        statement, params = _issue(extra.lot_t, "0100000000000017" + good, 2)
        run(conn, statement, params, token=op, settings=[("workcell.reason", "label")])
    with lab.superuser() as su:
        assert (
            one(
                su, "SELECT sum(copies) FROM workcell.label_issue WHERE lot_id = %s", (extra.lot_t,)
            )
            == 2
        )
