"""Stored and typed text outside tables is drawn as stored too: what a signer is asked to
sign (the record's lines in the signature dialog), a typed username in its prompt, and
every notification are never parsed as Rich markup — ``[@click=app.quit]`` in an item's
description must neither vanish from what is signed nor become an action — and control
characters are shown, not obeyed."""

from __future__ import annotations

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
