"""Moved to screens/widgets/tap_table.py (every list uses it now); kept for imports."""

from screens.widgets.tap_table import TapTable

__all__ = ["TapTable"]
