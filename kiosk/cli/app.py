"""`workcell` / `workcell kiosk` (the station app) and `workcell demo` (same, on demo data)."""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace
from typing import Any

from hardware.protocols import CardReader
from kiosk.settings import StationSettings, load_settings

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    p = sub.add_parser("kiosk", help="start the station app (the default command)")
    p.set_defaults(func=_kiosk)
    p = sub.add_parser(
        "demo", help="start the station app on a private embedded database with demo data"
    )
    p.set_defaults(func=_demo)


def card_reader(settings: StationSettings) -> CardReader | None:
    """The station's badge/card reader per ``reader`` (auto | pcsc | wedge | none)."""
    if settings.reader in ("wedge", "none"):
        return None
    from hardware.pcsc import PcscReader, pcsc_available

    if not pcsc_available():
        if settings.reader == "pcsc":
            raise SystemExit("reader = 'pcsc' but pyscard is not installed")
        return None
    if settings.reader == "auto" and not _pcscd_answers():
        # "auto" on a station without a smart-card service: keyboard wedge only, no alarm.
        # (With reader = "pcsc" a missing pcscd is shown in the banner until it is back.)
        log.info("no smart-card service answers; using the keyboard wedge only")
        return None
    return PcscReader(settings.reader_filter or None)


def _pcscd_answers() -> bool:
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False
    scard.SCardReleaseContext(context)
    return True


def run_station(settings: StationSettings) -> int:
    from domain.services import identity
    from kiosk.app import make_app
    from kiosk.backend import KioskBackend
    from kiosk.bootstrap import build_services
    from kiosk.database import require_station_login
    from kiosk.shift import SESSION_GRACE_S

    services = build_services(settings)

    def checked() -> StationSettings:
        """In the app's first worker, while the sign-in screen draws (start-up time)."""
        require_station_login(services.engine)  # never the owner or a superuser
        # lock before the database ends an idle session (less a grace for the last click)
        idle_s = identity.server_policy(services.session_factory).session_idle_s
        limit = max(1, min(settings.idle_timeout_s, idle_s - SESSION_GRACE_S))
        return replace(settings, idle_timeout_s=limit)

    try:
        backend = KioskBackend(services.session_factory, settings)
        app = make_app(
            settings, backend, reader=card_reader(settings), sealer_engine=services.engine
        )
        app.startup_check = checked
        try:
            app.run()
        finally:
            backend.sessions.end_all("station app closed")
        if app.startup_error is not None:
            raise app.startup_error
    finally:
        services.dispose()
    return 0


def _kiosk(args: argparse.Namespace) -> int:
    return run_station(load_settings())


def _demo(args: argparse.Namespace) -> int:
    from kiosk.bootstrap import build_services, demo_settings
    from kiosk.demo import seed_demo

    settings = demo_settings()
    # embedded server (created on first use), migrated, station login ready
    services = build_services(settings, create=True)
    try:
        for line in seed_demo(services):
            log.info("demo: %s", line)
    finally:
        services.dispose()
    return run_station(settings)
