"""A fixed, in-memory MaterialsBackend for the snapshot tests only.

Real lots carry the server's time and lot numbers from a sequence, which no fixture can
hold still; the Pilot tests (test_materials_screens.py) run the same screens on the real
database. The data is the demo plant's (kiosk/demo/materials.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from screens.materials.backend import (
    BinChoice,
    HistoryLine,
    HoldRow,
    ItemForReceipt,
    LotDetail,
    ReceiptForm,
    ReceiptPreview,
    ShipmentDetail,
    ShipmentLine,
    ShipmentSummary,
    ShippedLine,
    StockLine,
    SupplierChoice,
    TraceLevel,
    TraceLink,
    TraceNode,
    TraceRoot,
)

D = Decimal
T0 = dt.datetime(2026, 11, 25, 7, 15, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 26)
EXPIRY = dt.date(2028, 11, 25)
RESIN_LABEL = "(01)09501101530041(17)281125(10)PM-88123(3103)250000"


def _at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def _node(lot_id: int, number: str, item: str, desc: str, status: str, **kw: Any) -> TraceNode:
    values: dict[str, Any] = {
        "origin": "received", "held": False, "on_hand": D(0), "quantity": D(1), "unit": "ea",
        "expiry_date": EXPIRY, "supplier": None, "supplier_lot": None,
    }  # fmt: skip
    values.update(kw)
    return TraceNode(lot_id, number, item, desc, status=status, **values)


FG = _node(5, "L2611-00005", "FG-1000", "Infusion set, sterile, 150 cm", "released",
           origin="produced", on_hand=D(1), quantity=D(2))  # fmt: skip
TUBING = _node(2, "L2611-00002", "RM-4002", "PVC tubing 3 mm", "released", unit="m",
               on_hand=D("486.8"), quantity=D(500), supplier="TUBEX",
               supplier_lot="TX-5531")  # fmt: skip
POUCH = _node(3, "L2611-00003", "PK-5001", "Tyvek pouch", "released", on_hand=D(998),
              quantity=D(1000), supplier="STERIPAK", supplier_lot="SP-20931")  # fmt: skip
LINKS = {
    5: (
        TraceLink(5, D(2), "ea", None, None, POUCH),
        TraceLink(5, D("3.2"), "m", None, None, TUBING),
    ),
    2: (),
    3: (),
}


class FixedMaterialsBackend:
    def receiving_bins(self, actor: str) -> list[BinChoice]:
        return [BinChoice("DOCK-01", "Receiving dock", "receiving")]

    def item_for_receipt(self, actor: str, scan: str, item_number: str) -> ItemForReceipt:
        return ItemForReceipt(
            "RM-4001", "Polycarbonate resin", "kg", "lot",
            (SupplierChoice("POLYMERA", "Polymera Resins GmbH", "approved"),
             SupplierChoice("CHEAPPOLY", "CheapPoly Trading", "disqualified",
                            "Supplier audit SA-17: failed")),
            "PM-88123", EXPIRY, D(250),
        )  # fmt: skip

    def check_receipt(self, actor: str, form: ReceiptForm) -> ReceiptPreview:
        return ReceiptPreview("RM-4001", "kg", "POLYMERA", "PM-88123", D(250), EXPIRY, "DOCK-01")

    def receive(self, actor: str, form: ReceiptForm) -> str:
        return "L2611-00006"

    def lot_number_of(self, actor: str, scan: str) -> str:
        return scan.strip().upper()

    def lot(self, actor: str, lot_number: str) -> LotDetail:
        hold = HoldRow(
            1, "L2611-00004", "PK-5001", "qa", "", "Seal strength below spec on incoming "
            "inspection sample", "open", _at(40), "quinn", None,
        )  # fmt: skip
        return LotDetail(
            "L2611-00004", "PK-5001", "Tyvek pouch", "received", "quarantine", D(1000), "ea",
            "STERIPAK", "SP-20977", "PO-2024-118", "COA-SP-20977", EXPIRY, None, _at(0),
            "olivia", 1, TODAY, (StockLine("CAGE-01", "qc_hold", D(1000)),), (hold,),
            (
                HistoryLine(_at(0), "new → quarantine (create)", "olivia"),
                HistoryLine(_at(0), "receipt 1000 ea into DOCK-01", "olivia"),
                HistoryLine(_at(52), "move 1000 ea DOCK-01 → CAGE-01", "olivia"),
            ),
            (), (),
            {"release": "lot L2611-00004 is on hold: release the hold first.", "reject": None,
             "hold": None, "move": None},
        )  # fmt: skip

    def lot_signing(self, *args: Any) -> Any:
        raise NotImplementedError

    def open_holds(self, actor: str) -> list[HoldRow]:
        return [
            HoldRow(1, "L2611-00004", "PK-5001", "qa", "", "Seal strength below spec on "
                    "incoming inspection sample", "open", _at(40), "quinn", None),
            HoldRow(2, "L2611-00001", "RM-4001", "ncr", "NCR-0007", "Moisture above limit",
                    "open", _at(95), "sam", "This hold came from an NCR: it closes with that "
                    "record's decision, not by hand."),
        ]  # fmt: skip

    def place_hold(self, actor: str, lot_number: str, reason: str) -> int:
        return 3

    def hold_release(self, *args: Any) -> Any:
        raise NotImplementedError

    def bins(self, actor: str) -> list[BinChoice]:
        return [BinChoice("STOCK-A1", "Released stock", "released_stock")]

    def move(self, *args: Any, **kw: Any) -> LotDetail:
        raise NotImplementedError

    def trace_root(self, actor: str, ident: str) -> TraceRoot:
        return TraceRoot(FG, "IS240001")

    def trace_level(self, actor: str, lot_ids: tuple[int, ...], direction: str) -> TraceLevel:
        links = tuple(link for lot in lot_ids for link in LINKS.get(lot, ()))
        shipped = (
            ShippedLine("SH-000001", "STMARY", "St Mary's Hospital", 5, "IS240001", D(1), "ea",
                        _at(180)),
        ) if direction == "forward" and 5 in lot_ids else ()  # fmt: skip
        return TraceLevel(links, shipped)

    def customers(self, actor: str) -> list[tuple[str, str]]:
        return [("MERCY", "Mercy General Hospital"), ("STMARY", "St Mary's Hospital")]

    def open_shipments(self, actor: str) -> list[ShipmentSummary]:
        return [self._summary()]

    def _summary(self) -> ShipmentSummary:
        return ShipmentSummary("SH-000002", "MERCY", "Mercy General Hospital", "PO MGH-0042",
                               "open", _at(200), "olivia", 1, 1)  # fmt: skip

    def create_shipment(self, actor: str, customer_code: str, reference: str) -> str:
        return "SH-000002"

    def shipment(self, actor: str, number: str) -> ShipmentDetail:
        return ShipmentDetail(
            self._summary(),
            (ShipmentLine("L2611-00005", "FG-1000", "IS240002", "SHIP-01", D(1), "ea",
                          "released", False),),
            (), "Test may not sign a shipment as \"confirmed\": that needs the shipment.confirm"
            " permission (role: qa or supervisor).",
        )  # fmt: skip

    def pick(self, *args: Any) -> ShipmentDetail:
        raise NotImplementedError

    def shipment_confirmation(self, *args: Any) -> Any:
        raise NotImplementedError
