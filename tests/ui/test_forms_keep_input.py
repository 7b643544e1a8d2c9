"""Nothing typed is lost: validation before the badge and PIN, the form kept after any
refusal, and Escape/Back asking before unsaved input goes."""

from __future__ import annotations

from kiosk.engineering_tiles import eco_list, engineering_backend_for
from screens.admin.forms import AddUserModal
from screens.admin.reauth import ReauthModal
from screens.admin.users import UsersScreen
from screens.engineering.ecos import EcoListScreen, NewEcoModal
from screens.item_new import NewItemScreen
from screens.modals.confirm import ConfirmModal
from tests.conftest import unique
from tests.ui.admin_helpers import click, users_screen
from tests.ui.conftest import focused, screen_text, sign_in, tap, until


async def _new_eco_form(pilot, station, erin) -> None:
    app = station.app
    backend = engineering_backend_for(station.backend)
    assert backend is not None
    await sign_in(pilot, station, erin)
    app.push_screen(eco_list(backend))
    await until(pilot, lambda: app.screen.query("#ecos-new"), "New ECO offered")
    await tap(pilot, "#ecos-new")
    await until(pilot, lambda: isinstance(app.screen, NewEcoModal), "the form")
    await focused(pilot, "new-eco-title")


async def test_a_bad_date_in_new_eco_keeps_the_form_and_what_was_typed(make_station, person):
    """A date that is not a date is refused on the form; title and reason stay, and fixing
    the date creates the ECO."""
    erin = person("engineer")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await _new_eco_form(pilot, station, erin)
        await pilot.press(*"Bigger pouch", "enter", *"Complaint CC-8", "enter")
        await pilot.press(*"2030-13-45", "enter")
        await until(pilot, lambda: "is not a date" in screen_text(app), "the refusal")
        assert isinstance(app.screen, NewEcoModal)
        assert app.screen.query_one("#new-eco-title").value == "Bigger pouch"
        assert app.screen.query_one("#new-eco-reason").value == "Complaint CC-8"
        date = app.screen.query_one("#new-eco-date")
        date.value = "2030-01-15"
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, NewEcoModal), "created")
        assert "Bigger pouch" in screen_text(app)


async def test_escape_on_a_typed_form_asks_before_discarding(make_station, person):
    """Escape on New ECO with text asks; "Keep editing" keeps it, "Discard" closes it.
    An empty form closes at once."""
    erin = person("engineer")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await _new_eco_form(pilot, station, erin)
        await pilot.press(*"Half typed")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the question")
        await tap(pilot, "#cancel")  # Keep editing
        await until(pilot, lambda: isinstance(app.screen, NewEcoModal), "back on the form")
        assert app.screen.query_one("#new-eco-title").value == "Half typed"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the question")
        await tap(pilot, "#confirm")  # Discard
        await until(pilot, lambda: isinstance(app.screen, EcoListScreen), "the list")
        await tap(pilot, "#ecos-new")
        await until(pilot, lambda: isinstance(app.screen, NewEcoModal), "the form")
        await pilot.press("escape")  # nothing typed: no question
        await until(pilot, lambda: isinstance(app.screen, EcoListScreen), "closed at once")


async def test_back_on_a_screen_with_unsaved_input_asks_first(make_station, person):
    """Back (Escape) on the new-item form with an item number typed asks before leaving."""
    erin = person("engineer")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, erin)
        app.push_screen(NewItemScreen(station.backend))
        await until(pilot, lambda: app.screen.query_one("#item_number").has_focus, "the form")
        await pilot.press(*"WID-1")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the question")
        await tap(pilot, "#cancel")
        await until(pilot, lambda: isinstance(app.screen, NewItemScreen), "kept")
        assert app.screen.query_one("#item_number").value == "WID-1"


async def test_invalid_or_taken_username_is_refused_before_the_badge_and_the_form_kept(
    make_station, person
):
    """Add user: an invalid username, then a taken one, are refused on the form itself
    (no re-authentication dialog), with the name and roles still filled in."""
    ada, olivia = person("admin"), person("operator")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, ada)
        app.push_screen(users_screen(station))
        await until(pilot, lambda: isinstance(app.screen, UsersScreen), "users")
        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, AddUserModal), "the form")
        for bad, says in (("9 bad name", "not valid"), (olivia.username, "is taken")):
            app.screen.query_one("#new-username").value = bad
            app.screen.query_one("#new-printed").value = "Nora New"
            app.screen.query_one("#role-operator").value = True
            await click(pilot, "#form-ok")
            await until(pilot, lambda s=says: s in screen_text(app), f"refusal: {says}")
            assert isinstance(app.screen, AddUserModal)
            assert not any(isinstance(s, ReauthModal) for s in app.screen_stack)
            assert app.screen.query_one("#new-printed").value == "Nora New"
            assert app.screen.query_one("#role-operator").value
        app.screen.query_one("#new-username").value = unique("nora")
        await click(pilot, "#form-ok")
        await until(pilot, lambda: isinstance(app.screen, ReauthModal), "re-authentication")
        await tap(pilot, "#sig-cancel")  # back out: the form comes back, values kept
        await until(pilot, lambda: isinstance(app.screen, AddUserModal), "the form again")
        assert app.screen.query_one("#new-printed").value == "Nora New"
