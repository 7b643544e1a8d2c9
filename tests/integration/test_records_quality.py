"""Quality records in the batch record (issue 16 item 6 / issue 15): a work order whose
in-process inspection at a routing step rejected its output lot, referred to an NCR
(dispositioned use as is) with a CAPA on it. The record carries the inspection (plan, data
source and version, every result, the database's decision, the signatures of the inspector
and of QA), the NCR (risk class, disposition, approvals) and the CAPA with its signed D0,
in the JSON twin and in the PDF's text; the twin verifies (every signature's binding). The
template hash covers the shared audit-trail partial both record templates include."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session, sessionmaker

from domain.records import copies, render
from domain.records.verify import verify_file
from domain.services.quality import capa, ncr
from domain.services.work_orders import execution, planning
from tests.conftest import TestDatabase
from tests.integration.step_inspection_helpers import InspectedLine, build_inspected_line

pytestmark = pytest.mark.requirement("11.10(b)", "11.50")


@pytest.fixture(scope="module")
def made(
    database: TestDatabase,
    session_factory: sessionmaker[Session],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[InspectedLine, str, str, str, Path, copies.Generated]:
    line = build_inspected_line(database, session_factory)
    p = line.plant
    wo = line.new_work_order()
    line.run_first_step(wo)
    line.inspect(wo, fail=1)
    number = line.step(wo, 2).inspection.number  # type: ignore[union-attr]
    with line.uow(p.qa) as uow:
        report = ncr.refer_inspection(
            uow, number, ncr.NewNcr("Seal leak in process", "sample 1 leaked at 0.5 bar", 2, 2),
            p.signing(p.qa, "one seal leaked"),
        )  # fmt: skip
        ncr.choose_disposition(uow, report.number, "use_as_is", "within the customer's margin")
        owners = [p.qa] * 9
        due = [p.today + dt.timedelta(days=7 * (d + 1)) for d in range(9)]
        c = capa.raise_capa(uow, report.number, "Seal press drift", owners, due)
        capa.write_section(uow, c.number, 0, "Containment: 100 % leak test of the batch")
        uow.commit()
    with line.uow(p.qa) as uow:
        capa.complete_section(uow, c.number, 0, p.signing(p.qa))
        uow.commit()
    with line.uow(line.qa2) as uow:
        ncr.approve_ncr(uow, report.number, "qa_approved", p.signing(line.qa2))
        uow.commit()
    with line.uow(p.qa) as uow:
        ncr.disposition_ncr(uow, report.number, p.signing(p.qa))
        uow.commit()
    s = line.step(wo, 2)
    with line.uow(line.op) as uow:
        execution.enter_value(uow, s.id, "LEAK", "pass", s.version)
        uow.commit()
    for action in ("sign", "finish"):
        s = line.step(wo, 2)
        with line.uow(line.op) as uow:
            if action == "sign":
                execution.sign_step(uow, s.id, "performed", p.signing(line.op))
            else:
                execution.finish_step(uow, s.id, s.version)
            uow.commit()
    with line.uow(line.op) as uow:
        planning.complete_work_order(uow, wo)
        uow.commit()
    with line.uow(line.qa2) as uow:
        out = copies.generate(uow, wo)
        uow.commit()
    path = tmp_path_factory.mktemp("ebrq") / f"{wo}.pdf"
    path.write_bytes(out.rendered.pdf)
    return line, wo, number, report.number, path, out


def _text(path: Path) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(path).pages)


def test_the_twin_carries_the_inspection_ncr_and_capa(
    made: tuple[InspectedLine, str, str, str, Path, copies.Generated],
) -> None:
    _line, wo, number, ncr_number, path, out = made
    report = verify_file(path)
    assert report.problems == []
    twin = json.loads(report.twin)
    q = twin["quality"]
    (insp,) = [r for r in q["inspections"] if r["inspection"]["number"] == number]
    i = insp["inspection"]
    assert (i["inspection_type"], i["status"], i["decision"], i["step"]) == (
        "in_process",
        "referred",
        "reject",
        f"{wo} step 2",
    )
    assert i["data_version"] and i["data_source"] and i["plans"][0]["source"] == "fixed"
    assert [(r["sample_no"], r["passed"]) for r in i["results"]] == [
        (1, False),
        (2, True),
        (3, True),
    ]
    assert [s["meaning"] for s in insp["signatures"]] == ["inspected", "referred"]
    assert all(s["valid"] for s in insp["signatures"])
    (n,) = q["ncrs"]
    assert (n["ncr"]["number"], n["ncr"]["disposition"], n["ncr"]["status"]) == (
        ncr_number,
        "use_as_is",
        "dispositioned",
    )
    assert [s["meaning"] for s in n["signatures"]] == ["qa_approved"]
    (c,) = q["capas"]
    assert c["capa"]["ncr_number"] == ncr_number and [s["meaning"] for s in c["signatures"]] == [
        "completed"
    ]
    # every quality signature is among the record's (verify counted them)
    assert report.signatures == len(out.record.signatures)
    step2 = twin["steps"][1]["step"]
    assert step2["inspection"]["number"] == number and step2["inspection"]["accepted"]


def test_the_pdf_prints_them(
    made: tuple[InspectedLine, str, str, str, Path, copies.Generated],
) -> None:
    _line, _wo, number, ncr_number, path, out = made
    text = _text(path)
    i = out.record.quality.inspections[0].inspection
    assert "3. Quality records" in text
    assert f"Inspection {number} — in-process, lot {i.lot_number}" in text
    assert i.data_version in text and "n=3 Ac 0 Re 1" in text
    assert "Decision (the database's) reject" in text and "FAIL" in text
    assert f"NCR {ncr_number} — Seal leak in process" in text and "use as is" in text
    assert "CAPA " in text and "Seal press drift" in text and "Containment: 100 % leak test" in text
    for s in out.record.quality.inspections[0].signatures + out.record.quality.ncrs[0].signatures:
        assert s.manifestation in text
    assert f"in-process inspection {number}: referred" in text


def _copy(tmp_path: Path) -> Path:
    where = tmp_path / "templates"
    shutil.copytree(render.TEMPLATES, where)
    return where


def test_the_template_hash_covers_the_shared_partial(tmp_path: Path) -> None:
    """Both templates include _audit_trail.html; a change to it alone changes the hash."""
    where = _copy(tmp_path)
    assert render.included(where) == ["_audit_trail.html"]
    before = render.templates(where).sha256
    assert before == render.templates().sha256
    partial = where / "_audit_trail.html"
    partial.write_text(
        partial.read_text("utf-8").replace("Audit chain head", "Audit chain head (sealed)"), "utf-8"
    )
    assert render.templates(where).sha256 != before
    for name in ("ebr.html", "record.html"):
        assert '{% include "_audit_trail.html" %}' in (where / name).read_text("utf-8")


def test_a_computed_include_is_refused(tmp_path: Path) -> None:
    """The hash must know every file: a template including a computed name is refused."""
    where = _copy(tmp_path)
    ebr = where / "ebr.html"
    ebr.write_text(ebr.read_text("utf-8") + "{% include plant.partial %}", "utf-8")
    with pytest.raises(ValueError, match="literally"):
        render.templates(where)
