"""The batch record (issue 15): generated from a completed work order seeded through the
work order services, PDF/A-3b markers present, the JSON twin extracted equal to the record
collected, every value, lot, signature manifestation, deviation and the release in it (from
the twin and from the PDF text), tamper detection offline and with the database, and the
refusal for a work order that is not complete."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session, sessionmaker

from domain.errors import RuleViolation
from domain.records import canonical, collect, copies, render
from domain.records.verify import verify_file
from tests.conftest import TestDatabase
from tests.integration.records_helpers import completed_work_order
from tests.integration.work_order_helpers import Line, build_line

pytestmark = pytest.mark.requirement("11.10(b)", "11.50", "Annex 11 §8")


@pytest.fixture(scope="module")
def line(database: TestDatabase, session_factory: sessionmaker[Session]) -> Line:
    return build_line(database, session_factory)


@pytest.fixture(scope="module")
def made(
    line: Line, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path, copies.Generated]:
    wo = completed_work_order(line)
    with line.uow(line.qa2) as uow:
        out = copies.generate(uow, wo)
        uow.commit()
    path = tmp_path_factory.mktemp("ebr") / f"{wo}.pdf"
    path.write_bytes(out.rendered.pdf)
    return wo, path, out


def test_generated_pdf_verifies(made: tuple[str, Path, copies.Generated]) -> None:
    """A freshly generated record passes every offline check."""
    _, path, out = made
    report = verify_file(path)
    assert report.problems == []
    assert report.json_sha256 == out.rendered.json_sha256 == report.printed_sha256
    assert report.twin == canonical.dumps(out.record)
    assert report.signatures == len(out.record.signatures) > 0


def _text(path: Path) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(path).pages)


def test_pdfa_3b_properties(made: tuple[str, Path, copies.Generated]) -> None:
    """Checked with another parser (qpdf): XMP pdfaid part 3 / conformance B, an ICC output
    intent, every font embedded, no encryption or JavaScript, the JSON embedded with
    /AFRelationship and listed once in the catalog's /AF."""
    wo, path, _ = made
    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFA1" and "/DestOutputProfile" in intent
        assert not pdf.is_encrypted and "/JavaScript" not in pdf.Root.get("/Names", {})
        af = list(pdf.Root.AF)
        assert len(af) == 1 and af[0].AFRelationship == "/Data" and f"{wo}.json" == af[0].UF
        assert list(pdf.attachments) == [f"{wo}.json"]
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                target = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                desc = target.FontDescriptor
                assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_twin_and_pdf_text_carry_the_whole_record(made: tuple[str, Path, copies.Generated]) -> None:
    """Every value, lot, signature manifestation, deviation and the release is in the JSON
    twin and in the printed text; every page says "page n of N" and the twin's hash."""
    wo, path, out = made
    twin = json.loads(verify_file(path).twin)
    text = _text(path)
    header = twin["header"]["work_order"]
    assert header["number"] == wo and header["output_lot_status"] == "released"
    values = [
        e["value"]
        for st in twin["steps"]
        for f in st["step"]["fields"]
        for e in f["history"]
        if e["kind"] == "value"
    ]
    assert values == ["10.62", "fail", "pass", "pass"]
    assert "10.62" in text and "tapped the wrong key" in text
    lots = [c["lot_number"] for st in twin["steps"] for c in st["consumed"]]
    assert len(lots) == 2 and all(lot in text for lot in lots)
    sigs = out.record.signatures
    meanings = sorted(s.meaning for s in sigs)
    assert meanings.count("reviewed") == 2 and "released" in meanings
    assert meanings.count("approved") == 2  # both deviations, by QA
    for s in sigs:
        assert s.valid and s.manifestation in text.replace("\n", " ")
    assert [d["deviation"]["status"] for d in twin["deviations"]] == ["approved", "approved"]
    kinds = [x["kind"] for x in twin["exceptions"]]
    assert kinds[:2] == ["deviation", "deviation"] and "correction" in kinds
    pages = PdfReader(path).pages
    for n, page in enumerate(pages, start=1):
        t = page.extract_text()
        assert f"Page {n} of {len(pages)}" in t and out.rendered.json_sha256 in t
    assert twin["audit_head"]["chain_hash"] is None or len(twin["audit_head"]["chain_hash"]) == 64
    assert any(a["table_name"] == "workcell.work_order" for a in twin["audit_trail"])


def test_the_copy_is_registered(line: Line, made: tuple[str, Path, copies.Generated]) -> None:
    """The PDF's SHA-256 is in workcell.record_copy, made by the person who printed it."""
    wo, path, out = made
    with line.uow(line.qa2) as uow:
        row = copies.lookup(uow, verify_file(path).pdf_sha256)
        assert row is not None and row.id == out.copy_id and row.record_key == wo
        assert row.json_sha256 == out.rendered.json_sha256 and line.qa2 in row.made_by
        assert copies.changes_since(uow, out.rendered.json) == []


def _rewrite_twin(path: Path, target: Path, change: bytes) -> None:
    """Replace the embedded JSON's bytes (as an editor would), keeping everything else."""
    with pikepdf.open(path) as pdf:
        stream = pdf.Root.AF[0].EF.F
        stream.write(change)
        pdf.save(target)


def test_a_changed_byte_in_the_twin_is_named(
    made: tuple[str, Path, copies.Generated], tmp_path: Path
) -> None:
    _, path, out = made
    changed = bytearray(out.rendered.json)
    at = changed.index(b"10.62")
    changed[at + 3] = ord("9")  # 10.62 → 10.92
    target = tmp_path / "twin.pdf"
    _rewrite_twin(path, target, bytes(changed))
    problems = verify_file(target).problems
    assert any("stored checksum" in p for p in problems)
    assert any("the pages print" in p for p in problems)


def test_a_changed_byte_in_the_pdf_is_caught_by_the_database(
    line: Line, made: tuple[str, Path, copies.Generated], tmp_path: Path
) -> None:
    """A byte changed outside the twin (the page text) is not seen offline, but the PDF is
    no longer the registered one."""
    _, path, _ = made
    data = bytearray(path.read_bytes())
    at = data.index(b"stream", len(data) // 3) + 40  # inside a page's content stream
    data[at] ^= 0x01
    target = tmp_path / "byte.pdf"
    target.write_bytes(bytes(data))
    report = verify_file(target)
    assert any("cannot be read" in p for p in report.problems)  # this byte broke a stream
    with line.uow(line.qa2) as uow:
        assert copies.lookup(uow, report.pdf_sha256) is None


def test_a_consistent_forgery_passes_offline_but_not_the_database(
    line: Line, made: tuple[str, Path, copies.Generated], tmp_path: Path
) -> None:
    """A value changed in the record and the PDF, twin and printed hash all made again
    agree with each other: only the registered PDF digest tells."""
    _, _, out = made
    rec = out.record
    first = rec.steps[1]
    field = next(f for f in first.step.fields if f.code == "LENGTH")
    entry = dataclasses.replace(field.history[0], value="10.12", out_of_limit=False)
    forged_step = dataclasses.replace(
        first.step,
        fields=tuple(
            dataclasses.replace(f, history=(entry,)) if f is field else f for f in first.step.fields
        ),
    )
    forged = dataclasses.replace(
        rec, steps=(rec.steps[0], dataclasses.replace(first, step=forged_step), *rec.steps[2:])
    )
    again = render.render(forged, render.templates())
    target = tmp_path / "forged.pdf"
    target.write_bytes(again.pdf)
    report = verify_file(target)
    assert report.problems == []  # structure, twin and printed hash agree
    with line.uow(line.qa2) as uow:
        assert copies.lookup(uow, report.pdf_sha256) is None
        # the twin's values differ from the database's record: named by path
        assert any("10.12" in c for c in copies.changes_since(uow, again.json))


def test_a_changed_signature_breaks_its_binding(
    made: tuple[str, Path, copies.Generated], tmp_path: Path
) -> None:
    """A release shown by someone else (printed name changed, PDF and hash made again):
    the binding hash no longer matches the signature's fields."""
    _, _, out = made
    rec = out.record
    release = next(s for s in rec.review if s.meaning == "released")
    others = tuple(s for s in rec.review if s is not release)
    forged = dataclasses.replace(
        rec, review=(*others, dataclasses.replace(release, printed_name="Someone Else"))
    )
    target = tmp_path / "signature.pdf"
    target.write_bytes(render.render(forged, render.templates()).pdf)
    problems = verify_file(target).problems
    assert len(problems) == 1 and f"signature {release.id}" in problems[0]
    assert "binding hash" in problems[0]


def test_binding_recomputed_offline_equals_the_database(
    line: Line, made: tuple[str, Path, copies.Generated]
) -> None:
    """canonical.binding_hash is workcell.signature_binding, for every signature printed."""
    _, _, out = made
    for s in out.record.signatures:
        assert canonical.binding_hash(dataclasses.asdict(s)) == s.binding_hash


def test_a_record_changed_after_printing_is_reported(line: Line) -> None:
    """Printed when complete, then reviewed and released: the database check names what
    changed since."""
    wo = completed_work_order(line, released=False)
    with line.uow(line.qa2) as uow:
        out = copies.generate(uow, wo)
        uow.commit()
    from domain.services.work_orders import review

    with line.uow(line.qa2) as uow:
        review.review_work_order(uow, wo, line.plant.signing(line.qa2))
        uow.commit()
    with line.uow(line.qa2) as uow:
        changed = copies.changes_since(uow, out.rendered.json)
    assert any(c.startswith("header.work_order.status") and "reviewed" in c for c in changed)
    assert any(c.startswith("review") for c in changed)


def test_a_work_order_not_complete_is_refused(line: Line) -> None:
    wo = line.new_work_order()
    with (
        line.uow(line.qa2) as uow,
        pytest.raises(RuleViolation, match="released: its batch record"),
    ):
        copies.generate(uow, wo)


def test_by_lot_number(line: Line, made: tuple[str, Path, copies.Generated]) -> None:
    """The lot a work order made names its record too."""
    wo, _, out = made
    lot = out.record.header.work_order.output_lot
    assert lot is not None
    with line.uow(line.qa2) as uow:
        assert collect.work_order_for(uow, lot.lower()) == wo


def test_cli_verify_offline_exit_codes(
    made: tuple[str, Path, copies.Generated], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`workcell ebr verify FILE`: 0 intact; 1 with the difference named; 3 no such file."""
    from kiosk.cli import main

    _, path, out = made
    assert main(["ebr", "verify", str(path)]) == 0
    assert "intact" in capsys.readouterr().out
    changed = out.rendered.json.replace(b'"10.62"', b'"10.12"', 1)
    target = tmp_path / "cli.pdf"
    _rewrite_twin(path, target, changed)
    assert main(["ebr", "verify", str(target)]) == 1
    err = capsys.readouterr().err
    assert "FAILED" in err and "stored checksum" in err
    assert main(["ebr", "verify", str(tmp_path / "missing.pdf")]) == 3


def test_cli_prints_and_verifies_against_the_database(
    line: Line,
    database: TestDatabase,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`workcell ebr WO --as QA --out FILE` then `ebr verify FILE --database`: registered
    and unchanged (0); a consistent forgery is not registered (1); an existing file is
    never overwritten (4)."""
    import io

    from kiosk.cli import main
    from tests.sessions import pin_of

    monkeypatch.setenv("WORKCELL_DATABASE_URL", database.station)
    monkeypatch.setenv("WORKCELL_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("WORKCELL_DATA_DIR", str(tmp_path))
    wo = completed_work_order(line)
    pin = pin_of(line.plant.factory, line.qa2)
    out = tmp_path / "record.pdf"
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{pin}\n"))
    assert main(["ebr", wo, "--as", line.qa2, "--pin-stdin", "--out", str(out)]) == 0
    assert "PDF/A-3b" in capsys.readouterr().out
    assert main(["ebr", "verify", str(out), "--database"]) == 0
    said = capsys.readouterr().out
    assert "registered: copy" in said and "unchanged since it was printed" in said
    report = verify_file(out)
    forged = json.loads(report.twin)
    forged["header"]["site"] = "ELSEWHERE"
    target = tmp_path / "forged.pdf"
    _rewrite_twin(out, target, canonical.dumps(forged))
    assert main(["ebr", "verify", str(target), "--database"]) == 1
    assert "not one WorkCell printed" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{pin}\n"))
    assert main(["ebr", wo, "--as", line.qa2, "--pin-stdin", "--out", str(out)]) == 4


def test_verify_against_an_exported_audit_bundle(
    database: TestDatabase, made: tuple[str, Path, copies.Generated], tmp_path: Path
) -> None:
    """With no database but an exported audit bundle: the genuine PDF's registration is in
    the bundle's trail, a consistent forgery's is not."""
    from domain.audit.export import export_bundle
    from domain.db import make_engine
    from domain.records.verify import in_bundle

    _, path, out = made
    engine = make_engine(database.station)
    try:
        export_bundle(engine, tmp_path / "bundle")
    finally:
        engine.dispose()
    assert in_bundle(tmp_path / "bundle", verify_file(path)) == []
    rec = out.record
    forged = dataclasses.replace(rec, header=dataclasses.replace(rec.header, site="ELSEWHERE"))
    target = tmp_path / "forged.pdf"
    target.write_bytes(render.render(forged, render.templates()).pdf)
    report = verify_file(target)
    assert report.problems == []
    problems = in_bundle(tmp_path / "bundle", report)
    assert len(problems) == 1 and "not one WorkCell printed" in problems[0]
