"""The on-screen keypad takes every tap, a quick second tap on the same key included."""

from __future__ import annotations

from textual.app import App, ComposeResult

from screens.widgets import Keypad


class _KeypadApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Keypad(masked=True, id="pin")


async def test_two_quick_taps_on_one_key_are_two_digits():
    """'1 1' tapped within the button's press effect (0.2 s) gives 11, not 1."""
    app = _KeypadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        keypad = app.query_one(Keypad)
        await pilot.wait_for_scheduled_animations()
        assert await pilot.click("#key-1")
        assert await pilot.click("#key-1")
        await pilot.pause()
        assert keypad.value == "11"
