"""Units, purchase orders, retest extension and labels on the real database (issue 12
items 2, 4, 5): conversions exact or refused, receipts refused over the PO line (also two
stations at once), a lot past retest refused until QA extends it, and labels issued
through the CLI to a file and to a real TCP listener, each recorded."""

# ruff: noqa: E501  (SQL and table rows read better unwrapped)

from __future__ import annotations

import datetime as dt
import io
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import (
    InvalidInput,
    LotExpired,
    OverReceipt,
    PermissionDenied,
    ReceivingRefused,
    RecordLocked,
    RuleViolation,
    UnitConversionRefused,
)
from domain.services.materials import inventory, labels, lots, purchasing, receiving, retest, units
from domain.services.materials.db import scalar
from domain.services.materials.inventory import Input, Production
from domain.uow import UnitOfWork
from hardware.zpl import parse_barcode_fields
from kiosk.cli import main
from tests.conftest import TestDatabase, unique
from tests.integration.engineering_helpers import PIN
from tests.integration.materials_helpers import D, Plant, build_plant
from tests.integration.test_materials import _waiting_on_a_lock
from tests.unit.test_zpl import Listener

pytestmark = pytest.mark.pg18


@pytest.fixture(scope="module")
def plant(database: TestDatabase, session_factory: sessionmaker[Session]) -> Plant:
    p = build_plant(database, session_factory)
    with p.uow(p.qa, "units for the tests") as uow:
        units.add_conversion(uow, p.items["resin"], "g", D("0.001"), decimals=3)
        units.add_conversion(uow, p.items["resin"], "lb", D("0.45359237"), decimals=3)
        uow.commit()
    return p


def _on_hand(plant: Plant, lot: str) -> dict[str, D]:
    with plant.uow(plant.qa) as uow:
        view = lots.get_lot(uow, lot)
    return {s.bin_code.split("-")[0]: s.quantity for s in view.stock}


# -- units ------------------------------------------------------------------------------


def test_resin_received_in_kg_is_moved_and_consumed_in_g_exactly(plant: Plant) -> None:
    """1500 g moved = 1.5 kg; 250.5 g consumed = 0.2505 kg on the ledger and the edge; the
    entered quantity and unit are kept beside it."""
    lot = plant.receive("resin", "2")
    plant.release(lot)
    with plant.uow(plant.clerk) as uow:
        inventory.move(uow, lot, plant.bins["RCV"], plant.bins["LINE"], D("1500"), unit="g")
        inventory.record_production(uow, Production(
            plant.items["cap"], D(10), plant.bins["QUA"],
            (Input(lot, plant.bins["LINE"], D("250.5"), unit="g"),)))  # fmt: skip
        uow.commit()
    assert _on_hand(plant, lot) == {"RCV": D("0.5"), "LINE": D("1.2495")}
    with plant.uow(plant.qa) as uow:
        rows = uow.session.execute(
            __import__("sqlalchemy").text(
                "SELECT t.kind, trim_scale(t.quantity), t.unit, t.entered_quantity, t.entered_unit"
                " FROM workcell.inventory_txn t JOIN workcell.lot l ON l.id = t.lot_id"
                " WHERE l.lot_number = :n ORDER BY t.id"),
            {"n": lot},
        ).all()  # fmt: skip
        edge = scalar(uow, "SELECT trim_scale(e.quantity) || ' ' || e.unit FROM workcell.genealogy_edge e"
                           " JOIN workcell.lot l ON l.id = e.parent_lot_id WHERE l.lot_number = :n", {"n": lot})  # fmt: skip
    assert [tuple(r) for r in rows] == [
        ("receipt", D("2"), "kg", None, None),
        ("move", D("1.5"), "kg", D("1500"), "g"),
        ("consume", D("0.2505"), "kg", D("250.5"), "g"),
    ]
    assert edge == "0.2505 kg"


REFUSED_UNITS = {
    "more decimals than grams are counted in": ("0.0005", "g", "at most 3 decimals"),
    "pounds that need rounding": ("1.001", "lb", "rounding would create or lose material"),
    "no conversion": ("1", "oz", "no conversion from oz"),
    "more than 6 decimals of kg": ("0.0000001", None, "at most 6 decimals"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(REFUSED_UNITS))
def test_a_quantity_that_does_not_convert_exactly_is_refused(plant: Plant, case: str) -> None:
    """Nothing rounded, nothing moved: the database's WC073 with the reason."""
    quantity, unit, reason = REFUSED_UNITS[case]
    lot = plant.stocked("resin", "3", on_line="1")
    before = _on_hand(plant, lot)
    with pytest.raises(UnitConversionRefused, match=reason), plant.uow(plant.clerk) as uow:
        inventory.move(uow, lot, plant.bins["RCV"], plant.bins["LINE"], D(quantity), unit=unit)
    assert _on_hand(plant, lot) == before


def test_a_conversion_never_changes_and_is_kept_by_uom_manage(
    plant: Plant, database: TestDatabase
) -> None:
    """The clerk may not add one; its factor cannot be edited (retire and enter again);
    the item's own unit is not a conversion; a retired unit is refused by the ledger."""
    item = plant.items["cap"]
    with pytest.raises(PermissionDenied), plant.uow(plant.clerk) as uow:
        units.add_conversion(uow, item, "box", D(12), decimals=0)
    with plant.uow(plant.qa) as uow:
        units.add_conversion(uow, item, "box", D(12), decimals=0)
        uow.commit()
    with pytest.raises(PermissionDenied), plant.uow(plant.qa, "attempt") as uow:
        uow.session.execute(__import__("sqlalchemy").text(
            "UPDATE workcell.item_unit SET factor = 10, version = version + 1 WHERE unit = 'box'"))  # fmt: skip
    with database.connect("admin") as conn, pytest.raises(Exception, match="never changes"):
        conn.execute("SET LOCAL ROLE workcell_owner")
        conn.execute(
            "SELECT set_config('workcell.system_actor', 'system', true), set_config('workcell.reason', 'x', true)"
        )
        conn.execute(
            "UPDATE workcell.item_unit SET factor = 10, version = version + 1 WHERE unit = 'box'"
        )
    with pytest.raises(RecordLocked), plant.uow(plant.qa) as uow:
        units.add_conversion(uow, item, "ea", D(1))
    with plant.uow(plant.qa) as uow:
        assert units.to_base(uow, item, D(2), "box") == D(24)
        units.retire_conversion(uow, item, "box", "boxes of 10 now")
        uow.commit()
    with pytest.raises(UnitConversionRefused), plant.uow(plant.qa) as uow:
        units.to_base(uow, item, D(2), "box")


# -- purchase orders --------------------------------------------------------------------


def _po(plant: Plant, quantity: str, unit: str | None = None, role: str = "resin") -> str:
    number = unique("PO").upper()
    with plant.uow(plant.supervisor) as uow:
        purchasing.add_po_line(
            uow, purchasing.PoLine(number, 1, plant.items[role], plant.supplier, D(quantity), unit)
        )
        uow.commit()
    return number


def _receive_po(plant: Plant, po: str, quantity: str, who: str | None = None) -> str:
    with plant.uow(who or plant.clerk) as uow:
        lot = receiving.receive(uow, receiving.Receipt(
            plant.supplier, plant.bins["RCV"], item_number=plant.items["resin"],
            supplier_lot=unique("S-"), quantity=D(quantity), po_reference=po))  # fmt: skip
        uow.commit()
    return lot.lot_number


def test_receipts_count_against_the_po_line_and_over_is_refused(plant: Plant) -> None:
    """100 kg ordered: 60 and 40 received; 0.5 more refused with ordered/received/open;
    the line in grams counts the same; an amendment below what was received is refused."""
    po = _po(plant, "100")
    _receive_po(plant, po, "60")
    with pytest.raises(OverReceipt, match=r"ordered 100 kg, received 60 kg, open 40 kg"):
        _receive_po(plant, po, "40.5")
    _receive_po(plant, po, "40")
    with pytest.raises(OverReceipt, match="open 0 kg"):
        _receive_po(plant, po + "/1", "0.5")
    with plant.uow(plant.qa) as uow:
        (line,) = purchasing.po_lines(uow, po)
    assert (line.received, line.open, line.status) == (D(100), D(0), "open")
    with pytest.raises(ReceivingRefused, match="cannot be cut"), plant.uow(plant.supervisor) as uow:
        purchasing.amend_po_line(uow, po, 1, D(99), "supplier short")
    grams = _po(plant, "5000", "g")
    with pytest.raises(OverReceipt, match="open 5 kg"):
        _receive_po(plant, grams, "5.001")
    _receive_po(plant, grams, "5")


def test_po_line_rules(plant: Plant) -> None:
    """A closed line takes nothing; a PO on file without a line for the item is refused;
    the clerk may not add lines; a PO number not on file stays a text reference."""
    po = _po(plant, "10")
    with plant.uow(plant.supervisor) as uow:
        purchasing.close_po_line(uow, po, 1, "order complete")
        uow.commit()
    with pytest.raises(ReceivingRefused, match="closed"):
        _receive_po(plant, po + "/1", "1")
    with pytest.raises(ReceivingRefused, match="no open line"):
        _receive_po(plant, po, "1")
    other = _po(plant, "10", role="cap")
    with pytest.raises(ReceivingRefused, match="no open line"):
        _receive_po(plant, other, "1")
    with pytest.raises(PermissionDenied), plant.uow(plant.clerk) as uow:
        purchasing.add_po_line(
            uow,
            purchasing.PoLine(unique("PO").upper(), 1, plant.items["resin"], plant.supplier, D(1)),
        )
    assert _receive_po(plant, "PAPER-ONLY-1", "1")


def test_two_stations_receive_the_last_open_quantity_one_wins(plant: Plant) -> None:
    """40 kg open: A receives 30 and holds the line; B's 30 waits for it, then is refused
    with what is open (10 kg); received never exceeds ordered."""
    po = _po(plant, "40")
    outcome: dict[str, BaseException | None] = {}
    with plant.uow(plant.clerk) as uow:
        receiving.receive(uow, receiving.Receipt(
            plant.supplier, plant.bins["RCV"], item_number=plant.items["resin"],
            supplier_lot=unique("S-"), quantity=D(30), po_reference=po))  # fmt: skip

        def second() -> None:
            try:
                _receive_po(plant, po, "30", who=plant.supervisor)
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
    assert isinstance(outcome["b"], OverReceipt), outcome
    assert "received 30 kg, open 10 kg" in str(outcome["b"])
    with plant.uow(plant.qa) as uow:
        (line,) = purchasing.po_lines(uow, po)
    assert (line.received, line.open) == (D(30), D(10))


# -- retest -----------------------------------------------------------------------------


def _past_retest(database: TestDatabase, lot: str) -> None:
    """Owner-side, the only way a test lets time pass: the retest date is yesterday."""
    with database.connect("admin") as conn:
        conn.execute("ALTER TABLE workcell.lot DISABLE TRIGGER lot_lot_guard")
        conn.execute("SET LOCAL workcell.reason = 'test: time passes'")
        conn.execute("SET LOCAL ROLE workcell_owner")
        conn.execute("SELECT set_config('workcell.system_actor', 'system', true)")
        conn.execute("UPDATE workcell.lot SET retest_date = workcell.plant_today() - 1,"
                     " version = version + 1 WHERE lot_number = %s", (lot,))  # fmt: skip
        conn.execute("RESET ROLE")
        conn.execute("ALTER TABLE workcell.lot ENABLE ALWAYS TRIGGER lot_lot_guard")
        conn.commit()


def test_a_lot_past_retest_is_refused_until_qa_extends_it(
    plant: Plant, database: TestDatabase
) -> None:
    """Released, on the line, past retest: consumption refused (LotExpired); the clerk may
    not extend, nor past the expiry; QA's signed extension makes it usable; history kept;
    the extension's signature still matches the lot's content after it (the content keeps
    the retest date as received; this test's owner-side backdating changed that one)."""
    lot = plant.receive("resin", "5", retest=plant.today + dt.timedelta(days=30),
                        expiry=plant.today + dt.timedelta(days=400))  # fmt: skip
    plant.release(lot)
    plant.move(lot, "RCV", "LINE", "5")
    _past_retest(database, lot)
    produce = Production(
        plant.items["cap"], D(1), plant.bins["QUA"], (Input(lot, plant.bins["LINE"], D(1)),)
    )
    with pytest.raises(LotExpired, match="past its retest date"), plant.uow(plant.clerk) as uow:
        inventory.record_production(uow, produce)
    new = plant.today + dt.timedelta(days=90)
    with pytest.raises((PermissionDenied, RuleViolation)), plant.uow(plant.clerk) as uow:
        retest.extend_retest(uow, lot, new, "retested", "LAB-1", plant.signing(plant.clerk))
    with pytest.raises(RuleViolation, match="expiry"), plant.uow(plant.qa) as uow:
        retest.extend_retest(
            uow,
            lot,
            plant.today + dt.timedelta(days=500),
            "retested",
            "LAB-1",
            plant.signing(plant.qa),
        )
    with plant.uow(plant.qa) as uow:
        retest.extend_retest(
            uow, lot, new, "retest passed: assay 99.8%", "LAB-2026-117", plant.signing(plant.qa)
        )
        uow.commit()
    with plant.uow(plant.clerk) as uow:
        inventory.record_production(uow, produce)
        uow.commit()
    with plant.uow(plant.qa) as uow:
        history = retest.retest_history(uow, lot)
        view = lots.get_lot(uow, lot)
        valid = scalar(uow, "SELECT bool_and(m.valid) FROM workcell.signature_manifest m"
                             " WHERE m.record_type = 'lot' AND m.record_id = :id AND m.meaning = 'retest_extended'", {"id": view.id})  # fmt: skip
    assert [(h.old_date, h.new_date, h.by) for h in history] == [
        (plant.today - dt.timedelta(days=1), new, plant.qa)
    ]
    assert view.retest_date == new and valid is True


def test_the_receiver_does_not_extend_and_the_date_is_not_edited(
    plant: Plant, database: TestDatabase
) -> None:
    """Segregation: QA who received the lot is refused; a direct edit of the retest date
    is refused by the lot's guard (WC077) even owner-side."""
    lot = plant.receive("resin", "1", retest=plant.today + dt.timedelta(days=10))
    with pytest.raises(RuleViolation, match="someone else"), plant.uow(plant.qa) as uow:
        # the service refuses first; the signing rule (distinct_from author) would too
        view = lots.get_lot(uow, lot)
        retest.extend_retest(uow, lot, plant.today + dt.timedelta(days=20), "r", "x",
                             plant.signing(view.created_by))  # fmt: skip
    with (
        database.connect("admin") as conn,
        pytest.raises(Exception, match="signed retest extension"),
    ):
        conn.execute("SET LOCAL ROLE workcell_owner")
        conn.execute(
            "SELECT set_config('workcell.system_actor', 'system', true), set_config('workcell.reason', 'x', true)"
        )
        conn.execute(
            "UPDATE workcell.lot SET retest_date = retest_date + 30, version = version + 1 WHERE lot_number = %s",
            (lot,),
        )


# -- labels -----------------------------------------------------------------------------


@pytest.fixture
def cli(
    database: TestDatabase, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[..., int]:
    monkeypatch.setenv("WORKCELL_DATABASE_URL", database.station)
    monkeypatch.setenv("WORKCELL_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("WORKCELL_STATION", "station_pytest")

    def run(*argv: str) -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(PIN + "\n"))
        return main([*argv, "--pin-stdin"])

    return run


def _issued(plant: Plant, lot: str) -> int:
    with plant.uow(plant.qa) as uow:
        return labels.issued_count(uow, lot)


def test_lot_label_png_through_the_cli_reads_back_and_is_recorded(
    plant: Plant, cli, tmp_path: Path
) -> None:
    """`workcell label LOT --format png --out F`: zxing-cpp reads ]C1 + the element string
    (GTIN, expiry first, then the lot); one issue recorded per run, copies counted."""
    lot = plant.receive("cap", "50", expiry=plant.today + dt.timedelta(days=365))
    out = tmp_path / "lot.png"
    assert (
        cli(
            "label", lot, "--format", "png", "--out", str(out), "--copies", "2", "--as", plant.clerk
        )
        == 0
    )
    (result,) = zxingcpp.read_barcodes(Image.open(out), text_mode=zxingcpp.TextMode.Plain)
    expiry = plant.today + dt.timedelta(days=365)
    assert result.symbology_identifier == "]C1"
    assert result.text == f"01{plant.gtins['cap']}17{expiry:%y%m%d}10{lot}"
    assert _issued(plant, lot) == 2
    assert cli("label", lot, "--out", str(tmp_path / "lot.svg"), "--as", plant.clerk) == 0
    assert b"(10)" + lot.encode() in (tmp_path / "lot.svg").read_bytes()
    assert _issued(plant, lot) == 3


def test_serial_udi_label_to_a_printer_on_port_9100(plant: Plant, cli) -> None:
    """A finished device's serial label is its UDI (01, 11, 17, then 10 FNC1 21), sent as
    ZPL to a real TCP listener; the ^BC field decodes to the same element string."""
    serial = unique("SN")
    with plant.uow(plant.clerk) as uow:
        caps = plant.stocked("cap", "5")
        view = inventory.record_production(uow, Production(
            plant.items["device"], D(1), plant.bins["QUA"], (Input(caps, plant.bins["LINE"], D(1)),),
            serials=(serial,), expiry=plant.today + dt.timedelta(days=730)))  # fmt: skip
        uow.commit()
        content = labels.label_for(uow, serial)
    listener = Listener()
    assert cli("label", serial, "--printer", f"127.0.0.1:{listener.port}", "--as", plant.clerk) == 0
    zpl = listener.wait().decode("ascii")
    expected = (f"01{plant.gtins['device']}11{plant.today:%y%m%d}"
                f"17{plant.today + dt.timedelta(days=730):%y%m%d}10{view.lot_number}\x1d21{serial}")  # fmt: skip
    assert content.udi and content.element_string == expected
    assert parse_barcode_fields(zpl) == [expected]
    assert _issued(plant, view.lot_number) == 1


def test_an_unreachable_printer_records_nothing(plant: Plant, cli, capsys) -> None:
    """The printer does not answer: exit 4, "Printer unreachable", no label counted."""
    import socket

    lot = plant.receive("cap", "5")
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    assert cli("label", lot, "--printer", f"127.0.0.1:{port}", "--as", plant.clerk) == 4
    assert "Printer unreachable" in capsys.readouterr().err
    assert _issued(plant, lot) == 0
    assert cli("label", "NO-SUCH-LOT", "--as", plant.clerk) == 3


def test_label_content_refusals(plant: Plant) -> None:
    """A label that could not be scanned back is refused before printing (lot numbers over
    GS1's 20 characters); the database refuses an issue that does not carry the lot."""
    with plant.uow(plant.clerk) as uow:
        lot = plant.receive("cap", "5")
        content = labels.label_for(uow, lot)
        forged = labels.LabelContent(**{**content.__dict__, "lot_number": "OTHER"})
        with pytest.raises(InvalidInput, match="does not carry lot"):
            labels.record_issue(
                uow,
                labels.LabelContent(**{**content.__dict__, "gs1": labels.parse_gs1("(10)OTHER")}),
                1,
                "zpl",
                "x",
            )
        assert forged.lot_number == "OTHER"


def test_po_uom_and_retest_commands(plant: Plant, cli, capsys, database: TestDatabase) -> None:
    """`workcell uom add/list`, `po add/show` (JSON), `lot move --unit`, `lot retest`."""
    item = plant.items["sub"]
    assert cli("uom", "add", item, "pack", "25", "--decimals", "0", "--as", plant.qa) == 0
    assert main(["uom", "list", item, "--format", "json"]) == 0
    assert '"unit": "pack"' in capsys.readouterr().out
    po = unique("PO").upper()
    assert cli("po", "add", po, "1", "--item", item, "--supplier", plant.supplier,
               "--quantity", "4", "--unit", "pack", "--as", plant.supervisor) == 0  # fmt: skip
    with plant.uow(plant.clerk) as uow:
        receiving.receive(uow, receiving.Receipt(plant.supplier, plant.bins["RCV"], item_number=item,
                          supplier_lot="S-1", quantity=D(75), po_reference=po))  # fmt: skip
        uow.commit()
    capsys.readouterr()
    assert main(["po", "show", po, "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert '"received": "75"' in out and '"open": "25"' in out
    lot = plant.stocked("resin", "2", on_line="1")
    assert cli("lot", "move", lot, "--from", plant.bins["RCV"], "--to", plant.bins["LINE"],
               "--quantity", "500", "--unit", "g", "--as", plant.clerk) == 0  # fmt: skip
    assert _on_hand(plant, lot) == {"LINE": D("1.5"), "RCV": D("0.5")}
    retested = plant.receive("resin", "1", retest=plant.today + dt.timedelta(days=5))
    until = plant.today + dt.timedelta(days=60)
    assert cli("lot", "retest", retested, "--until", f"{until:%Y-%m-%d}", "--reason", "passed",
               "--ref", "LAB-9", "--as", plant.qa) == 0  # fmt: skip
    assert cli("lot", "retest", retested, "--until", f"{until:%Y-%m-%d}", "--reason", "again",
               "--ref", "LAB-9", "--as", plant.qa) == 4  # fmt: skip
    capsys.readouterr()
    assert main(["lot", "show", retested]) == 0
    out = capsys.readouterr().out
    assert "Retest extensions:" in out and "LAB-9" in out and "Labels issued: 0" in out


def test_a_label_net_weight_converts_to_the_items_unit(plant: Plant) -> None:
    """Counted by weight: 1 kg of the sub-assembly is 50 pieces; a supplier label saying
    (3103)000500 (0.5 kg) receives 25 pieces."""
    item = plant.items["sub"]
    with plant.uow(plant.qa) as uow:
        units.add_conversion(uow, item, "kg", D(50), decimals=3)
        uow.commit()
    expiry = plant.today + dt.timedelta(days=300)
    scan = f"(01){plant.gtins['sub']}(17){expiry:%y%m%d}(10)W-1(3103)000500"
    with plant.uow(plant.clerk) as uow:
        lot = receiving.receive(
            uow, receiving.Receipt(plant.supplier, plant.bins["RCV"], scan=scan)
        )
        uow.commit()
    assert (lot.quantity, lot.unit) == (D(25), "ea")


def test_a_label_net_weight_converts_by_the_standard_factor(
    plant: Plant, database: TestDatabase, session_factory: sessionmaker[Session]
) -> None:
    """An item counted in g with no conversion row: a label saying (3103)001250 (1.25 kg)
    receives 1250 g (migration 0031's standard factor)."""
    from domain.services import item_approval, items
    from domain.services.identity import Credentials
    from domain.services.materials import setup
    from tests.integration.engineering_helpers import POLICY, STATION, make_signer
    from tests.integration.materials_helpers import new_gtin
    from tests.sessions import session_of

    engineer = make_signer(database, session_factory, "eng", "engineer")
    number, gtin = unique("MPIG-").upper(), new_gtin()
    with UnitOfWork(session_factory, session_of(session_factory, engineer), "item in g") as uow:
        items.create_item(uow, items.NewItem(number, "Pigment", "raw", "g", "lot", gtin=gtin))
        uow.commit()
    with plant.uow(plant.qa) as uow:
        item_approval.approve_item(uow, number, Credentials(PIN, username=plant.qa),
                                   station=STATION, policy=POLICY)  # fmt: skip
        setup.approve_supplier(uow, number, plant.supplier)
        uow.commit()
        assert units.conversions(uow, number) == []
    expiry = plant.today + dt.timedelta(days=300)
    scan = f"(01){gtin}(17){expiry:%y%m%d}(10)P-1(3103)001250"
    with plant.uow(plant.clerk) as uow:
        lot = receiving.receive(
            uow, receiving.Receipt(plant.supplier, plant.bins["RCV"], scan=scan)
        )
        uow.commit()
    assert (lot.quantity, lot.unit) == (D(1250), "g")


def test_receiving_prints_the_lot_label(plant: Plant, cli, tmp_path: Path) -> None:
    """`lot receive --label-out F`: the receipt and its label in one transaction; the
    label's ^BC field carries the new lot; one issue recorded."""
    out = tmp_path / "receipt.zpl"
    assert cli("lot", "receive", "--supplier", plant.supplier, "--bin", plant.bins["RCV"],
               "--item", plant.items["cap"], "--supplier-lot", "S-77", "--quantity", "12",
               "--label-out", str(out), "--as", plant.clerk) == 0  # fmt: skip
    (field,) = parse_barcode_fields(out.read_text("ascii"))
    assert field.startswith(f"01{plant.gtins['cap']}10L")
    lot = field.removeprefix(f"01{plant.gtins['cap']}10")
    assert _issued(plant, lot) == 1


def test_issue_through_a_label_printer_protocol(plant: Plant) -> None:
    """kiosk.label_printing.issue with the fake printer (what the screens use): delivered
    and recorded; offline, DeviceUnavailable and the caller's rollback records nothing."""
    from domain.errors import DeviceUnavailable
    from hardware.fakes import FakeLabelPrinter
    from kiosk.label_printing import issue

    lot = plant.receive("cap", "3")
    printer = FakeLabelPrinter()
    with plant.uow(plant.clerk) as uow:
        issue(uow, lot, "zpl", None, printer, copies=4)
        uow.commit()
    assert [j.copies for j in printer.jobs] == [4] and f"10{lot}" in printer.jobs[0].element_string
    printer.offline = True
    with pytest.raises(DeviceUnavailable), plant.uow(plant.clerk) as uow:
        issue(uow, lot, "zpl", None, printer)
        uow.commit()
    assert _issued(plant, lot) == 4
