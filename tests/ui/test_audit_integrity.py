"""Integrity view: seal state, verify with a progress bar, exports (and unwritable targets)."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from domain.audit.query import AuditFilter
from screens.audit.integrity import ExportModal, IntegrityScreen
from tests.ui.admin_helpers import click
from tests.ui.audit_helpers import audit_backend, item_with_history
from tests.ui.conftest import screen_text, sign_in, until


def _unwritable(tmp_path: Path) -> Path:
    """A directory this process cannot create files in (root ignores mode bits: use /sys)."""
    if os.geteuid() == 0:
        return Path("/sys")
    target = tmp_path / "read-only"
    target.mkdir()
    target.chmod(0o555)
    return target


async def test_verify_runs_with_a_progress_bar_and_is_remembered(make_station, person):
    """Verify now: the bar reaches 100 %, the outcome is shown and kept for the next visit."""
    quinn = person("qa")
    station = make_station()
    app = station.app
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, quinn)
        screen = IntegrityScreen(audit_backend(station))
        app.push_screen(screen)
        await until(pilot, lambda: screen.status is not None, "the seal state")
        assert "none recorded" in screen_text(app)
        await pilot.press("v")
        await until(
            pilot,
            lambda: screen.outcome is not None,
            "the verify outcome",
        )
        assert screen.query_one("#int-progress").progress == 100
        text = screen_text(app)
        assert "INTACT" in text and quinn.username in text
        app.pop_screen()
        again = IntegrityScreen(audit_backend(station))
        app.push_screen(again)
        await until(pilot, lambda: again.status is not None, "the seal state again")
        assert again.status.last_verify == screen.outcome
    kept = json.loads((station.settings.data_dir / "last_verify.json").read_text())
    assert kept["by"] == quinn.username


async def test_export_to_an_unwritable_directory_says_so_and_writes_nothing(
    make_station, person, tmp_path
):
    """An export target that cannot be written is refused with a message naming it."""
    quinn = person("qa")
    station = make_station()
    app = station.app
    target = _unwritable(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, quinn)
        modal = ExportModal(audit_backend(station), AuditFilter(), directory=target)
        app.push_screen(modal)
        await click(pilot, "#exp-go")
        await until(pilot, lambda: "not writable" in screen_text(app), "the refusal")
        assert f"Cannot write to {target}" in screen_text(app)
        assert not modal.running


async def test_filtered_trail_exports_as_csv_and_json(make_station, person, make_uow, tmp_path):
    """CSV and JSON exports hold exactly the filtered entries with before/after and hashes."""
    quinn, erin = person("qa"), person("engineer")
    record = item_with_history(make_uow, erin.username, 4)
    station = make_station()
    app = station.app
    flt = AuditFilter(table="item", record=str(record.item_id))
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, station, quinn)
        modal = ExportModal(audit_backend(station), flt, directory=tmp_path)
        app.push_screen(modal)
        await click(pilot, "#exp-go")
        await until(pilot, lambda: "Exported 5 entries" in screen_text(app), "the CSV export")
        await click(pilot, "#exp-json")
        await click(pilot, "#exp-go")
        await until(pilot, lambda: list(tmp_path.glob("*.json")), "the JSON export")
    (csv_file,) = tmp_path.glob("audit-*.csv")
    rows = list(csv.DictReader(csv_file.open()))
    assert [r["operation"] for r in rows] == ["INSERT", "UPDATE", "UPDATE", "UPDATE", "UPDATE"]
    assert rows[-1]["reason"] == "pytest change 4" and len(rows[-1]["entry_hash"]) == 64
    assert json.loads(rows[-1]["after"])["description"] == "Audit subject rev 4"
    (json_file,) = tmp_path.glob("audit-*.json")
    entries = json.loads(json_file.read_text())
    assert [e["entry_id"] for e in entries] == [int(r["entry_id"]) for r in rows]


async def test_offline_bundle_export_writes_a_verifiable_directory(make_station, person, tmp_path):
    """The bundle holds the whole trail with its manifest; the screen shows the manifest hash."""
    quinn = person("qa")
    station = make_station()
    app = station.app
    async with app.run_test(size=(160, 48)) as pilot:
        await sign_in(pilot, station, quinn)
        app.push_screen(ExportModal(audit_backend(station), AuditFilter(), directory=tmp_path))
        await click(pilot, "#exp-bundle")
        await click(pilot, "#exp-go")
        await until(pilot, lambda: "MANIFEST" in screen_text(app), "the bundle written")
    (bundle,) = tmp_path.glob("audit-*-bundle")
    assert (bundle / "MANIFEST.sha256").exists() and (bundle / "entries.jsonl").exists()
