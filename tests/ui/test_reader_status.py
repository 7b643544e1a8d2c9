"""Reader trouble is shown on screen and clears when the reader is back; never a crash."""

from __future__ import annotations

from screens.sign_in import SignInScreen
from screens.stages import at_stage
from screens.widgets import Banner
from tests.ui.conftest import tap, until


async def test_unplugged_reader_shows_a_banner_until_it_is_back(make_station):
    """ReaderStatus(available=False) puts its message in the banner; plugging clears it."""
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "sign-in")
        banner = app.screen.query_one(Banner)
        station.reader.unplug()
        await until(pilot, lambda: "disconnected" in banner.message, "the banner")
        assert banner.display
        station.reader.plug()
        await until(pilot, lambda: banner.message == "", "the banner cleared")


async def test_card_without_uid_is_refused_with_a_notification(make_station):
    """A card that identifies no one is refused aloud; the screen still waits for a badge."""
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "sign-in")
        station.reader.tap_unreadable()
        await until(
            pilot,
            lambda: any(n.title == "Card refused" for n in app._notifications),
            "the refusal",
        )
        assert at_stage(app.screen, "-waiting") and app.current_user is None


async def test_ctrl_q_asks_before_closing_the_station_app(make_station):
    """Quitting is confirmed first; Stay keeps the app running as it was."""
    from screens.modals.confirm import ConfirmModal

    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "sign-in")
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the question")
        await tap(pilot, "#cancel")
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "still running")
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the question")
        await tap(pilot, "#confirm")
        await until(pilot, lambda: app._exit, "the app told to exit")
