"""The user-detail dialogs: each judges what it completes before the administrator's badge
and PIN (a refusal stays on the dialog with what was entered), backing out of the
re-authentication brings the last dialog back filled in, Escape with something entered asks
first, and every text field takes the on-screen keyboard."""

from __future__ import annotations

from domain.services import access, users
from screens.admin.forms import CardCaptureModal, ChoiceModal, ReasonModal, TemporaryPinModal
from screens.admin.reauth import ReauthModal
from screens.admin.user_detail import UserDetailScreen
from screens.modals.confirm import ConfirmModal
from screens.widgets.keyboard import KeyboardModal, key_id
from tests.ui.admin_helpers import click, confirm_as, open_user
from tests.ui.conftest import focused, screen_text, sign_in, tap, until


async def _type_on_keyboard(pilot, field: str, text: str) -> None:
    """Tap ``field``, type ``text`` (capitals and digits) on the on-screen keyboard, OK."""
    app = pilot.app
    await tap(pilot, field)
    await until(pilot, lambda: isinstance(app.screen, KeyboardModal), f"keyboard for {field}")
    modal = app.screen
    for char in text:
        before = modal.query_one("#kb-text").value
        await tap(pilot, "#" + key_id(char))
        await until(pilot, lambda b=before: modal.query_one("#kb-text").value != b, repr(char))
    await tap(pilot, "#kb-ok")
    await until(pilot, lambda: not isinstance(app.screen, KeyboardModal), "keyboard closed")


async def test_granting_oneself_a_role_is_refused_on_the_choice(make_station, person, make_uow):
    """Grant role on one's own account: the database's refusal shows on the role choice,
    before any badge or PIN, and nothing changes."""
    ada = person("admin")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        screen = await open_user(pilot, station, ada.username)
        screen.run_flow("grant-role")
        await until(pilot, lambda: isinstance(app.screen, ChoiceModal), "role choice")
        await click(pilot, "#choice-0")
        await until(pilot, lambda: "to themselves" in screen_text(app), "the refusal")
        assert isinstance(app.screen, ChoiceModal)
        assert "Confirm:" not in screen_text(app)
    with make_uow(ada.username) as uow:
        assert access.roles_of(uow, ada.username) == {"admin"}


async def test_a_trivial_temporary_pin_is_refused_on_the_keypad(make_station, person):
    """Reset PIN: a PIN the policy refuses is said on the PIN dialog (start again), before
    the reason and the badge; a good one moves on."""
    ada, olivia = person("admin"), person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        screen = await open_user(pilot, station, olivia.username)
        screen.run_flow("reset-pin")
        await until(pilot, lambda: isinstance(app.screen, TemporaryPinModal), "the PIN form")
        await focused(pilot, "temp-pin")
        await pilot.press(*"111111", "enter")
        await until(pilot, lambda: "same PIN again" in screen_text(app), "the second entry")
        await pilot.press(*"111111", "enter")
        await until(pilot, lambda: "too easy to guess" in screen_text(app), "the refusal")
        assert isinstance(app.screen, TemporaryPinModal) and app.screen.first is None
        await pilot.press(*"583920", "enter")
        await until(pilot, lambda: "same PIN again" in screen_text(app), "the second entry")
        await pilot.press(*"583920", "enter")
        await until(pilot, lambda: isinstance(app.screen, ReasonModal), "the reason")


async def test_backing_out_of_the_confirmation_brings_the_reason_back(
    make_station, person, make_uow
):
    """Lock: after Cancel on the re-authentication the reason dialog comes back with the
    reason typed; confirming then locks."""
    ada, olivia = person("admin"), person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        screen = await open_user(pilot, station, olivia.username)
        screen.run_flow("lock")
        await until(pilot, lambda: isinstance(app.screen, ReasonModal), "the reason")
        app.screen.query_one("#reason").value = "Badge seen at the wrong line"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ReauthModal), "the confirmation")
        await click(pilot, "#sig-cancel")
        await until(pilot, lambda: isinstance(app.screen, ReasonModal), "the reason again")
        assert app.screen.query_one("#reason").value == "Badge seen at the wrong line"
        assert "Not done yet" in screen_text(app)
        await pilot.press("enter")
        await confirm_as(pilot, station, ada)
        await until(pilot, lambda: isinstance(app.screen, UserDetailScreen), "back on the user")
        await until(pilot, lambda: screen.card and screen.card.user.status == "locked", "locked")
    with make_uow(ada.username) as uow:
        assert users.get_user(uow, olivia.username).status == "locked"


async def test_cancelled_confirmation_offers_the_card_read_again(make_station, person, make_uow):
    """Issue badge: after Cancel on the re-authentication the card dialog offers the card
    already read ("Use the card read"), so it need not be tapped again."""
    ada, olivia = person("admin"), person("operator", badge=False)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        screen = await open_user(pilot, station, olivia.username)
        screen.run_flow("issue-badge")
        await until(pilot, lambda: isinstance(app.screen, CardCaptureModal), "the card prompt")
        station.reader.tap("04AABBCCDDEE01")
        await until(pilot, lambda: isinstance(app.screen, ReauthModal), "the confirmation")
        await click(pilot, "#sig-cancel")
        await until(pilot, lambda: isinstance(app.screen, CardCaptureModal), "the card again")
        await click(pilot, "#card-keep")
        await confirm_as(pilot, station, ada)
        await until(pilot, lambda: screen.card and screen.card.user.active_badges == 1, "issued")


async def test_escape_with_something_entered_asks_first(make_station, person):
    """Escape on the reason dialog with text, on the card dialog with a number typed, and on
    the PIN dialog after the first entry asks; "Keep editing" keeps it. Empty: closes."""
    ada, olivia = person("admin"), person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        screen = await open_user(pilot, station, olivia.username)

        async def asks_then_keeps(kind, check) -> None:
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the question")
            await tap(pilot, "#cancel")  # Keep editing
            await until(pilot, lambda: isinstance(app.screen, kind), "back on the dialog")
            assert check(app.screen)
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the question")
            await tap(pilot, "#confirm")  # Discard
            await until(pilot, lambda: isinstance(app.screen, UserDetailScreen), "closed")

        screen.run_flow("lock")
        await until(pilot, lambda: isinstance(app.screen, ReasonModal), "the reason")
        await pilot.press("escape")  # nothing typed: closes at once
        await until(pilot, lambda: isinstance(app.screen, UserDetailScreen), "closed at once")
        screen.run_flow("lock")
        await until(pilot, lambda: isinstance(app.screen, ReasonModal), "the reason")
        await focused(pilot, "reason")
        await pilot.press(*"half")
        await asks_then_keeps(ReasonModal, lambda s: s.query_one("#reason").value == "half")

        screen.run_flow("issue-badge")
        await until(pilot, lambda: isinstance(app.screen, CardCaptureModal), "the card prompt")
        app.screen.query_one("#card-typed").focus()
        await focused(pilot, "card-typed")
        await pilot.press(*"04AB")
        await asks_then_keeps(
            CardCaptureModal, lambda s: s.query_one("#card-typed").value == "04AB"
        )

        screen.run_flow("reset-pin")
        await until(pilot, lambda: isinstance(app.screen, TemporaryPinModal), "the PIN form")
        await focused(pilot, "temp-pin")
        await pilot.press(*"583920", "enter")
        await until(pilot, lambda: "same PIN again" in screen_text(app), "the second entry")
        await asks_then_keeps(TemporaryPinModal, lambda s: s.first == "583920")


async def test_reason_and_card_number_take_the_on_screen_keyboard(make_station, person):
    """The reason and the card number are typed on the on-screen keyboard: a tap opens it,
    OK writes the text back and moves on (no physical keyboard)."""
    ada, olivia = person("admin"), person("operator", badge=False)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        screen = await open_user(pilot, station, olivia.username)
        screen.run_flow("lock")
        await until(pilot, lambda: isinstance(app.screen, ReasonModal), "the reason")
        await _type_on_keyboard(pilot, "#reason", "SHIFT END")
        await until(pilot, lambda: isinstance(app.screen, ReauthModal), "the confirmation")
        await until(pilot, lambda: "SHIFT END" in screen_text(app), "the reason on it")
        await click(pilot, "#sig-cancel")
        await until(pilot, lambda: isinstance(app.screen, ReasonModal), "the reason again")
        await click(pilot, "#form-cancel")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the question")
        await tap(pilot, "#confirm")
        await until(pilot, lambda: isinstance(app.screen, UserDetailScreen), "closed")

        screen.run_flow("issue-badge")
        await until(pilot, lambda: isinstance(app.screen, CardCaptureModal), "the card prompt")
        await _type_on_keyboard(pilot, "#card-typed", "04C0FFEE0042")
        await until(pilot, lambda: isinstance(app.screen, ReauthModal), "the confirmation")
