"""Start-up: the sign-in screen shows first; the database checks run in a worker beside it
(kiosk/app.py ``startup_check``), and a refusal closes the app with its reason."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

from domain.errors import PermissionDenied
from screens.sign_in import SignInScreen
from tests.ui.conftest import until


async def test_a_refused_start_up_check_closes_the_app_with_its_reason(make_station):
    """An owner/superuser login (the check's refusal) ends the app; the reason is kept for
    the command line, which prints it and exits 4."""
    station = make_station()
    app = station.app

    def refuse():
        raise PermissionDenied("The database login postgres is a superuser: ...")

    app.startup_check = refuse
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.startup_error is not None, "the refusal")
    assert isinstance(app.startup_error, PermissionDenied)
    assert not app.started


async def test_a_passed_check_applies_the_database_policy(make_station, station_settings):
    """The check's settings (idle limit from the database's session policy) replace the
    station's once it has run; sign-in is allowed from then on."""
    station = make_station()
    app = station.app
    app.startup_check = lambda: replace(station_settings, idle_timeout_s=42)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "sign-in")
        await until(pilot, lambda: app.started, "checked")
        assert app.settings.idle_timeout_s == 42


def test_the_sign_in_screen_needs_no_other_area_or_the_audit_sealer() -> None:
    """Importing the station app imports neither the database layers (they load in its
    first worker, while the sign-in screen draws) nor the other areas' screens, the GS1
    parser or the sealer (they load at the first home screen)."""
    code = (
        "import sys\nimport kiosk.app, kiosk.cli.app\n"
        "heavy = ('screens.admin', 'screens.audit', 'screens.engineering', 'screens.items',"
        " 'screens.item_new', 'biip', 'kiosk.sealer', 'kiosk.tiles', 'alembic', 'sqlalchemy',"
        " 'psycopg', 'domain.models', 'domain.services')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
