"""Scrap and count adjustment on screen (taps, scans as the wedge posts them), on the real
services: each refusal is said before any confirmation or badge and keeps the form; a scrap
is confirmed, an adjustment signed by the adjuster; receiving checks the PO line first."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.services.materials import holds, lots, purchasing
from screens.materials.lot import LotScreen
from screens.materials.receiving import ReceivingScreen
from screens.materials.stock import AdjustScreen, ScrapScreen
from screens.modals.confirm import ConfirmModal
from screens.modals.signature import SignatureModal
from screens.stages import at_stage
from tests.integration.materials_helpers import Plant, build_plant, count
from tests.ui.conftest import screen_text, sign_in, tap, until
from tests.ui.materials_helpers import (
    choose,
    label,
    scan,
    screens_of,
    shoot,
    switch_to,
    tap_in_view,
    type_on_screen,
)

D = Decimal


@pytest.fixture(scope="module")
def plant(database, session_factory) -> Plant:
    return build_plant(database, session_factory)


def _message(app, box: str = "#sc-message") -> str:
    return str(app.screen.query_one(box).render())


def _stock(plant: Plant, lot_number: str) -> dict[str, Decimal]:
    with plant.uow(plant.qa) as uow:
        return {s.bin_code: s.quantity for s in lots.get_lot(uow, lot_number).stock}


async def _open(pilot, station, who, tile: str, kind: type) -> object:
    app = pilot.app
    await sign_in(pilot, station, who, touch=True)
    await until(pilot, lambda: app.screen.query(f"#tile-{tile}"), f"the {tile} tile")
    await tap_in_view(pilot, f"#tile-{tile}")  # the last tiles are below the fold at 80x24
    await until(pilot, lambda: isinstance(app.screen, kind), tile)
    return app.screen


async def _verdict(pilot, data: str) -> None:
    screen = pilot.app.screen
    before = screen.verdicts
    await scan(pilot, data)
    await until(pilot, lambda: screen.verdicts > before, "the lot's verdict")


async def test_scrap_refusals_before_the_confirmation_keep_the_form(make_station, person, plant):
    """No reason, more than is in the bin, a fraction of an 'ea': each said on the form, no
    confirmation asked, nothing scrapped; then confirmed, the bin holds the rest."""
    lot_number = plant.stocked("cap", "30")
    sam = person("supervisor")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, station, sam, "scrap", ScrapScreen)
        await _verdict(pilot, lot_number)
        assert screen.lot is not None and screen.lot.refusal is None
        assert screen.query_one("#sc-bin").value.startswith(plant.bins["LINE"])
        await type_on_screen(pilot, "#sc-qty", "5")
        await tap(pilot, "#sc-go")
        await until(pilot, lambda: "Reason needed" in _message(app), "the reason asked for")
        assert not isinstance(app.screen, ConfirmModal)
        await type_on_screen(pilot, "#sc-reason", "DROPPED")
        screen.query_one("#sc-qty").value = ""
        await type_on_screen(pilot, "#sc-qty", "31")
        await tap(pilot, "#sc-go")
        await until(pilot, lambda: "Not that much here" in _message(app), "over on-hand refused")
        assert "Only 30 ea" in _message(app)
        screen.query_one("#sc-qty").value = ""
        await type_on_screen(pilot, "#sc-qty", "2.5")
        await tap(pilot, "#sc-go")
        await until(pilot, lambda: "whole units" in _message(app), "part of an ea refused")
        shoot(app, "scrap-refused-80x24")
        assert screen.query_one("#sc-reason").value == "DROPPED"  # the form is kept
        assert not isinstance(app.screen, ConfirmModal)
        screen.query_one("#sc-qty").value = ""
        await type_on_screen(pilot, "#sc-qty", "4")
        await tap(pilot, "#sc-go")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the confirmation")
        assert "26 ea after" in screen_text(app)
        await tap(pilot, "#confirm")
        await until(pilot, lambda: screen.done == 1, "scrapped")
        assert "Scrapped 4 ea" in _message(app)
    assert _stock(plant, lot_number) == {plant.bins["LINE"]: D(26)}


async def test_a_held_lot_is_refused_at_the_scan(make_station, person, plant):
    """The verdict on the scanned label: on hold, so neither scrap nor adjust is offered,
    and the database refuses the same."""
    lot_number = plant.stocked("resin", "10")
    with plant.uow(plant.qa) as uow:
        holds.place_hold(uow, lot_number, "suspect contamination", "qa")
        uow.commit()
    sam = person("supervisor")
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _open(pilot, station, sam, "scrap", ScrapScreen)
        await _verdict(pilot, label(plant, "resin", lot_number))  # our lot label (10)
        assert screen.lot is not None and screen.lot.hold is not None
        assert "on hold" in _message(app) and "suspect contamination" in _message(app)
        assert screen.query_one("#sc-go").disabled
        shoot(app, "scrap-held-160x48")
    assert _stock(plant, lot_number) == {plant.bins["LINE"]: D(10)}


async def test_an_adjustment_is_checked_then_signed(make_station, person, plant):
    """Minus more than is there is refused before the badge; then −3 with a reason, signed
    "adjusted" by the supervisor: the bin holds 17."""
    lot_number = plant.stocked("cap", "20")
    sam = person("supervisor")
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _open(pilot, station, sam, "adjust", AdjustScreen)
        await _verdict(pilot, lot_number)
        await choose(pilot, "#sc-direction", "− missing")
        await type_on_screen(pilot, "#sc-qty", "25")
        await type_on_screen(pilot, "#sc-reason", "CYCLE COUNT")
        await tap(pilot, "#sc-go")
        await until(pilot, lambda: "below nothing" in _message(app), "negative on-hand refused")
        assert not isinstance(app.screen, SignatureModal)
        screen.query_one("#sc-qty").value = ""
        await type_on_screen(pilot, "#sc-qty", "3")
        shoot(app, "adjust-160x48")
        await tap(pilot, "#sc-go")
        await until(pilot, lambda: isinstance(app.screen, SignatureModal), "signature dialog")
        await until(pilot, lambda: "CYCLE COUNT" in screen_text(app), "what is signed")
        shoot(app, "adjust-sign-160x48")
        station.reader.tap(sam.badge_uid)
        await until(pilot, lambda: at_stage(app.screen, "-pin"), "the PIN prompt")
        await pilot.press(*sam.pin, "enter")
        await until(pilot, lambda: screen.done == 1, "adjusted")
        assert f"signed by {sam.printed_name}" in _message(app)
    assert _stock(plant, lot_number) == {plant.bins["LINE"]: D(17)}


async def test_an_operator_is_told_why_before_anything(make_station, person, plant):
    """Operators have no scrap permission: the tile is not theirs, and the screen (reached
    anyway, e.g. from a parked draft) says why at the scan."""
    lot_number = plant.stocked("cap", "6")
    olivia = person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia, touch=True)
        assert not app.screen.query("#tile-scrap") and not app.screen.query("#tile-adjust")
        app.push_screen(screens_of(station).scrap())
        await until(pilot, lambda: isinstance(app.screen, ScrapScreen), "scrap")
        await _verdict(pilot, lot_number)
        assert "inventory.scrap" in _message(app) and app.screen.query_one("#sc-go").disabled


async def test_the_lot_screen_opens_scrap_and_adjust_on_the_lot(make_station, person, plant):
    """A supervisor on a stocked lot: Scrap… and Adjust… are offered; each opens its screen
    on that lot with its verdict (nothing scanned again); back on the lot after."""
    lot_number = plant.stocked("cap", "12")
    sam = person("supervisor")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        lot = await _open(pilot, station, sam, "lots", LotScreen)
        await scan(pilot, lot_number)
        await until(pilot, lambda: lot.detail is not None, "the lot")
        for button in ("#lot-scrap", "#lot-adjust"):
            await until(pilot, lambda b=button: not lot.query_one(b).disabled, f"{button} offered")
        assert "Scrap: not for you" not in screen_text(app)
        assert "Adjust: not for you" not in screen_text(app)
        shoot(app, "lot-scrap-adjust-80x24")
        for button, kind in (("#lot-scrap", ScrapScreen), ("#lot-adjust", AdjustScreen)):
            await tap(pilot, button)
            await until(pilot, lambda k=kind: isinstance(app.screen, k), kind.__name__)
            screen = app.screen
            await until(pilot, lambda s=screen: s.lot is not None, "the lot's verdict")
            assert screen.lot.lot_number == lot_number and screen.lot.refusal is None
            assert screen.query_one("#sc-lot").value == lot_number
            await tap(pilot, "#nav-back")
            await until(pilot, lambda: app.screen is lot, "back on the lot")
    assert _stock(plant, lot_number) == {plant.bins["LINE"]: D(12)}  # opening changes nothing


async def test_the_lot_screen_says_why_scrap_and_adjust_are_not_yours(make_station, person, plant):
    """An operator sees Scrap… and Adjust… disabled with the permission they lack; for a
    supervisor a held lot's buttons say it is on hold — before any screen or badge."""
    lot_number = plant.stocked("resin", "8")
    olivia, sam = person("operator"), person("supervisor")
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(pilot, station, olivia, touch=True)
        app.push_screen(screens_of(station).lot(lot_number))
        await until(pilot, lambda: "Scrap: not for you" in screen_text(app), "the reason")
        text = screen_text(app)
        assert "inventory.scrap" in text and "Adjust: not for you" in text
        assert "inventory.adjust" in text
        assert app.screen.query_one("#lot-scrap").disabled
        assert app.screen.query_one("#lot-adjust").disabled
        shoot(app, "lot-scrap-refused-160x48")
        with plant.uow(plant.qa) as uow:
            holds.place_hold(uow, lot_number, "suspect contamination", "qa")
            uow.commit()
        await switch_to(pilot, station, sam)
        app.push_screen(screens_of(station).lot(lot_number))
        await until(pilot, lambda: "Scrap: not for you" in screen_text(app), "the hold said")
        assert "on hold" in screen_text(app)
        assert app.screen.query_one("#lot-scrap").disabled
        assert app.screen.query_one("#lot-adjust").disabled
    assert _stock(plant, lot_number) == {plant.bins["LINE"]: D(8)}


async def test_receiving_checks_the_po_line_before_the_confirmation(make_station, person, plant):
    """A PO line of 50: 60 is refused with what is open, another item's line and a closed
    line are refused — each before the confirmation, the form kept; 50 is received."""
    po = "PO-" + plant.site
    with plant.uow(plant.supervisor) as uow:
        purchasing.add_po_line(
            uow, purchasing.PoLine(po, 1, plant.items["resin"], plant.supplier, D(50))
        )
        purchasing.add_po_line(
            uow, purchasing.PoLine(po + "C", 1, plant.items["resin"], plant.supplier, D(50))
        )
        purchasing.close_po_line(uow, po + "C", 1, "cancelled by the supplier")
        uow.commit()
    lots_before = count(plant, "lot")
    olivia = person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, station, olivia, "receiving", ReceivingScreen)
        await until(pilot, lambda: screen.query_one("#rcv-bin").options, "receiving bins")

        async def receive(message: str) -> None:
            before = screen.answers
            await tap(pilot, "#rcv-receive")
            await until(pilot, lambda: screen.answers > before, "the check")
            assert message in _message(app, "#rcv-message"), _message(app, "#rcv-message")
            assert not isinstance(app.screen, ConfirmModal)

        before = screen.answers
        await scan(pilot, label(plant, "resin", "PO-LOT-1", extra="(3103)060000"))
        await until(pilot, lambda: screen.answers > before, "the label read")
        await choose(pilot, "#rcv-bin", plant.bins["RCV"])
        await type_on_screen(pilot, "#rcv-po", po)
        await receive("open 50 kg")
        shoot(app, "receiving-over-po-80x24")
        screen.query_one("#rcv-po").value = po + "C/1"
        await receive("is closed")
        screen.query_one("#rcv-po").value = po
        screen.query_one("#rcv-item").value = ""
        before = screen.answers
        await scan(pilot, label(plant, "cap", "PO-LOT-2", extra="(30)5"))
        await until(pilot, lambda: screen.answers > before, "the cap label read")
        await choose(pilot, "#rcv-bin", plant.bins["RCV"])
        await receive("has no open line")
        assert screen.query_one("#rcv-po").value == po  # kept
        assert count(plant, "lot") == lots_before

        screen.query_one("#rcv-item").value = ""
        before = screen.answers
        await scan(pilot, label(plant, "resin", "PO-LOT-3", extra="(3103)050000"))
        await until(pilot, lambda: screen.answers > before, "the label read")
        await choose(pilot, "#rcv-bin", plant.bins["RCV"])
        await tap(pilot, "#rcv-receive")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the confirmation")
        await tap(pilot, "#confirm")
        await until(pilot, lambda: screen.received is not None, "received")
    with plant.uow(plant.supervisor) as uow:
        assert purchasing.open_quantity(uow, po, 1) == 0
