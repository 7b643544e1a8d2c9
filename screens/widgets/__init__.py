"""Reusable touch widgets: keypad, status bar, banner, navigation bar."""

from screens.widgets.banner import Banner
from screens.widgets.header import StationHeader
from screens.widgets.keypad import Keypad
from screens.widgets.navbar import NavBar
from screens.widgets.status_bar import StatusBar

__all__ = ["Banner", "Keypad", "NavBar", "StationHeader", "StatusBar"]
