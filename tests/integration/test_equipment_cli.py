"""`workcell equipment` against the test database, as a script would drive it: a class, a
balance registered, calibrated (signed with --pin-stdin) and listed as usable, a cleaning,
a take-out shown in the listing's refusal; JSON keys snake_case; exit codes 3 and 4."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kiosk import cli
from tests.conftest import TestDatabase, unique
from tests.integration.engineering_helpers import PIN, make_signer

pytestmark = pytest.mark.pg18
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(
    database: TestDatabase,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Run:
    monkeypatch.setenv("WORKCELL_DATABASE_URL", database.station)
    monkeypatch.setenv("WORKCELL_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("WORKCELL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WORKCELL_STATION", "station_pytest")

    def invoke(*argv: str) -> tuple[int, str, str]:
        if "--as" in argv:
            argv = (*argv, "--pin-stdin")
        monkeypatch.setattr("sys.stdin", io.StringIO(PIN + "\n"))
        code = cli.main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


def test_a_balance_from_registration_to_usable(
    run: Run, database: TestDatabase, session_factory: sessionmaker[Session]
) -> None:
    sup = make_signer(database, session_factory, "sup", "supervisor")
    qa = make_signer(database, session_factory, "qa", "qa")
    op = make_signer(database, session_factory, "op", "operator")
    cls, asset = unique("CBAL-").upper(), unique("cb-")
    ok = [
        ("equipment", "add-class", cls, "--description", "Balance", "--calibration-days", "365",
         "--cleaning-days", "1", "--weighing", "--as", sup),
        ("equipment", "register", asset, "--class", cls, "--description", "XPR205",
         "--serial", "B77", "--readability", "0.0001", "--capacity", "220", "--unit", "g",
         "--as", sup),
    ]  # fmt: skip
    for argv in ok:
        code, out, err = run(*argv)
        assert code == 0, err
    assert "usable: no - " in out and "never been calibrated" in out
    due = (dt.date.today() + dt.timedelta(days=200)).isoformat()
    code, out, err = run("equipment", "calibrate", asset, "--result", "pass", "--certificate",
                         "CAL-2026-118", "--next-due", due, "--as", qa)  # fmt: skip
    assert code == 0, err
    assert f"signed by {qa}" in out
    code, _, err = run("equipment", "clean", asset, "--procedure", "SOP-CLN-004", "--as", op)
    assert code == 0, err
    code, out, _ = run("equipment", "list", "--class", cls, "--format", "json")
    rows = json.loads(out)
    assert [(r["asset_id"], r["usable"], r["calibration_due"]) for r in rows] == [
        (asset.upper(), "yes", due)
    ]
    assert set(rows[0]) == {"asset_id", "class", "description", "location", "status",
                            "calibration_due", "cleaning_due", "usable", "refusal"}  # fmt: skip
    code, _, err = run("equipment", "status", asset, "out_of_service", "--reason", "drift",
                       "--as", op)  # fmt: skip
    assert code == 0, err
    code, out, _ = run("equipment", "show", asset, "--format", "json")
    shown = json.loads(out)
    assert shown["status"] == "out_of_service" and shown["usable"] is False
    assert [h["kind"] for h in shown["history"]] == ["status", "cleaning", "calibration"]
    code, out, _ = run("equipment", "show", asset)
    assert code == 0 and "CAL-2026-118" in out and "usable now: NO" in out


def test_exit_codes(
    run: Run, database: TestDatabase, session_factory: sessionmaker[Session]
) -> None:
    """Not found 3; refused 4 (an operator registering, a calibration without a due date)."""
    op = make_signer(database, session_factory, "op", "operator")
    assert run("equipment", "show", "NO-SUCH-UNIT")[0] == cli.NOT_FOUND
    code, _, err = run("equipment", "register", unique("x"), "--class", "BALANCE",
                       "--description", "x", "--as", op)  # fmt: skip
    assert code == cli.REFUSED and "equipment.manage" in err
    code, _, err = run("equipment", "calibrate", "NO-SUCH", "--result", "pass",
                       "--certificate", "C", "--as", op)  # fmt: skip
    assert code == cli.REFUSED and "next due date" in err
    assert run("equipment", "list", "--format", "yaml")[0] == cli.USAGE
