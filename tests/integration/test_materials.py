"""Materials services on the real database (issue 12): receiving from labels and every
refusal, QA release, the last units taken by two stations at once, a hand-built multi-level
genealogy traced both ways, recall, hold propagation and the ledger proof."""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import (
    InsufficientStock,
    InvalidInput,
    LotOnHold,
    NotFound,
    PermissionDenied,
    ReceivingRefused,
    RuleViolation,
    SupplierNotApproved,
    WorkCellError,
)
from domain.services.materials import holds, inventory, lots, receiving, shipping, trace
from domain.services.materials.inventory import Input, Production
from tests.conftest import TestDatabase, unique
from tests.integration.materials_helpers import D, Plant, build_plant, count

pytestmark = pytest.mark.pg18


@pytest.fixture(scope="module")
def plant(database: TestDatabase, session_factory: sessionmaker[Session]) -> Plant:
    return build_plant(database, session_factory)


def _label(plant: Plant, role: str, *, days: int = 400, lot: str = "SUP42", extra: str = "") -> str:
    expiry = plant.today.replace(year=plant.today.year + 1) if days > 0 else plant.today
    if days < 0:
        expiry = plant.today.fromordinal(plant.today.toordinal() + days)
    return f"(01){plant.gtins[role]}(17){expiry:%y%m%d}(10){lot}{extra}"


def test_a_scanned_label_is_received_into_quarantine(plant: Plant) -> None:
    """GTIN, expiry, lot and net weight from the label; our lot number from the pattern."""
    with plant.uow(plant.clerk) as uow:
        lot = receiving.receive(
            uow,
            receiving.Receipt(plant.supplier, plant.bins["RCV"],
                              scan=_label(plant, "resin", extra="(3103)025500"),
                              po_reference="PO-7", coa_reference="COA-7"),
        )  # fmt: skip
        uow.commit()
    assert (lot.status, lot.quantity, lot.unit, lot.supplier_lot) == (
        "quarantine",
        D("25.5"),
        "kg",
        "SUP42",
    )
    assert lot.lot_number.startswith("L") and lot.created_by == plant.clerk
    assert [(s.bin_code, s.quantity) for s in lot.stock] == [(plant.bins["RCV"], D("25.5"))]


BAD_LABELS = {
    "malformed scan": (lambda p: "(01)12345", {}, InvalidInput),
    "unknown GTIN": (lambda p: "(01)00000000000017(10)X1(30)5", {}, NotFound),
    "GTIN of another item": (lambda p: _label(p, "cap", extra="(30)5"),
                             {"item_number": "resin"}, InvalidInput),
    "expired on arrival": (lambda p: _label(p, "cap", days=-1, extra="(30)5"), {}, ReceivingRefused),
    "disqualified supplier": (lambda p: _label(p, "resin", extra="(3103)001000"),
                              {"supplier": "banned"}, SupplierNotApproved),
    "supplier not on the list": (lambda p: _label(p, "resin", extra="(3103)001000"),
                                 {"supplier": "unlisted"}, SupplierNotApproved),
    "label and entry disagree": (lambda p: _label(p, "cap", extra="(30)5"),
                                 {"quantity": D(6)}, InvalidInput),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_LABELS))
def test_a_bad_label_is_refused_and_creates_nothing(plant: Plant, case: str) -> None:
    label, options, error = BAD_LABELS[case]
    supplier = getattr(plant, str(options.get("supplier", "supplier")))
    item = options.get("item_number")
    before = count(plant, "lot"), count(plant, "inventory_txn")
    with pytest.raises(error), plant.uow(plant.clerk) as uow:  # type: ignore[arg-type]
        receiving.receive(
            uow,
            receiving.Receipt(supplier, plant.bins["RCV"], scan=label(plant),
                              item_number=plant.items[str(item)] if item else None,
                              quantity=options.get("quantity")),  # type: ignore[arg-type]
        )  # fmt: skip
        uow.commit()
    assert (count(plant, "lot"), count(plant, "inventory_txn")) == before


def test_qa_releases_but_not_the_clerk_and_not_a_held_lot(plant: Plant) -> None:
    lot = plant.receive("cap", "10")
    with pytest.raises(WorkCellError), plant.uow(plant.clerk) as uow:
        lots.release_lot(uow, lot, plant.signing(plant.clerk))
    with plant.uow(plant.qa) as uow:
        hold = holds.place_hold(uow, lot, "CoA missing")
        uow.commit()
    with pytest.raises(RuleViolation), plant.uow(plant.qa) as uow:
        lots.release_lot(uow, lot, plant.signing(plant.qa))
    with plant.uow(plant.qa) as uow:
        holds.release_hold(uow, hold, plant.signing(plant.qa, "CoA received"))
        lots.release_lot(uow, lot, plant.signing(plant.qa))
        uow.commit()
    with plant.uow(plant.qa) as uow:
        view = lots.get_lot(uow, lot)
    assert view.status == "released" and not view.held
    assert [m.action for m in view.history] == ["release"]


def _production(plant: Plant, lot: str, quantity: str) -> Production:
    return Production(plant.items["device"], D(1), plant.bins["QUA"],
                      (Input(lot, plant.bins["LINE"], D(quantity)),), serials=(unique("SN"),))  # fmt: skip


def _waiting_on_a_lock(plant: Plant) -> bool:
    with plant.factory() as s:
        return bool(
            s.execute(
                text(
                    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock')"
                )
            ).scalar()
        )


def test_two_stations_take_the_last_units_one_wins(plant: Plant) -> None:
    """A holds the lot; B's consumption waits for it, then is refused with a clear message
    (InsufficientStock); on-hand ends at zero, never below, and the lot is consumed."""
    lot = plant.stocked("resin", "5")
    outcome: dict[str, BaseException | None] = {}
    first = plant.uow(plant.clerk)
    with first as uow:
        inventory.record_production(uow, _production(plant, lot, "5"))

        def second() -> None:
            try:
                with plant.uow(plant.supervisor) as other:
                    inventory.record_production(other, _production(plant, lot, "5"))
                    other.commit()
                outcome["b"] = None
            except BaseException as exc:
                outcome["b"] = exc

        thread = threading.Thread(target=second)
        thread.start()
        for _ in range(10_000):
            if _waiting_on_a_lock(plant) or not thread.is_alive():
                break
        uow.commit()
    thread.join()
    assert isinstance(outcome["b"], InsufficientStock), outcome
    assert lot in str(outcome["b"]) and "nothing left" in str(outcome["b"])
    with plant.uow(plant.qa) as uow:
        view = lots.get_lot(uow, lot)
    assert view.status == "consumed" and view.on_hand == 0


@pytest.fixture(scope="module")
def genealogy(plant: Plant) -> Iterator[dict[str, str]]:
    """R (resin) and C (caps) → S (sub-assembly) → D (two serialised devices, also R);
    device SN-A shipped to the customer."""
    r = plant.stocked("resin", "20", on_line="10")
    c = plant.stocked("cap", "50", on_line="20")
    with plant.uow(plant.clerk) as uow:
        s = inventory.record_production(uow, Production(
            plant.items["sub"], D(4), plant.bins["QUA"],
            (Input(r, plant.bins["LINE"], D("2.5")), Input(c, plant.bins["LINE"], D(8))),
        )).lot_number  # fmt: skip
        uow.commit()
    plant.release(s)
    plant.move(s, "QUA", "LINE", "4")
    sn_a, sn_b = unique("SNA-"), unique("SNB-")
    with plant.uow(plant.clerk) as uow:
        d = inventory.record_production(uow, Production(
            plant.items["device"], D(2), plant.bins["QUA"],
            (Input(s, plant.bins["LINE"], D(2)), Input(r, plant.bins["LINE"], D("0.4"))),
            serials=(sn_a, sn_b),
        )).lot_number  # fmt: skip
        uow.commit()
    plant.release(d)
    with plant.uow(plant.clerk) as uow:
        inventory.move(uow, d, plant.bins["QUA"], plant.bins["SHIP"], D(1), serial=sn_a)
        number = shipping.create_shipment(uow, plant.customer, "PO-H1")
        shipping.pick(uow, number, d, plant.bins["SHIP"], D(1), serial=sn_a)
        uow.commit()
    with plant.uow(plant.supervisor) as uow:
        shipping.confirm_shipment(uow, number, plant.signing(plant.supervisor))
        uow.commit()
    yield {"R": r, "C": c, "S": s, "D": d, "SN_A": sn_a, "SN_B": sn_b, "shipment": number}


def _tree(t: trace.Trace, lot: int) -> dict[str, object]:
    return {n.lot_number: _tree(t, n.lot_id) for _, n in t.children(lot)}


def test_backward_trace_of_a_serial_is_the_as_built_history(
    plant: Plant, genealogy: dict[str, str]
) -> None:
    g = genealogy
    with plant.uow(plant.qa) as uow:
        t = trace.trace(uow, g["SN_A"], "backward")
    assert t.root.lot_number == g["D"] and t.root_serial == g["SN_A"]
    assert _tree(t, t.root.lot_id) == {g["S"]: {g["R"]: {}, g["C"]: {}}, g["R"]: {}}
    supplied = {n.lot_number: n.supplier for n in t.nodes.values() if n.origin == "received"}
    assert supplied == {g["R"]: plant.supplier, g["C"]: plant.supplier}
    quantities = {(t.nodes[e.parent_lot_id].lot_number, t.nodes[e.child_lot_id].lot_number):
                  e.quantity for e in t.edges}  # fmt: skip
    assert quantities[(g["R"], g["S"])] == D("2.5") and quantities[(g["R"], g["D"])] == D("0.4")


def test_forward_trace_and_recall_of_the_resin_lot(plant: Plant, genealogy: dict[str, str]) -> None:
    g = genealogy
    with plant.uow(plant.qa) as uow:
        t = trace.trace(uow, g["R"], "forward")
        lines = trace.recall(uow, g["R"])
    assert _tree(t, t.root.lot_id) == {g["S"]: {g["D"]: {}}, g["D"]: {}}
    assert [(s.shipment_number, s.customer_code, s.serial) for s in t.shipments] == [
        (g["shipment"], plant.customer, g["SN_A"])
    ]
    assert [(r.customer_code, r.lot_number, r.serial, r.quantity) for r in lines] == [
        (plant.customer, g["D"], g["SN_A"], Decimal(1))
    ]


def test_holding_everything_made_from_a_lot(plant: Plant, genealogy: dict[str, str]) -> None:
    """The caps' forward trace: every lot with stock left gets a recall hold; the held
    device can no longer be shipped."""
    g = genealogy
    with plant.uow(plant.qa) as uow:
        held = holds.hold_forward(uow, g["C"], "supplier notice: cap resin contamination")
        uow.commit()
    assert set(held) == {g["C"], g["S"], g["D"]}
    with pytest.raises(LotOnHold), plant.uow(plant.clerk) as uow:
        number = shipping.create_shipment(uow, plant.customer)
        shipping.pick(uow, number, g["D"], plant.bins["QUA"], D(1), serial=g["SN_B"])


def test_the_ledger_proves_on_hand(plant: Plant, genealogy: dict[str, str]) -> None:
    with plant.uow(plant.qa) as uow:
        assert inventory.verify_inventory(uow) == []


def test_a_signed_adjustment_and_an_operator_refused(plant: Plant) -> None:
    lot = plant.stocked("cap", "10")
    with pytest.raises(PermissionDenied), plant.uow(plant.clerk) as uow:
        inventory.adjust(
            uow, lot, plant.bins["LINE"], D(-2), "miscount", plant.signing(plant.clerk)
        )
    with plant.uow(plant.supervisor) as uow:
        inventory.adjust(uow, lot, plant.bins["LINE"], D(-2), "cycle count: 8 found",
                         plant.signing(plant.supervisor))  # fmt: skip
        uow.commit()
    with plant.uow(plant.qa) as uow:
        assert lots.get_lot(uow, lot).on_hand == D(8)
