"""Stored and typed text outside tables is drawn as stored too: what a signer is asked to
sign (the record's lines in the signature dialog), a typed username in its prompt, and
every notification are never parsed as Rich markup — ``[@click=app.quit]`` in an item's
description must neither vanish from what is signed nor become an action — and control
characters are shown, not obeyed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from domain.services import item_approval, items
from domain.views.items import NewItem
from screens.modals.signature import SignatureModal
from tests.conftest import unique
from tests.ui.conftest import screen_text, sign_in, until

HOSTILE = "[b]bold[/b] [@click=app.quit]quit[/] [red \x1b[2J"


def _literal(text: str) -> bool:
    return (
        "[b]bold[/b]" in text
        and "[@click=app.quit]quit[/]" in text
        and "\x1b" not in text
        and "␛[2J" in text
    )


async def test_the_signature_dialog_shows_what_is_signed_as_stored(
    make_station: Any, person: Any, make_uow: Any
) -> None:
    erin, quinn = person("engineer"), person("qa")
    number = unique("HOSM-").upper()
    with make_uow(erin.username) as uow:
        items.create_item(uow, NewItem(number, "Hostile subject", "component", "ea"))
        uow.commit()
    with make_uow(erin.username) as uow:
        item_approval.edit_draft_item(
            uow, number, item_approval.ItemChanges(description=HOSTILE), "hostile text"
        )
        uow.commit()
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(pilot, station, quinn)
        modal = SignatureModal(station.backend.approval(quinn.username, number, 2))
        app.push_screen(modal)
        await until(pilot, lambda: modal.record is not None, "what is signed")
        record = str(modal.query_one("#sig-record").render())
        assert _literal(record), record
        # the typed-username path names what was typed, literally, and the app still runs
        modal._ask_pin("[@click=app.quit]x[/]")
        await pilot.pause()
        assert "Signer: [@click=app.quit]x[/]" in screen_text(app)
        assert app.is_running and app.screen is modal


async def test_notifications_are_literal(make_station: Any, person: Any) -> None:
    olivia = person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        app.notify(f"Lot {HOSTILE} refused", title="Scan refused")
        await until(pilot, lambda: bool(app._notifications), "the notification")
        note = next(iter(app._notifications))
        # Textual's toast parses the message as markup only when the notification says so
        assert note.markup is False
        assert note.message == f"Lot {HOSTILE} refused"
        assert app.is_running


async def test_ncr_and_capa_texts_are_shown_as_stored(
    make_station: Any, person: Any, database: Any, session_factory: Any, tmp_path: Path
) -> None:
    """An NCR's title and description and a CAPA section's content, written through the
    services, are drawn literally on their screens at 80x24 (the section was a ``Text``
    already; control characters in it were obeyed)."""
    from domain.services.quality import capa, ncr
    from kiosk.quality_tiles import QualityScreens, quality_backend_for
    from screens.quality.capa import CapaScreen
    from screens.quality.ncr import NcrScreen
    from tests.ui.quality_helpers import build_quality, raise_capa

    q = build_quality(database, session_factory)
    qa = person("qa")
    lot, _ = q.receive()
    with q.plant.uow(qa.username) as uow:
        made = ncr.raise_ncr(uow, ncr.NewNcr(f"T {HOSTILE}", f"D {HOSTILE}", 4, 2, (lot,)))
        uow.commit()
    capa_number = raise_capa(q, qa, made.number, qa.username, days=5)
    with q.plant.uow(qa.username) as uow:
        capa.write_section(uow, capa_number, 0, f"C {HOSTILE}")
        uow.commit()
    station = make_station()
    app = station.app
    backend = quality_backend_for(station.backend)
    assert backend is not None
    screens = QualityScreens(backend)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, qa)
        ncr_screen = screens.ncr(made.number)
        assert isinstance(ncr_screen, NcrScreen)
        app.push_screen(ncr_screen)
        await until(pilot, lambda: ncr_screen.detail is not None, "the NCR")
        await pilot.pause()
        shown = "\n".join(str(w.render()) for w in ncr_screen.query("Static"))
        assert _literal(shown), shown
        app.save_screenshot("hostile-ncr.svg", path=str(tmp_path))
        capa_screen = screens.capa(capa_number)
        assert isinstance(capa_screen, CapaScreen)
        app.push_screen(capa_screen)
        await until(pilot, lambda: capa_screen.detail is not None, "the CAPA")
        await pilot.pause()
        section = str(capa_screen.query_one(".sec-text").render())
        assert f"C {HOSTILE}".replace("\x1b", "␛") in section, section
        app.save_screenshot("hostile-capa.svg", path=str(tmp_path))
        assert app.is_running and app.screen is capa_screen


async def test_a_printed_name_in_the_lock_banner_and_choices_are_literal(
    make_station: Any, person: Any
) -> None:
    """The lock screen names who is signed in, a choice modal's options are often stored
    (bins, instruments): both drawn as stored."""
    from screens.backend import SignedInUser
    from screens.sign_in import SignInScreen
    from screens.widgets.choice import ChoiceModal

    olivia = person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        lock = SignInScreen(locked_for=SignedInUser("x", f"N {HOSTILE}"))
        app.push_screen(lock)
        await until(pilot, lambda: bool(lock.query("#sign-in-title")), "the lock screen")
        assert _literal(str(lock.query_one("#sign-in-title").render()))
        app.pop_screen()
        choice = ChoiceModal(f"Pick {HOSTILE}", [f"O {HOSTILE}", "plain"])
        app.push_screen(choice)
        await until(pilot, lambda: app.screen is choice, "the choice")
        await pilot.pause()
        assert "[@click=app.quit]quit[/]" in screen_text(app)
        assert _literal(str(choice.query_one("#choice-0").render()))
        assert app.is_running


async def test_a_screen_notifying_a_scanned_barcode_is_literal(
    make_station: Any, person: Any
) -> None:
    """``Screen.notify`` passes ``markup=True`` unless told: the station still shows it as
    stored (a refusal echoing what was scanned)."""
    olivia = person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        app.screen.notify(f"Not a lot label: {HOSTILE}", title="Scan refused")
        await until(pilot, lambda: bool(app._notifications), "the notification")
        note = next(iter(app._notifications))
        assert note.markup is False and note.message == f"Not a lot label: {HOSTILE}"
        assert app.is_running


async def test_step_instructions_and_a_deviation_are_shown_as_stored(
    make_station: Any, database: Any, session_factory: Any
) -> None:
    """An operation's instructions (routing content an engineer wrote) on the step screen,
    and a deviation's text raised at the step in the status line, drawn literally at 80x24:
    the step screen's text was parsed as markup before touch standard 8."""
    from domain.services.work_orders import deviations, execution
    from kiosk.work_order_tiles import work_order_backend_for
    from screens.work_orders.step import StepScreen
    from tests.ui.work_order_helpers import build_line

    line = build_line(database, session_factory, bench=HOSTILE)
    number = line.new_work_order()
    with line.uow(line.operator.username) as uow:
        step = execution.steps_of(uow, number)[0]
        deviations.open_deviation(uow, step.id, "other", f"Cap {HOSTILE}", "", "", "hostile")
        uow.commit()
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, line.operator)
        backend = work_order_backend_for(station.backend)
        assert backend is not None
        screen = StepScreen(backend, number)
        app.push_screen(screen)
        await until(pilot, lambda: screen.view is not None, "the step")
        text = str(screen.query_one("#step-text").render())
        assert _literal(text), text
        await until(pilot, lambda: "Blocked" in str(screen.query_one("#step-status").render()),
                    "the deviation said")  # fmt: skip
        status = str(screen.query_one("#step-status").render())
        assert _literal(status), status
        assert app.is_running and app.screen is screen


async def test_an_item_heading_and_a_lots_facts_are_shown_as_stored(
    make_station: Any, person: Any, make_uow: Any, database: Any, session_factory: Any
) -> None:
    """The item screen's heading (its description) and the lot screen's facts (a receipt's
    PO and CoA references as typed at the dock) are drawn literally: both were markup-free
    but let an ESC or a bidi override through to the terminal."""
    from kiosk.materials_tiles import materials_backend_for
    from screens.item_detail import ItemDetailScreen
    from screens.materials.lot import LotScreen
    from tests.integration.materials_helpers import build_plant

    erin, quinn = person("engineer"), person("qa")
    number = unique("HOSI-").upper()
    with make_uow(erin.username) as uow:
        items.create_item(uow, NewItem(number, HOSTILE, "component", "ea"))
        uow.commit()
    plant = build_plant(database, session_factory)
    lot = plant.receive("resin", "5", po_reference="PO [b]7[/b] \x1b[2J", coa_reference=HOSTILE)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, quinn)
        item = ItemDetailScreen(station.backend, number)
        app.push_screen(item)
        await until(pilot, lambda: item.detail is not None, "the item")
        heading = str(item.query_one("#item-heading").render())
        assert _literal(heading), heading
        backend = materials_backend_for(station.backend)
        assert backend is not None
        screen = LotScreen(backend, lot)
        app.push_screen(screen)
        await until(pilot, lambda: screen.detail is not None, "the lot")
        facts = str(screen.query_one("#lot-facts").render())
        assert _literal(facts) and "PO PO [B]7[/B] ␛[2J" in facts, facts  # PO upper-cased
        assert app.is_running and app.screen is screen
