"""The materials screens on the real services, driven by taps (and scans, as the wedge
posts them): receiving with each refusal keeping the form, lot detail offering only what
the person may do, holds, moves under the zone rules, shipping, trace."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.services.materials import inventory, lots
from domain.services.materials.inventory import Input, Production
from screens.materials.holds import HoldsScreen
from screens.materials.lot import LotScreen
from screens.materials.moves import MoveScreen
from screens.materials.receiving import ReceivingScreen
from screens.materials.shipping import ShipmentScreen, ShipmentsScreen
from screens.materials.trace import TraceScreen
from screens.modals.confirm import ConfirmModal
from screens.modals.signature import SignatureModal
from screens.stages import at_stage
from tests.integration.materials_helpers import Plant, build_plant
from tests.ui.conftest import screen_text, sign_in, tap, until
from tests.ui.materials_helpers import (
    choose,
    label,
    scan,
    screens_of,
    shoot,
    switch_to,
    tap_row,
    type_on_screen,
)

D = Decimal


@pytest.fixture(scope="module")
def plant(database, session_factory) -> Plant:
    return build_plant(database, session_factory)


def _value(app, field: str) -> str:
    return app.screen.query_one(field).value


def _message(app, box: str) -> str:
    return str(app.screen.query_one(box).render())


def _lot_status(plant: Plant, lot_number: str):
    with plant.uow(plant.qa) as uow:
        return lots.get_lot(uow, lot_number)


async def _receiving(pilot, station, who) -> ReceivingScreen:
    app = pilot.app
    await sign_in(pilot, station, who, touch=True)
    await tap(pilot, "#tile-receiving")
    await until(pilot, lambda: isinstance(app.screen, ReceivingScreen), "receiving")
    await until(pilot, lambda: app.screen.query_one("#rcv-bin").options, "receiving bins")
    return app.screen


async def _read(pilot, data: str) -> None:
    """Scan a label and wait for the screen's answer (the item, or a refusal)."""
    screen = pilot.app.screen
    before = screen.answers
    await scan(pilot, data)
    await until(pilot, lambda: screen.answers > before, "the label read")


async def test_a_scanned_label_is_received_into_quarantine(make_station, person, plant):
    """Scan, choose the bin, quantity from the label, PO typed on the keyboard, Receive,
    confirm: the lot exists in quarantine in the receiving bin."""
    olivia = person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        await _receiving(pilot, station, olivia)
        await _read(pilot, label(plant, "resin", "PM-881", extra="(3103)025500"))
        screen = app.screen
        assert screen.item is not None and screen.item.item_number == plant.items["resin"]
        assert screen.supplier == plant.supplier  # the only approved one is chosen
        assert _value(app, "#rcv-lot") == "PM-881" and _value(app, "#rcv-qty") == "25.5"
        await choose(pilot, "#rcv-bin", plant.bins["RCV"])
        await type_on_screen(pilot, "#rcv-po", "PO-77")
        shoot(app, "receiving-160x48")
        await tap(pilot, "#rcv-receive")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the confirmation")
        await until(pilot, lambda: "25.5 kg" in screen_text(app), "what will be created")
        assert "quarantine" in screen_text(app)
        await tap(pilot, "#confirm")
        await until(pilot, lambda: screen.received is not None, "received")
        assert "in quarantine" in _message(app, "#rcv-message")
        assert _value(app, "#rcv-lot") == ""  # ready for the next label
    lot = _lot_status(plant, screen.received)
    assert (lot.status, lot.quantity, lot.supplier_lot, lot.po_reference) == (
        "quarantine", D("25.5"), "PM-881", "PO-77",
    )  # fmt: skip
    assert [s.bin_code for s in lot.stock] == [plant.bins["RCV"]]


async def test_every_receiving_refusal_keeps_the_form(make_station, person, plant):
    """Unknown GTIN, GTIN of another item, malformed scan, expired on arrival, unapproved
    supplier: each is said on the form, nothing is created, what was entered stays."""
    olivia = person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _receiving(pilot, station, olivia)
        await type_on_screen(pilot, "#rcv-coa", "COA-9")
        await type_on_screen(pilot, "#rcv-po", "PO-9")

        def kept() -> bool:
            return _value(app, "#rcv-coa") == "COA-9" and _value(app, "#rcv-po") == "PO-9"

        await _read(pilot, "(01)09999999999999(10)X1")  # check digit wrong: malformed
        assert "check digit wrong" in _message(app, "#rcv-message") and kept()
        await _read(pilot, "(01)00000000000017(17)301231(10)X1")  # valid, on no item
        assert "Unknown GTIN" in _message(app, "#rcv-message") and kept()
        shoot(app, "receiving-refused-80x24")

        await type_on_screen(pilot, "#rcv-item", plant.items["cap"])
        await _read(pilot, label(plant, "resin", "X2"))
        assert "Wrong item" in _message(app, "#rcv-message") and kept()
        assert _value(app, "#rcv-item") == plant.items["cap"]

        app.screen.query_one("#rcv-item").value = ""
        await _read(pilot, label(plant, "resin", "OLD-1", days=-3, extra="(30)5"))
        assert screen.item is not None
        await choose(pilot, "#rcv-bin", plant.bins["RCV"])
        await tap(pilot, "#rcv-receive")
        await until(pilot, lambda: "Expired on arrival" in _message(app, "#rcv-message"),
                    "expired refused")  # fmt: skip
        assert kept() and _value(app, "#rcv-lot") == "OLD-1"

        await _read(pilot, label(plant, "resin", "BAD-1", extra="(30)5"))
        await tap_row(pilot, "#rcv-suppliers", plant.banned)
        await until(pilot, lambda: screen.supplier == plant.banned, "the disqualified supplier")
        await tap(pilot, "#rcv-receive")
        await until(pilot, lambda: "disqualified" in _message(app, "#rcv-message"), "refused")
        assert kept() and _value(app, "#rcv-lot") == "BAD-1"
        assert not isinstance(app.screen, ConfirmModal)  # refused before any confirmation
        assert screen.received is None


async def test_lot_detail_offers_release_only_to_qa_and_says_why(make_station, person, plant):
    """An operator sees Release disabled with the database's reason; QA releases with a
    badge and PIN, and the manifestation is shown."""
    lot_number = plant.receive("cap", "40")
    olivia, quinn = person("operator"), person("qa")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        app.push_screen(screens_of(station).lot(lot_number))
        await until(pilot, lambda: "Release: not for you" in screen_text(app), "the reason")
        assert app.screen.query_one("#lot-release").disabled
        assert "lot.release" in screen_text(app)
        await switch_to(pilot, station, quinn)
        app.push_screen(screens_of(station).lot(lot_number))
        await until(pilot, lambda: app.screen.detail is not None, "the lot")
        await until(pilot, lambda: not app.screen.query_one("#lot-release").disabled, "offered")
        shoot(app, "lot-80x24")
        await tap(pilot, "#lot-reject")  # no reason typed: said before any badge
        await until(pilot, lambda: "Say why" in _message(app, "#lot-message"), "reason asked")
        assert isinstance(app.screen, LotScreen)
        await tap(pilot, "#lot-release")
        await until(pilot, lambda: isinstance(app.screen, SignatureModal), "signature dialog")
        station.reader.tap(quinn.badge_uid)
        await until(pilot, lambda: at_stage(app.screen, "-pin"), "the PIN prompt")
        await pilot.press(*quinn.pin, "enter")
        await until(pilot, lambda: isinstance(app.screen, LotScreen), "back on the lot")
        await until(pilot, lambda: f"Released by {quinn.printed_name}" in screen_text(app),
                    "the manifestation")  # fmt: skip
        await until(pilot, lambda: "[RELEASED]" in screen_text(app), "the new status")
    assert _lot_status(plant, lot_number).status == "released"


async def test_qa_places_and_releases_a_hold(make_station, person, plant):
    """Holds: QA scans a lot, types why, Hold; the lot is held; tap the hold, say why it
    is released, sign: it is closed."""
    lot_number = plant.receive("cap", "10")
    quinn = person("qa")
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(pilot, station, quinn)
        await tap(pilot, "#tile-holds")
        await until(pilot, lambda: isinstance(app.screen, HoldsScreen), "holds")
        screen = app.screen
        await scan(pilot, lot_number)
        await until(pilot, lambda: _value(app, "#holds-lot") == lot_number, "the scanned lot")
        await tap(pilot, "#holds-place")  # no reason yet
        await until(pilot, lambda: "say why" in _message(app, "#holds-message"), "reason asked")
        await type_on_screen(pilot, "#holds-reason", "DENTED CARTONS")
        await tap(pilot, "#holds-place")
        await until(pilot, lambda: any(h.lot_number == lot_number for h in screen.rows), "held")
        assert _lot_status(plant, lot_number).held
        hold = next(h for h in screen.rows if h.lot_number == lot_number)
        shoot(app, "holds-160x48")
        await tap_row(pilot, "#holds-table", str(hold.id))
        await until(pilot, lambda: screen.chosen is not None, "the hold chosen")
        await type_on_screen(pilot, "#holds-comment", "CARTONS CHECKED OK")
        await tap(pilot, "#holds-release")
        await until(pilot, lambda: isinstance(app.screen, SignatureModal), "signature dialog")
        station.reader.tap(quinn.badge_uid)
        await until(pilot, lambda: at_stage(app.screen, "-pin"), "the PIN prompt")
        await pilot.press(*quinn.pin, "enter")
        await until(pilot, lambda: isinstance(app.screen, HoldsScreen), "back on holds")
        await until(pilot, lambda: all(h.id != hold.id for h in screen.rows), "released")
    assert not _lot_status(plant, lot_number).held


async def test_a_move_refused_by_the_zone_rules_keeps_the_form(make_station, person, plant):
    """A quarantined lot may not go to released stock (WC060): said, quantity kept; to the
    quarantine cage it goes."""
    lot_number = plant.receive("cap", "30")
    olivia = person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        await tap(pilot, "#tile-moves")
        await until(pilot, lambda: isinstance(app.screen, MoveScreen), "moves")
        screen = app.screen
        await until(pilot, lambda: screen.bins, "bins")
        await scan(pilot, lot_number)
        await until(pilot, lambda: screen.detail is not None, "the lot")
        assert screen.query_one("#mv-from").value.startswith(plant.bins["RCV"])
        await scan(pilot, plant.bins["STK"])  # a bin label: where it goes
        await until(pilot, lambda: screen.query_one("#mv-to").value.startswith(plant.bins["STK"]),
                    "destination scanned")  # fmt: skip
        await type_on_screen(pilot, "#mv-qty", "12")
        await tap(pilot, "#mv-move")
        await until(pilot, lambda: "-refused" in screen.query_one("#mv-message").classes,
                    "refused")  # fmt: skip
        shoot(app, "move-refused-80x24")
        assert _value(app, "#mv-qty") == "12"
        await choose(pilot, "#mv-to", plant.bins["QUA"])
        await tap(pilot, "#mv-move")
        await until(pilot, lambda: "Moved 12" in _message(app, "#mv-message"), "moved")
    stock = {s.bin_code: s.quantity for s in _lot_status(plant, lot_number).stock}
    assert stock == {plant.bins["RCV"]: D(18), plant.bins["QUA"]: D(12)}


async def test_shipping_refuses_what_is_not_released_and_confirms_by_signature(
    make_station, person, plant
):
    """A new shipment; a quarantined lot's scan is refused with the reason; a released lot
    at the shipping dock is picked; the operator may not confirm (said why), the
    supervisor signs: confirmed, stock gone."""
    quarantined = plant.receive("cap", "5")
    released = plant.receive("cap", "8")
    plant.release(released)
    plant.move(released, "RCV", "SHIP", "8")
    olivia, sam = person("operator"), person("supervisor")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        await tap(pilot, "#tile-shipping")
        await until(pilot, lambda: isinstance(app.screen, ShipmentsScreen), "shipping")
        await until(pilot, lambda: app.screen.query_one("#shp-customer").options, "customers")
        await choose(pilot, "#shp-customer", plant.customer)
        await tap(pilot, "#shp-new")
        await until(pilot, lambda: isinstance(app.screen, ShipmentScreen), "the shipment")
        screen = app.screen
        number = screen.number
        await until(pilot, lambda: screen.detail is not None, "loaded")
        await scan(pilot, quarantined)
        await until(pilot, lambda: "not released" in _message(app, "#shp-message"), "refused")
        await scan(pilot, f"(10){released}(30)8")
        await until(pilot, lambda: screen.detail and len(screen.detail.lines) == 1, "picked")
        await until(pilot, lambda: "Confirm: not for you" in _message(app, "#shp-why"), "why")
        assert screen.query_one("#shp-confirm").disabled
        shoot(app, "shipment-80x24")
        await switch_to(pilot, station, sam)
        app.push_screen(screens_of(station).shipment(number))
        await until(pilot, lambda: not app.screen.query_one("#shp-confirm").disabled, "offered")
        await tap(pilot, "#shp-confirm")
        await until(pilot, lambda: isinstance(app.screen, SignatureModal), "signature dialog")
        station.reader.tap(sam.badge_uid)
        await until(pilot, lambda: at_stage(app.screen, "-pin"), "the PIN prompt")
        await pilot.press(*sam.pin, "enter")
        await until(pilot, lambda: "[CONFIRMED]" in screen_text(app), "confirmed")
    lot = _lot_status(plant, released)
    assert (lot.status, lot.on_hand) == ("shipped", D(0))


def _made(plant: Plant) -> tuple[str, str, str]:
    """A sub-assembly lot made from a resin lot and a cap lot (genealogy)."""
    resin, cap = plant.stocked("resin", "20"), plant.stocked("cap", "50")
    with plant.uow(plant.clerk, "ui trace") as uow:
        made = inventory.record_production(uow, Production(
            plant.items["sub"], D(5), plant.bins["QUA"],
            (Input(resin, plant.bins["LINE"], D(2)), Input(cap, plant.bins["LINE"], D(5))),
        ))  # fmt: skip
        uow.commit()
    return resin, cap, made.lot_number


async def test_trace_expands_on_a_tap_and_jumps_to_a_lot(make_station, person, plant):
    """Backward from the sub-assembly: its resin and cap lots at once, each with its
    status; a tap expands (a received lot: supplier, nothing further); forward from the
    resin lot with Expand all reaches the sub-assembly; Open lot jumps to it."""
    resin, cap, sub = _made(plant)
    with plant.uow(plant.qa) as uow:
        from domain.services.materials import holds

        holds.place_hold(uow, cap, "SUSPECT")
        uow.commit()
    olivia = person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(pilot, station, olivia)
        await tap(pilot, "#tile-trace")
        await until(pilot, lambda: isinstance(app.screen, TraceScreen), "trace")
        screen = app.screen
        await scan(pilot, sub)
        await until(pilot, lambda: len(screen.rows) == 3, "the first level")
        text = screen_text(app)
        numbers = [r.node.lot_number for r in screen.rows if r.node]
        assert numbers == [sub, *sorted((resin, cap))]
        cap_row = next(r for r in screen.rows if r.node and r.node.lot_number == cap)
        assert cap_row.node.held and cap_row.node.status == "released"
        assert screen.query_one("#trace-tree").rows[cap_row.key].height == 3  # touch-sized
        shoot(app, "trace-160x48")
        await tap_row(pilot, "#trace-tree", cap_row.key)
        await until(pilot, lambda: cap_row.node.lot_id in screen.links_of, "expanded")
        assert screen.links_of[cap_row.node.lot_id] == ()
        assert "from" in text  # received lots name their supplier lot
        await tap(pilot, "#tr-forward")
        screen.query_one("#tr-find").value = resin
        screen.start()
        await until(pilot, lambda: screen.root and screen.root.node.lot_number == resin, "fwd")
        await tap(pilot, "#tr-all")
        await until(pilot, lambda: not screen.walking and any(
            r.node and r.node.lot_number == sub for r in screen.rows), "expanded all")  # fmt: skip
        sub_row = next(r for r in screen.rows if r.node and r.node.lot_number == sub)
        await tap_row(pilot, "#trace-tree", sub_row.key)
        await until(pilot, lambda: screen.selected is not None, "selected")
        await tap(pilot, "#tr-open")
        await until(pilot, lambda: isinstance(app.screen, LotScreen), "the lot")
        await until(pilot, lambda: sub in screen_text(app) and "[QUARANTINE" in screen_text(app),
                    "its detail")  # fmt: skip


async def test_home_tiles_by_role(make_station, person):
    """Operators receive, move and ship; QA holds; everyone traces and looks lots up."""
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(pilot, station, person("operator"))
        ids = {b.id for b in app.screen.query(".tile")}
        assert {"tile-receiving", "tile-moves", "tile-shipping", "tile-trace", "tile-lots"} <= ids
        assert "tile-holds" not in ids
        await switch_to(pilot, station, person("qa"))
        ids = {b.id for b in app.screen.query(".tile")}
        assert {"tile-holds", "tile-trace", "tile-lots"} <= ids
        assert "tile-receiving" not in ids
