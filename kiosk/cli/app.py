"""`workcell` / `workcell kiosk` (the station app) and `workcell demo` (same, on demo data)."""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace
from decimal import Decimal
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
    """The station app. It draws its sign-in screen first; SQLAlchemy, the domain and the
    database (the station-login check, the session policy, the sealer) are set up in its
    first worker meanwhile (docs/BENCHMARKS.md, "Kiosk start-up")."""
    from typing import cast

    from kiosk.app import StationBackend, make_app
    from kiosk.deferred import DeferredBackend

    deferred = DeferredBackend()
    app = make_app(
        settings, cast(StationBackend, deferred), reader=card_reader(settings), pace_heap=True
    )
    built: list[Any] = []

    def start() -> StationSettings:
        from domain.services import identity
        from kiosk.backend import KioskBackend
        from kiosk.bootstrap import build_services
        from kiosk.database import require_station_login
        from kiosk.shift import SESSION_GRACE_S

        try:
            services = build_services(settings)
            built.append(services)
            backend = KioskBackend(services.session_factory, settings)
            built.append(backend)
            require_station_login(services.engine)  # never the owner or a superuser
            # lock before the database ends an idle session (less a grace for the last click)
            idle_s = identity.server_policy(services.session_factory).session_idle_s
        except BaseException as exc:
            deferred.failed(exc)
            raise
        deferred.ready(backend)
        app.call_from_thread(app.attach_sealer, services.engine)
        limit = max(1, min(settings.idle_timeout_s, idle_s - SESSION_GRACE_S))
        return replace(settings, idle_timeout_s=limit)

    app.startup_check = start
    try:
        app.run()
    finally:
        if len(built) > 1:
            built[1].sessions.end_all("station app closed")
        if built:
            built[0].dispose()
    if app.startup_error is not None:
        raise app.startup_error
    return 0


def _kiosk(args: argparse.Namespace) -> int:
    return run_station(load_settings())


def _demo(args: argparse.Namespace) -> int:
    from hardware.balance_sim import BalanceSimulator
    from kiosk.bootstrap import build_services, demo_settings
    from kiosk.demo import equipment as demo_equipment
    from kiosk.demo import seed_demo

    settings = demo_settings()
    # embedded server (created on first use), migrated, station login ready
    services = build_services(settings, create=True)
    try:
        for line in seed_demo(services):
            log.info("demo: %s", line)
    finally:
        services.dispose()
    # the demo's BAL-001 is a simulator on a local socket (the adhesive cup on its pan)
    # unless the station file names real balances
    with BalanceSimulator(serial=demo_equipment.BALANCES["BAL-001"]) as balance:
        balance.load(Decimal("0.0503"))
        wired = settings.balances or {"BAL-001": balance.url}
        return run_station(replace(settings, balances=wired))
