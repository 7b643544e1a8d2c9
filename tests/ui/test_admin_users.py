"""Admin screens: users list, add user, roles — each action re-authenticated and audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from domain.db import make_engine, make_session_factory
from domain.services import access, users
from domain.uow import UnitOfWork
from hardware.fakes import FakeCardReader
from kiosk.app import make_app
from kiosk.backend import KioskBackend
from kiosk.clock import frozen_clock
from screens.admin.forms import ReasonModal
from screens.admin.reauth import ReauthModal
from screens.admin.user_detail import UserDetailScreen
from screens.admin.users import UsersScreen
from screens.stages import at_stage
from tests.conftest import (
    TEST_ADMIN,
    TestDatabase,
    bootstrap_test_admin,
    create_test_database,
    drop_test_database,
    unique,
)
from tests.identity_helpers import admin_for, enrol
from tests.sessions import session_of
from tests.ui.admin_helpers import click, confirm_as, open_user, users_screen
from tests.ui.conftest import FROZEN, Station, screen_text, sign_in, until


async def test_operator_opening_the_users_screen_is_refused(make_station, person):
    """An operator who reaches the users screen sees a refusal and no user data."""
    olivia, bystander = person("operator"), person("qa")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, olivia)
        app.push_screen(users_screen(station))
        await until(pilot, lambda: "Not allowed" in screen_text(app), "the refusal")
        await pilot.pause(0.2)
        assert bystander.username not in screen_text(app)
        assert not app.screen.query_one("#users-table").display


async def test_admin_lists_and_filters_users_by_role_and_name(make_station, person):
    """The list shows roles and state; the search and role filter narrow it."""
    ada, quinn, olivia = person("admin"), person("qa"), person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(pilot, station, ada)
        screen = users_screen(station)
        app.push_screen(screen)
        await until(pilot, lambda: any(r.username == quinn.username for r in screen.rows), "rows")
        screen._role_chosen("qa")
        await until(
            pilot,
            lambda: screen.rows and all("qa" in r.roles for r in screen.rows),
            "qa only",
        )
        assert olivia.username not in {r.username for r in screen.rows}
        app.screen.query_one("#users-search").value = quinn.username
        await until(pilot, lambda: [r.username for r in screen.rows] == [quinn.username], "one")


async def test_admin_adds_a_user_with_a_role_after_re_authenticating(
    make_station, person, make_uow
):
    """Add user: form, then the admin's badge + PIN; the user exists with the role, audited."""
    ada = person("admin")
    name = unique("new")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        app.push_screen(users_screen(station))
        await until(pilot, lambda: isinstance(app.screen, UsersScreen), "users")
        await pilot.press("ctrl+n")
        await until(pilot, lambda: "Add a user" in screen_text(app), "the form")
        app.screen.query_one("#new-username").value = name
        app.screen.query_one("#new-printed").value = "Nora New"
        app.screen.query_one("#role-operator").value = True
        await click(pilot, "#form-ok")
        await confirm_as(pilot, station, ada)
        await until(pilot, lambda: isinstance(app.screen, UsersScreen), "back on the list")
    with make_uow(ada.username) as uow:
        assert users.get_user(uow, name).printed_name == "Nora New"
        assert access.roles_of(uow, name) == {"operator"}
        actor = uow.session.execute(
            text(
                "SELECT actor FROM audit.entry WHERE table_name = 'workcell.users'"
                " AND after->>'username' = :n"
            ),
            {"n": name},
        ).scalar_one()
    assert actor == ada.username


async def test_wrong_pin_on_re_authentication_is_refused_and_nothing_changes(
    make_station, person, make_uow
):
    """A wrong PIN in the confirmation dialog refuses the action and keeps the dialog open."""
    ada, olivia = person("admin"), person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        screen = await open_user(pilot, station, olivia.username)
        screen.run_flow("grant-role")
        await until(pilot, lambda: "Grant which role" in screen_text(app), "role choice")
        await click(pilot, "#choice-1")  # the second role not held: qa
        wrong = "9" * len(ada.pin) if ada.pin != "9" * len(ada.pin) else "8" * len(ada.pin)
        await confirm_as(pilot, station, ada, pin=wrong)
        await until(pilot, lambda: "Wrong PIN" in screen_text(app), "the refusal")
        assert isinstance(app.screen, ReauthModal)
    with make_uow(ada.username) as uow:
        assert access.roles_of(uow, olivia.username) == {"operator"}


@pytest.fixture
def private_db() -> Iterator[TestDatabase]:
    """A database of this test's own: making someone the *last* administrator must not
    disable the administrators every other test shares."""
    db = create_test_database("wcadm")
    bootstrap_test_admin(db)
    yield db
    drop_test_database(db)


async def test_admin_revoking_their_own_last_admin_role_is_refused(private_db, station_settings):
    """The last active administrator cannot take the admin role from themselves."""
    engine = make_engine(private_db.station)
    factory = make_session_factory(engine)
    founder = admin_for(private_db)
    ada = enrol(factory, founder, roles=("admin",))
    with UnitOfWork(factory, session_of(factory, ada.username)) as uow:
        users.disable_user(uow, founder, "pytest: leave ada as the last administrator")
        users.disable_user(uow, TEST_ADMIN, "pytest: leave ada as the last administrator")
        uow.commit()
    reader = FakeCardReader()
    backend = KioskBackend(factory, station_settings)
    app = make_app(station_settings, backend, reader=reader, clock=frozen_clock(FROZEN))
    station = Station(app, reader, backend, station_settings)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot, station, ada)
            screen = await open_user(pilot, station, ada.username)
            screen.run_flow("revoke-role")
            await until(pilot, lambda: "Revoke which role" in screen_text(app), "role choice")
            await click(pilot, "#choice-0")
            await until(pilot, lambda: "Why?" in screen_text(app), "the reason")
            app.screen.query_one("#reason").value = "testing the last-admin rule"
            await pilot.press("enter")
            # judged by the database before the badge and PIN; the reason stays on the form
            await until(pilot, lambda: "last active administrator" in screen_text(app), "refusal")
            assert isinstance(app.screen, ReasonModal)
            assert app.screen.query_one("#reason").value == "testing the last-admin rule"
        with UnitOfWork(factory, None) as uow:
            assert "admin" in access.roles_of(uow, ada.username)
    finally:
        reader.stop()
        engine.dispose()


async def test_another_persons_badge_cannot_confirm_an_admin_action(make_station, person, make_uow):
    """Re-authentication must be by the signed-in administrator, not whoever taps next."""
    ada, bob, olivia = person("admin"), person("admin"), person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        screen = await open_user(pilot, station, olivia.username)
        screen.run_flow("grant-role")
        await until(pilot, lambda: "Grant which role" in screen_text(app), "role choice")
        await click(pilot, "#choice-0")
        await confirm_as(pilot, station, bob)
        await until(pilot, lambda: "Only the signed-in administrator" in screen_text(app), "no")
        assert isinstance(app.screen, ReauthModal)
    with make_uow(ada.username) as uow:
        assert access.roles_of(uow, olivia.username) == {"operator"}


async def test_user_screen_opens_their_actions_and_their_account_history(make_station, person):
    """From a user: the audit trail of what they did, and of every change to their account."""
    from kiosk.audit_backend import AuditStationBackend
    from screens.audit.browser import AuditBrowserScreen
    from tests.ui.admin_helpers import admin_backend

    ada, olivia = person("admin"), person("operator")
    station = make_station()
    app = station.app
    audit = AuditStationBackend(
        station.backend.session_factory, station.settings, sessions=station.backend.sessions
    )

    def trail(flt, title):
        return AuditBrowserScreen(audit, flt, title=title)

    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        screen = UserDetailScreen(admin_backend(station), olivia.username, trail)
        app.push_screen(screen)
        await until(pilot, lambda: screen.card is not None, "the user")
        await click(pilot, "#trail-by")
        await until(pilot, lambda: isinstance(app.screen, AuditBrowserScreen), "their actions")
        mine = app.screen
        await until(pilot, lambda: mine.page is not None and mine.page.rows, "rows")
        assert {r.actor for r in mine.page.rows} == {olivia.username}
        app.pop_screen()
        await click(pilot, "#trail-of")
        await until(pilot, lambda: app.screen is not screen, "the account history")
        history = app.screen
        await until(pilot, lambda: history.page is not None and history.page.rows, "rows")
        assert {r.table_name for r in history.page.rows} == {"workcell.users"}
        assert history.page.rows[-1].operation == "INSERT"


async def test_admin_over_ssh_adds_a_user_with_the_keyboard_alone(make_station, person, make_uow):
    """SSH, no reader: form by Tab and typing, confirmation by username + PIN, all keys."""
    ada = person("admin")
    name = unique("ssh")
    station = make_station(allow_username_pin=True)
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        app.push_screen(users_screen(station))
        await until(pilot, lambda: isinstance(app.screen, UsersScreen), "users")
        await pilot.press("ctrl+n")
        await until(pilot, lambda: "Add a user" in screen_text(app), "the form")
        await pilot.press(*name, "tab", *"Sam Shell", "tab", "space")  # + operator role
        for _ in range(20):  # Tab past the other roles (one box per role) to Next
            if app.focused is not None and app.focused.id == "form-ok":
                break
            await pilot.press("tab")
        await pilot.press("enter")  # Next
        await until(pilot, lambda: "Confirm:" in screen_text(app), "the confirmation")
        for _ in range(10):  # Tab to "Use username"
            if app.focused is not None and app.focused.id == "sig-use-username":
                break
            await pilot.press("tab")
        await pilot.press("enter", *ada.username, "enter")
        await until(pilot, lambda: at_stage(app.screen, "-pin"), "the PIN prompt")
        await pilot.press(*ada.pin, "enter")
        await until(pilot, lambda: isinstance(app.screen, UsersScreen), "back on the list")
    with make_uow(ada.username) as uow:
        assert users.get_user(uow, name).printed_name == "Sam Shell"
        assert access.roles_of(uow, name) == {"operator"}
