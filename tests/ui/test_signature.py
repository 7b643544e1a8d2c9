"""The signature dialog: re-authentication each time, the signer named, refusals shown."""

from __future__ import annotations

from domain.services import items
from screens.item_detail import ItemDetailScreen
from screens.modals.signature import SignatureModal
from screens.stages import at_stage
from tests.conftest import unique
from tests.ui.conftest import screen_text, sign_in, tap, until


def _draft_item(make_uow, author: str) -> str:
    number = unique("WID-").upper()
    with make_uow(author) as uow:
        items.create_item(uow, items.NewItem(number, "Widget housing", "component", "ea"))
        uow.commit()
    return number


async def _open_approval(pilot, station, number: str) -> None:
    app = station.app
    app.push_screen(ItemDetailScreen(station.backend, number))
    await until(
        pilot, lambda: not app.screen.query_one("#item-approve").disabled, "approve enabled"
    )
    await tap(pilot, "#item-approve")
    await until(pilot, lambda: isinstance(app.screen, SignatureModal), "the signature dialog")
    await until(pilot, lambda: number in screen_text(app), "the record description")


async def test_qa_signs_at_a_colleagues_station_without_signing_them_out(
    make_station, person, make_uow
):
    """QA taps and signs on a colleague's station: the signature is the badge holder's, the
    colleague stays signed in. (An operator's station no longer offers Approve at all: see
    test_approve_is_not_offered_to_an_operator_and_says_why.)"""
    olivia, quinn, erin = person("qa"), person("qa"), person("engineer")
    number = _draft_item(make_uow, erin.username)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        await _open_approval(pilot, station, number)
        text = screen_text(app)
        assert "version 1" in text and "approved" in text.lower()
        station.reader.tap(quinn.badge_uid)
        await until(pilot, lambda: at_stage(app.screen, "-pin"), "the PIN prompt")
        assert quinn.printed_name not in screen_text(app)  # named only once the PIN proves it
        await pilot.press(*quinn.pin, "enter")
        await until(pilot, lambda: isinstance(app.screen, ItemDetailScreen), "back on the item")
        await until(pilot, lambda: "APPROVED" in screen_text(app), "the manifestation")
        shown = screen_text(app)
        assert quinn.printed_name in shown and "CET" in shown
        assert app.current_user.username == olivia.username
    with make_uow(olivia.username) as uow:
        assert items.get_item(uow, number).status == "approved"


async def test_author_cannot_approve_their_own_item_and_the_dialog_says_why(
    make_station, person, make_uow
):
    """Segregation of duties in the dialog: at a QA colleague's station, the author's own
    badge + PIN is refused with the rule's reason and the dialog waits for another badge."""
    both, quinn = person("engineer", "qa"), person("qa")
    number = _draft_item(make_uow, both.username)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, quinn)
        await _open_approval(pilot, station, number)
        station.reader.tap(both.badge_uid)
        await until(pilot, lambda: at_stage(app.screen, "-pin"), "the PIN prompt")
        await pilot.press(*both.pin, "enter")
        await until(pilot, lambda: "refused" in screen_text(app).lower(), "the refusal")
        assert isinstance(app.screen, SignatureModal)
        assert at_stage(app.screen, "-waiting")  # ready for another person's badge
    with make_uow(both.username) as uow:
        assert items.get_item(uow, number).status == "draft"


async def test_every_signature_asks_for_the_badge_again(make_station, person, make_uow):
    """Being signed in is not enough: the dialog waits for a tap even for the same person."""
    quinn, erin = person("qa"), person("engineer")
    number = _draft_item(make_uow, erin.username)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, quinn)
        await _open_approval(pilot, station, number)
        assert at_stage(app.screen, "-waiting")
        await pilot.press(*quinn.pin, "enter")  # a PIN without a badge does nothing
        await pilot.pause(0.2)
        assert isinstance(app.screen, SignatureModal)
        await tap(pilot, "#sig-cancel")
        await until(pilot, lambda: isinstance(app.screen, ItemDetailScreen), "cancelled")
    with make_uow(quinn.username) as uow:
        assert items.get_item(uow, number).status == "draft"


async def test_approve_is_not_offered_to_an_operator_and_says_why(make_station, person, make_uow):
    """Before anyone taps a badge, an operator's item screen shows Approve disabled with the
    signing rule's reason (the item.approve permission, QA's)."""
    olivia, erin = person("operator"), person("engineer")
    number = _draft_item(make_uow, erin.username)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        app.push_screen(ItemDetailScreen(station.backend, number))
        await until(pilot, lambda: "not for you" in screen_text(app), "the reason")
        assert app.screen.query_one("#item-approve").disabled
        assert "item.approve" in screen_text(app)
        await tap(pilot, "#item-approve")
        await pilot.pause()
        assert isinstance(app.screen, ItemDetailScreen)  # no signature dialog


async def test_the_author_is_told_before_the_badge_that_they_cannot_approve(
    make_station, person, make_uow
):
    """Segregation of duties shown up front: the author (also QA) sees why Approve is off."""
    both = person("engineer", "qa")
    number = _draft_item(make_uow, both.username)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, both)
        app.push_screen(ItemDetailScreen(station.backend, number))
        await until(pilot, lambda: "not for you" in screen_text(app), "the reason")
        assert "author" in screen_text(app) and app.screen.query_one("#item-approve").disabled
