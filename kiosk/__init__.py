"""WorkCell kiosk: the composition root (app, CLI, settings, wiring of services and hardware)."""
