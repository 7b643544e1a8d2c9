"""Export bundle: verifies offline (no database); one changed byte anywhere fails it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.audit import bundle
from tests.integration.audit_fixtures import Cli, fresh_database, make_cli, write_items

pytestmark = [pytest.mark.pg18, pytest.mark.requirement("11.10(b)", "Annex 11 §17")]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A trail with sealed entries and one entry not yet sealed, exported by the CLI."""
    tmp = tmp_path_factory.mktemp("bundle")
    with pytest.MonkeyPatch.context() as monkeypatch, fresh_database("wcbundle") as db:
        cli = make_cli(monkeypatch, tmp, db)
        write_items(db, 4, "EXP", updates=2)
        assert cli.run("audit", "seal")[0] == 0
        write_items(db, 1, "UNSEALED")
        code, out = cli.run("audit", "export", "--out", str(tmp / "bundle"))
        assert code == 0, out
        assert "SHA-256 of MANIFEST.sha256" in out
        yield tmp / "bundle"


def _verify(cli_dir: Path, target: Path) -> tuple[int, str]:
    # --bundle needs no database: point the URLs at nothing to prove it.
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("WORKCELL_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
        monkeypatch.delenv("WORKCELL_ADMIN_DATABASE_URL", raising=False)
        return Cli(None, cli_dir).run("audit", "verify", "--bundle", str(target))  # type: ignore[arg-type]


def _copy(exported: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(exported, target)
    return target


def test_exported_bundle_verifies_offline(exported: Path, tmp_path: Path) -> None:
    """The untouched bundle verifies with no database reachable; the unsealed entry is listed."""
    code, out = _verify(tmp_path, exported)
    assert code == 0, out
    assert "bundle INTACT" in out and "1 not yet sealed at export" in out
    files = [*bundle.FILES, *bundle.OPTIONAL_FILES, bundle.MANIFEST]
    assert sorted(p.name for p in exported.iterdir()) == sorted(files)


@pytest.mark.parametrize("name", [*bundle.FILES, *bundle.OPTIONAL_FILES, bundle.MANIFEST])
def test_one_changed_byte_in_any_file_fails(exported: Path, tmp_path: Path, name: str) -> None:
    """Flip one byte in the middle of each file in turn: verification fails and says why."""
    target = _copy(exported, tmp_path)
    path = target / name
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle] = ord("0") if data[middle] != ord("0") else ord("1")
    path.write_bytes(bytes(data))
    code, out = _verify(tmp_path, target)
    assert code == 1
    assert "NOT INTACT" in out


def _rewrite_manifest(target: Path) -> None:
    manifest = "".join(f"{bundle.file_sha256(target / n)}  {n}\n" for n in bundle.FILES)
    (target / bundle.MANIFEST).write_text(manifest)


def test_consistent_edit_with_a_new_manifest_still_fails(exported: Path, tmp_path: Path) -> None:
    """Editing an entry's field, canonical string and hash, and re-hashing the manifest, is
    caught by the chain, which sealed the old hash."""
    target = _copy(exported, tmp_path)
    lines = (target / bundle.ENTRIES).read_text().splitlines(keepends=True)
    record = json.loads(lines[2])
    record["reason"] = "edited later"
    values = json.loads(record["canonical"])
    values[bundle.CANONICAL_FIELDS.index("reason")] = "edited later"
    record["canonical"] = json.dumps(values, ensure_ascii=False, separators=(", ", ": "))
    record["entry_hash"] = bundle.sha256_hex(record["canonical"])
    lines[2] = bundle.entry_record(record)
    (target / bundle.ENTRIES).write_text("".join(lines))
    _rewrite_manifest(target)
    code, out = _verify(tmp_path, target)
    assert code == 1
    assert f"entry {record['id']}" in out and "differs from the sealed one" in out


def test_field_that_disagrees_with_its_canonical_string_fails(
    exported: Path, tmp_path: Path
) -> None:
    """The readable fields must say what the hashed canonical string says."""
    target = _copy(exported, tmp_path)
    lines = (target / bundle.ENTRIES).read_text().splitlines(keepends=True)
    record = json.loads(lines[1])
    record["actor"] = "someone_else"
    lines[1] = bundle.entry_record(record)
    (target / bundle.ENTRIES).write_text("".join(lines))
    _rewrite_manifest(target)
    code, out = _verify(tmp_path, target)
    assert code == 1
    assert "fields differ from its canonical string" in out


def test_extra_file_in_the_bundle_fails(exported: Path, tmp_path: Path) -> None:
    """A file slipped into the bundle is not covered by the manifest: refused."""
    target = _copy(exported, tmp_path)
    (target / "notes.txt").write_text("added later")
    code, out = _verify(tmp_path, target)
    assert code == 1
    assert "notes.txt is not part of the bundle" in out
