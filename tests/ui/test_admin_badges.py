"""Admin screens: badges (issue by tapping the new card, duplicate refused, replace, revoke),
PIN reset, unlock, lock and disable — each confirmed with the admin's badge + PIN."""

from __future__ import annotations

from sqlalchemy import text

from domain.errors import BadgeRevoked, PinChangeRequired
from domain.services import identity, identity_admin, users
from domain.services.identity import Credentials
from screens.admin.forms import CardCaptureModal, ReasonModal
from screens.admin.user_detail import UserDetailScreen
from tests.identity_helpers import POLICY, new_badge_uid, new_pin
from tests.ui.admin_helpers import click, confirm_as, open_user
from tests.ui.conftest import screen_text, sign_in, until


async def _reason(pilot, app, reason: str) -> None:
    await until(
        pilot,
        lambda: "Why?" in screen_text(app) or "never re-issued" in screen_text(app),
        "the reason",
    )
    app.screen.query_one("#reason").value = reason
    await pilot.press("enter")


async def test_admin_issues_a_badge_by_tapping_the_new_card(make_station, person, session_factory):
    """Issue badge: the new card is tapped on the reader; the user can then sign in with it."""
    ada, olivia = person("admin"), person("operator", badge=False)
    station = make_station()
    app = station.app
    uid = new_badge_uid()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        screen = await open_user(pilot, station, olivia.username)
        screen.run_flow("issue-badge")
        await until(pilot, lambda: "Tap the NEW card" in screen_text(app), "the card prompt")
        station.reader.tap(uid)
        await confirm_as(pilot, station, ada)
        await until(pilot, lambda: isinstance(app.screen, UserDetailScreen), "back on the user")
        await until(pilot, lambda: screen.card and screen.card.user.active_badges == 1, "badge")
    who = identity.authenticate(
        session_factory, Credentials(olivia.pin, badge_uid=uid), station="t", policy=POLICY
    )
    assert who.username == olivia.username


async def test_a_card_already_issued_is_refused_before_the_badge_and_pin(
    make_station, person, make_uow
):
    """Duplicate card: refused on the new-card dialog itself (workcell.card_issued), before
    anyone re-authenticates; the dialog stays for another card, which is then issued."""
    ada, olivia, other = person("admin"), person("operator", badge=False), person("operator")
    station = make_station()
    app = station.app
    fresh = new_badge_uid()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        screen = await open_user(pilot, station, olivia.username)
        screen.run_flow("issue-badge")
        await until(pilot, lambda: "Tap the NEW card" in screen_text(app), "the card prompt")
        station.reader.tap(other.badge_uid)
        await until(pilot, lambda: "already issued" in screen_text(app), "the refusal")
        assert isinstance(app.screen, CardCaptureModal)
        assert "Confirm:" not in screen_text(app)
        assert other.username not in screen_text(app)  # whose it is stays unsaid
        station.reader.tap(fresh)
        await confirm_as(pilot, station, ada)
        await until(pilot, lambda: isinstance(app.screen, UserDetailScreen), "back on the user")
    with make_uow(ada.username) as uow:
        assert len(identity_admin.list_badges(uow, olivia.username)) == 1


async def test_lost_badge_is_replaced_and_the_old_one_stops_working(
    make_station, person, make_uow, session_factory
):
    """Replace: the lost badge is revoked with the reason and the new card issued in one go."""
    ada, olivia = person("admin"), person("operator")
    station = make_station()
    app = station.app
    new_uid = new_badge_uid()
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        screen = await open_user(pilot, station, olivia.username)
        screen.run_flow("replace-badge")
        await until(pilot, lambda: "never re-issued" in screen_text(app), "the reason")
        await click(pilot, "#preset-0")  # "Reported lost"
        await until(pilot, lambda: "Tap the NEW card" in screen_text(app), "the card prompt")
        station.reader.tap(new_uid)
        await confirm_as(pilot, station, ada)
        await until(pilot, lambda: isinstance(app.screen, UserDetailScreen), "back on the user")
        await until(pilot, lambda: screen.card and len(screen.card.badges) == 2, "two badges")
    with make_uow(ada.username) as uow:
        old, new = identity_admin.list_badges(uow, olivia.username)
    assert old.revoke_reason == "Reported lost" and new.replaces_id == old.id
    assert new.revoked_at is None
    try:
        identity.authenticate(session_factory, olivia.creds(), station="t", policy=POLICY)
    except BadgeRevoked:
        pass
    else:
        raise AssertionError("the lost badge still signs in")


async def test_admin_resets_a_pin_and_the_user_must_choose_their_own(
    make_station, person, session_factory
):
    """Reset PIN: the temporary PIN (typed twice) only serves to choose a new one."""
    ada, olivia = person("admin"), person("operator")
    temporary = new_pin()
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        screen = await open_user(pilot, station, olivia.username)
        screen.run_flow("reset-pin")
        await until(pilot, lambda: "Temporary PIN for" in screen_text(app), "the PIN form")
        await pilot.press(*temporary, "enter")
        await until(pilot, lambda: "same PIN again" in screen_text(app), "the second entry")
        await pilot.press(*temporary, "enter")
        await _reason(pilot, app, "Forgotten PIN")
        await confirm_as(pilot, station, ada)
        await until(pilot, lambda: screen.card and screen.card.user.pin == "temporary", "reset")
    try:
        identity.authenticate(session_factory, olivia.creds(temporary), station="t", policy=POLICY)
    except PinChangeRequired:
        pass
    else:
        raise AssertionError("a temporary PIN signed in")


async def test_admin_unlocks_a_locked_user_with_a_reason(make_station, person, make_uow):
    """Unlock: a locked account becomes active again; the reason is in the audit trail."""
    ada, olivia = person("admin"), person("operator")
    with make_uow(ada.username) as uow:
        identity_admin.lock_user(uow, olivia.username, "pytest: locked for the test")
        uow.commit()
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        screen = await open_user(pilot, station, olivia.username)
        assert "LOCKED" in screen_text(app)
        screen.run_flow("unlock")
        await _reason(pilot, app, "Identity confirmed in person")
        await confirm_as(pilot, station, ada)
        await until(pilot, lambda: screen.card and screen.card.user.status == "active", "active")
    with make_uow(ada.username) as uow:
        reason = uow.session.execute(
            text(
                "SELECT reason FROM audit.entry WHERE table_name = 'workcell.users'"
                " AND record_key = :id ORDER BY id DESC LIMIT 1"
            ),
            {"id": str(users.get_user(uow, olivia.username).id)},
        ).scalar_one()
    assert reason == "Identity confirmed in person"


async def test_admin_disables_a_user_after_confirming_and_cannot_disable_themselves(
    make_station, person, make_uow
):
    """Disable: confirmed (irreversible), then re-authenticated; one's own account is refused
    before the badge and PIN."""
    ada, olivia = person("admin"), person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        screen = await open_user(pilot, station, olivia.username)
        screen.run_flow("disable")
        await until(pilot, lambda: "never signs in" in screen_text(app), "the warning")
        await click(pilot, "#confirm")
        await _reason(pilot, app, "Left the company")
        await confirm_as(pilot, station, ada)
        await until(pilot, lambda: screen.card and screen.card.user.status == "disabled", "gone")
        app.pop_screen()
        mine = await open_user(pilot, station, ada.username)
        mine.run_flow("disable")
        await until(pilot, lambda: "never signs in" in screen_text(app), "the warning")
        await click(pilot, "#confirm")
        await _reason(pilot, app, "testing self-disable")
        # refused by the database before the badge and PIN, on the reason dialog
        await until(pilot, lambda: "their own account" in screen_text(app), "the refusal")
        assert isinstance(app.screen, ReasonModal)
    with make_uow(ada.username) as uow:
        assert users.get_user(uow, olivia.username).status == "disabled"
        assert users.get_user(uow, ada.username).status == "active"


async def test_admin_records_an_identity_verification(make_station, person):
    """Verify ID: how the identity was checked is recorded, and the user shows as verified."""
    ada, nora = person("admin"), person("operator", verified=False)
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        screen = await open_user(pilot, station, nora.username)
        assert "ID NOT VERIFIED" in screen_text(app)
        screen.run_flow("verify-identity")
        await until(pilot, lambda: "How was it checked" in screen_text(app), "the question")
        app.screen.query_one("#reason").value = "Passport checked, HR file 4711"
        await pilot.press("enter")
        await confirm_as(pilot, station, ada)
        await until(pilot, lambda: screen.card and screen.card.user.identity_verified, "verified")
        assert "ID verified" in screen_text(app)
