"""True copies of single records (issue 15 item 3): `workcell record export TYPE KEY` for an
item, BOM and routing revisions, the ECO that released them, a lot, a deviation, an
inspection, an NCR and a CAPA — the batch record's renderer, register function and verifier:
PDF/A-3b with the JSON twin, every signature with its manifestation and validity, the audit
excerpt, the signed content whose SHA-256 is recomputed offline, and "changed since signed"."""

# ruff: noqa: E501  (SQL reads better unwrapped)

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import InvalidInput, NotFound, PermissionDenied
from domain.records import canonical, copies, render
from domain.records.verify import verify_file
from domain.services import item_approval
from domain.services.item_approval import ItemChanges
from domain.services.quality import capa, ncr
from tests.conftest import TestDatabase
from tests.integration.engineering_helpers import ENGINEER, make_signer
from tests.integration.records_helpers import completed_work_order
from tests.integration.test_quality import Quality, _receive, _release_template
from tests.integration.work_order_helpers import Line, build_line

pytestmark = pytest.mark.pg18


@dataclasses.dataclass(frozen=True)
class World:
    line: Line
    q: Quality
    keys: dict[str, str]  # record type → KEY as `record export` takes it


@pytest.fixture(scope="module")
def world(database: TestDatabase, session_factory: sessionmaker[Session]) -> World:
    """One of every kind of record, made through the services (the work order first: the
    receiving template released afterwards sends new cap lots to inspection)."""
    line = build_line(database, session_factory)
    wo = completed_work_order(line)
    people = [make_signer(database, session_factory, p, r)
              for p, r in (("rqe", "engineer"), ("rinsp", "operator"), ("reng", "engineer"), ("rqa", "qa"))]  # fmt: skip
    q = Quality(line.plant, *people)
    p = line.plant
    _release_template(q, "cap")
    lot_in, inspection = _receive(q)
    with p.uow(p.qa) as uow:
        n = ncr.raise_ncr(uow, ncr.NewNcr("Flash on caps", "seen at the dock", 3, 2, (lot_in,)))
        c = capa.raise_capa(uow, n.number, "Tool wear", [q.engineer] * 8 + [p.qa],
                            [p.today] * 9)  # fmt: skip
        uow.commit()
    with p.factory() as s:
        w = s.execute(
            text(
                "SELECT b.revision, r.revision, l.lot_number FROM workcell.work_order w"
                " JOIN workcell.bom_revision b ON b.id = w.bom_revision_id"
                " JOIN workcell.routing_revision r ON r.id = w.routing_revision_id"
                " JOIN workcell.lot l ON l.id = w.output_lot_id WHERE w.number = :n"
            ),
            {"n": wo},
        ).one()
        eco = s.execute(
            text(
                "SELECT e.number FROM workcell.eco e JOIN workcell.eco_item x ON x.eco_id = e.id"
                " JOIN workcell.item i ON i.id = x.item_id WHERE i.item_number = :i ORDER BY e.id DESC LIMIT 1"
            ),
            {"i": line.item},
        ).scalar_one()
        dev = s.execute(
            text(
                "SELECT d.number FROM workcell.deviation d JOIN workcell.work_order w ON w.id = d.work_order_id"
                " WHERE w.number = :n ORDER BY d.id LIMIT 1"
            ),
            {"n": wo},
        ).scalar_one()
    keys = {
        "item": line.cap,
        "bom_revision": f"{line.item}:{w[0]}",
        "routing_revision": f"{line.item}:{w[1]}",
        "eco": eco,
        "lot": w[2],
        "deviation": dev,
        "inspection": inspection,
        "ncr": n.number,
        "capa": c.number,
    }
    return World(line, q, keys)


def _signatures_in_db(line: Line, record_type: str, record_id: int) -> int:
    with line.plant.factory() as s:
        return int(
            s.execute(
                text(
                    "SELECT count(*) FROM workcell.signature WHERE record_type = :t AND record_id = :i"
                ),
                {"t": record_type, "i": record_id},
            ).scalar_one()
        )


def test_every_kind_is_copied_registered_and_verifies(world: World, tmp_path: Path) -> None:
    """For each kind: the PDF verifies offline; the twin carries the signed content whose
    SHA-256 is the database's content hash, every signature of the record with its binding
    hash, the audit excerpt; the copy is registered with the database's key and content hash;
    the PDF's text shows the manifestations; pikepdf sees PDF/A-3B with the twin in /AF."""
    line = world.line
    for record_type, key in world.keys.items():
        with line.uow(line.qa2) as uow:
            made = copies.export(uow, record_type, key)
            uow.commit()
        assert made.pdf is not None
        path = tmp_path / f"{record_type}.pdf"
        path.write_bytes(made.pdf)
        report = verify_file(path)
        assert report.problems == [], (record_type, report.problems)
        assert report.json_sha256 == made.json_sha256 == report.printed_sha256
        twin = json.loads(report.twin)
        subject = twin["subject"]
        assert subject["key"] == key.upper() or subject["key"] == key
        assert (
            hashlib.sha256(subject["content_text"].encode()).hexdigest() == subject["content_hash"]
        )
        own = [c for c in twin["signatures"] if c["signature"]["record_type"] == record_type]
        assert len(own) == _signatures_in_db(line, record_type, subject["id"]), record_type
        assert any(a["table_name"] == f"workcell.{record_type}" for a in twin["audit_trail"]), (
            record_type
        )
        assert twin["changed_since_signed"] is False, record_type
        words = " ".join(p.extract_text() or "" for p in PdfReader(path).pages).replace("\n", " ")
        assert f"True copy — {made.record.subject.kind} {subject['key']}" in words
        for c in twin["signatures"]:
            assert c["signature"]["manifestation"] in words
        with pikepdf.open(path) as pdf:
            meta = pdf.open_metadata()
            assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
            assert [a.UF for a in pdf.Root.AF] == [made.attachment_name]
        with line.plant.factory() as s:
            row = s.execute(
                text(
                    "SELECT record_type, record_key, record_id, format, content_hash, pages"
                    " FROM workcell.record_copy WHERE id = :id"
                ),
                {"id": made.copy_id},
            ).one()
        assert tuple(row) == (record_type, subject["key"], subject["id"], "pdf",
                              subject["content_hash"], made.pages)  # fmt: skip
    signed = {t for t in world.keys if t not in ("capa",)}
    assert signed  # every kind but an unsigned CAPA carries signatures in this world


def test_a_record_changed_after_signing_is_flagged(world: World, tmp_path: Path) -> None:
    """An approved item reopened and edited: its approval is no longer on the content
    printed (not valid), the copy says "changed since signed", and still verifies; the
    database check of an earlier copy names what changed."""
    line, p = world.line, world.line.plant
    item = line.resin
    with line.uow(line.qa2) as uow:
        before = copies.export(uow, "item", item, "json")
        uow.commit()
    assert before.record.changed_since_signed is False and before.record.signatures
    with p.uow(p.qa) as uow:
        item_approval.return_to_draft(uow, item, "new supplier grade")
        uow.commit()
    with p.uow(ENGINEER) as uow:
        item_approval.edit_draft_item(
            uow, item, ItemChanges(description="Resin, grade B"), "grade B"
        )
        uow.commit()
    with line.uow(line.qa2) as uow:
        after = copies.export(uow, "item", item)
        uow.commit()
    assert after.record.changed_since_signed is True
    approval = after.record.signatures[0]
    assert not approval.current and not approval.signature.valid
    assert after.pdf is not None
    path = tmp_path / "changed.pdf"
    path.write_bytes(after.pdf)
    assert verify_file(path).problems == []
    text_ = " ".join(pg.extract_text() or "" for pg in PdfReader(path).pages).replace("\n", " ")
    assert "YES: a signature of this item was made on other content" in text_
    with line.uow(line.qa2) as uow:
        changed = copies.changes_since(uow, before.json)
    assert any(c.startswith("subject.content_text") for c in changed)
    assert any(c.startswith("subject.content_hash") for c in changed)
    assert any(c.startswith("changed_since_signed") for c in changed)


def test_a_json_copy_is_the_twin_and_tampering_is_named(world: World, tmp_path: Path) -> None:
    """--format json: the canonical twin alone, registered by its digest; a changed value
    in the signed content, a changed printed name or a flipped flag is named."""
    line = world.line
    with line.uow(line.qa2) as uow:
        made = copies.export(uow, "lot", world.keys["lot"], "json")
        uow.commit()
    assert made.pdf is None and made.pdf_sha256 is None and made.pages == 0
    path = tmp_path / "lot.json"
    path.write_bytes(made.json)
    report = verify_file(path)
    assert report.problems == [] and report.json_sha256 == made.json_sha256
    assert report.signatures >= 1
    with line.uow(line.qa2) as uow:
        row = copies.lookup(uow, json_sha256=made.json_sha256)
        assert row is not None and row.id == made.copy_id and row.pdf_sha256 is None

    def forged(change: object) -> list[str]:
        twin = json.loads(made.json)
        change(twin)  # type: ignore[operator]
        target = tmp_path / "forged.json"
        target.write_bytes(canonical.dumps(twin))
        return verify_file(target).problems

    def content(t: dict) -> None:  # type: ignore[type-arg]
        t["subject"]["content_text"] = t["subject"]["content_text"].replace(
            world.keys["lot"], "L-OTHER"
        )

    def name(t: dict) -> None:  # type: ignore[type-arg]
        t["signatures"][0]["signature"]["printed_name"] = "Someone Else"

    def flag(t: dict) -> None:  # type: ignore[type-arg]
        t["changed_since_signed"] = True

    assert any("does not hash to the content SHA-256" in x for x in forged(content))
    assert any("binding hash does not match" in x for x in forged(name))
    assert any("changed since signed" in x for x in forged(flag))
    path.write_bytes(made.json.replace(b":", b": ", 1))  # not canonical any more
    assert any("canonical" in x for x in verify_file(path).problems)


def test_refusals_are_clear_and_write_nothing(world: World) -> None:
    line = world.line
    with (
        line.uow(line.qa2) as uow,
        pytest.raises(InvalidInput, match="name one of item, bom_revision"),
    ):
        copies.export(uow, "work_order", "WO-1")
    with line.uow(line.qa2) as uow, pytest.raises(NotFound, match="There is no lot 'no-such'"):
        copies.export(uow, "lot", "no-such")
    with line.uow(line.qa2) as uow, pytest.raises(InvalidInput, match="pdf or a json"):
        copies.export(uow, "lot", world.keys["lot"], "xml")
    with line.uow(line.op1) as uow, pytest.raises(PermissionDenied):
        copies.export(uow, "lot", world.keys["lot"])


def test_templates_a_plant_adapts_are_hashed_into_the_copy(world: World, tmp_path: Path) -> None:
    """A copy of the template folder with the plant's own company, address, document number
    and logo: printed, and the template hash (over the files and the logo) changes."""
    import shutil

    folder = tmp_path / "plant"
    shutil.copytree(render.TEMPLATES, folder)
    (folder / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20"/></svg>'
    )
    toml = (folder / "plant.toml").read_text()
    toml = toml.replace('company = "WorkCell Demo Plant"', 'company = "Acme Devices GmbH"')
    toml = toml.replace(
        'record_document_number = "QF-0151"', 'record_document_number = "SOP-77-F3"'
    )
    (folder / "plant.toml").write_text(toml.replace('logo = ""', 'logo = "logo.svg"'))
    tpl = render.templates(folder)
    assert tpl.sha256 != render.templates().sha256
    line = world.line
    with line.uow(line.qa2) as uow:
        made = copies.export(uow, "deviation", world.keys["deviation"], templates=tpl)
        uow.commit()
    assert made.pdf is not None
    path = tmp_path / "plant.pdf"
    path.write_bytes(made.pdf)
    words = " ".join(pg.extract_text() or "" for pg in PdfReader(path).pages)
    assert (
        "Acme Devices GmbH" in words
        and "SOP-77-F3" in words
        and tpl.sha256 in words.replace("\n", "")
    )
    assert verify_file(path).problems == []
    (folder / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    assert render.templates(folder).sha256 != tpl.sha256  # a changed logo shows


def test_cli_export_and_record_verify(
    world: World,
    database: TestDatabase,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`workcell record export ncr KEY --as QA --out FILE` (0), `record verify FILE
    --database` (0, registered, unchanged), the same file again is refused (4), an unknown
    type is refused before the PIN (4), an unknown record is not found (3)."""
    from kiosk.cli import main
    from tests.sessions import pin_of

    line = world.line
    monkeypatch.setenv("WORKCELL_DATABASE_URL", database.station)
    monkeypatch.setenv("WORKCELL_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("WORKCELL_DATA_DIR", str(tmp_path))
    pin = pin_of(line.plant.factory, line.qa2)
    out = tmp_path / "ncr.pdf"
    argv = [
        "record",
        "export",
        "ncr",
        world.keys["ncr"],
        "--as",
        line.qa2,
        "--pin-stdin",
        "--out",
        str(out),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{pin}\n"))
    assert main(argv) == 0
    said = capsys.readouterr().out
    assert "true copy of nonconformance report" in said and "unchanged since signed" in said
    assert main(["record", "verify", str(out), "--database"]) == 0
    said = capsys.readouterr().out
    assert "registered: copy" in said and "unchanged since it was printed" in said
    assert main(["ebr", "verify", str(out)]) == 0  # one verifier for every copy
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{pin}\n"))
    assert main(argv) == 4
    assert main(["record", "export", "batch", "X", "--as", line.qa2, "--pin-stdin"]) == 4
    assert "name one of" in capsys.readouterr().err
    json_out = tmp_path / "missing.json"
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{pin}\n"))
    assert main(["record", "export", "capa", "CAPA-NONE", "--as", line.qa2, "--pin-stdin",
                 "--format", "json", "--out", str(json_out)]) == 3  # fmt: skip
    assert not json_out.exists()
