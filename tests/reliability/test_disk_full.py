"""The export or batch-record disk is full (a real file system of a few KB: a tmpfs mounted
for the test): a clear error, and no partial file left under a complete file's name — the
station's printed record, `workcell ebr --out`, and `workcell audit export`."""

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
