"""The export or batch-record disk is full (a real file system of a few KB: a tmpfs mounted
for the test): a clear error, and no partial file left under a complete file's name — the
station's printed record, `workcell ebr --out`, and `workcell audit export`. And, on the same
completed work order, no secret in any log, export, record or the audit trail."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.files import FileNotWritten
from domain.records.verify import verify_file
from kiosk.cli import main
from kiosk.records_backend import RecordsStationBackend
from kiosk.sessions import SessionBook
from kiosk.settings import StationSettings
from tests.conftest import TestDatabase
from tests.integration.records_helpers import completed_work_order
from tests.integration.work_order_helpers import Line
from tests.sessions import pin_of, session_of

pytestmark = pytest.mark.slow  # a completed work order and its record: half a minute to make


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 KB file system: a batch record or an audit bundle does not fit."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


@pytest.fixture(scope="module")
def completed(line: Line) -> str:
    return completed_work_order(line)


def _visible(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*"))


def test_ebr_cli_on_a_full_disk_says_so_and_leaves_no_file(
    line: Line, completed: str, database: TestDatabase, full_disk: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:  # fmt: skip
    """`workcell ebr WO --out` onto a full disk: refused with the reason, nothing under the
    name (not even a temporary file); printed again elsewhere, it verifies."""
    monkeypatch.setenv("WORKCELL_DATABASE_URL", database.station)
    monkeypatch.setenv("WORKCELL_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("WORKCELL_DATA_DIR", str(tmp_path / "data"))
    pin = pin_of(line.plant.factory, line.qa2)
    out = full_disk / "record.pdf"
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{pin}\n"))
    code = main(["ebr", completed, "--as", line.qa2, "--pin-stdin", "--out", str(out)])
    said = capsys.readouterr()
    assert code != 0
    assert "the disk is full" in said.err and "Nothing was left" in said.err, said
    assert _visible(full_disk) == []

    elsewhere = tmp_path / "record.pdf"
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{pin}\n"))
    assert main(["ebr", completed, "--as", line.qa2, "--pin-stdin", "--out", str(elsewhere)]) == 0
    assert verify_file(elsewhere).problems == []


def test_station_record_on_a_full_data_disk(line: Line, completed: str, full_disk: Path) -> None:
    """The station's Print record with its data directory full: FileNotWritten, and no
    empty or partial PDF left in records/."""
    settings = StationSettings(name="pytest", data_dir=full_disk)
    book = SessionBook(line.plant.factory)
    book.add(session_of(line.plant.factory, line.qa2))
    backend = RecordsStationBackend(line.plant.factory, settings, sessions=book)
    with pytest.raises(FileNotWritten) as refused:
        backend.print_record(line.qa2, completed, lambda _f, _m: None)
    assert "the disk is full" in refused.value.message
    assert [p for p in _visible(full_disk) if p != "records"] == []


def test_audit_export_on_a_full_disk_leaves_no_bundle(
    database: TestDatabase, full_disk: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:  # fmt: skip
    """`workcell audit export DIR` onto a full disk: refused with the reason; no bundle file
    is left (a partial entries file without its manifest would look like a short trail)."""
    monkeypatch.setenv("WORKCELL_DATABASE_URL", database.station)
    monkeypatch.setenv("WORKCELL_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("WORKCELL_DATA_DIR", str(tmp_path / "data"))
    target = full_disk / "bundle"
    code = main(["audit", "export", "--out", str(target)])
    said = capsys.readouterr()
    assert code != 0 and "the disk is full" in said.err, said
    assert _visible(target) == []


def test_no_secret_in_logs_exports_records_or_the_trail(
    line: Line, completed: str, database: TestDatabase, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, tmp_path: Path,
) -> None:  # fmt: skip
    """After sign-ins, scans, signatures (with a refused PIN), a printed batch record and an
    audit export: no PIN, session token, PIN verifier (stored key or salt) appears in the
    logs, the console output, the export, the record's PDF or JSON twin, or the audit trail."""
    import logging
    import re

    from domain.errors import AuthenticationFailed
    from domain.services import identity
    from domain.services.identity import Credentials
    from tests.integration.engineering_helpers import POLICY, STATION
    from tests.reliability import flow

    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("WORKCELL_DATABASE_URL", database.station)
    monkeypatch.setenv("WORKCELL_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("WORKCELL_DATA_DIR", str(tmp_path / "data"))
    flow.at_step_two(line)  # scans and a signature by op1
    with pytest.raises(AuthenticationFailed):
        identity.authenticate(line.plant.factory, Credentials("739158", username=line.op1),
                              station=STATION, policy=POLICY)  # fmt: skip
    pin = pin_of(line.plant.factory, line.qa2)
    record = tmp_path / "record.pdf"
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{pin}\n"))
    assert main(["ebr", completed, "--as", line.qa2, "--pin-stdin", "--out", str(record)]) == 0
    bundle = tmp_path / "bundle"
    assert main(["audit", "export", "--out", str(bundle)]) == 0

    people = (line.op1, line.qa2)
    secrets = {pin_of(line.plant.factory, p) for p in people} | {"739158"}
    tokens = {session_of(line.plant.factory, p).token for p in people}
    verifiers = {
        value
        for row in flow.owner_rows(
            database,
            "SELECT encode(v.stored_key, 'hex'), encode(v.salt, 'hex') FROM auth.pin_verifier v"
            " JOIN workcell.user_pin p ON p.id = v.pin_id JOIN workcell.users u"
            " ON u.id = p.user_id WHERE u.username = ANY(%s)",
            list(people),
        )
        for value in row
    }
    assert tokens and verifiers
    out = capsys.readouterr()
    places = {
        "log": caplog.text,
        "console": out.out + out.err,
        "export": "".join(p.read_text("utf-8") for p in bundle.iterdir()),
        "record twin": verify_file(record).twin.decode("utf-8"),
        "record PDF": record.read_bytes().decode("latin-1"),
        "audit trail": "\n".join(
            str(r) for r in flow.owner_rows(database, "SELECT to_jsonb(e)::text FROM audit.entry e")
        ),
    }
    for where, text in places.items():
        for secret in tokens | verifiers:
            assert secret not in text and secret.upper() not in text, f"a secret in the {where}"
        if where != "record PDF":  # compressed streams hold any six digits by chance
            for secret in secrets:
                # a PIN as a token of its own: hex digests hold any six digits by chance, and
                # so do the microseconds of a timestamp and decimals ("06:02:11.739158",
                # "0.739158"), of which the trail holds thousands: not after a "." either
                found = re.search(rf"(?<![0-9A-Za-z.]){secret}(?![0-9A-Za-z])", text)
                assert found is None, (
                    f"a PIN in the {where}: …{text[found.start() - 40 : found.end() + 40]}…"
                    if found
                    else ""
                )
