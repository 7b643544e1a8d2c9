"""Templates a plant adapts (issue 15): paper size and wording come from plant.toml, and
the template hash printed in the record changes with any template file."""

from __future__ import annotations

import shutil
from pathlib import Path

from pypdf import PdfReader

from bench.records import build
from domain.records import render


def _copy(tmp_path: Path, paper: str) -> Path:
    where = tmp_path / "templates"
    shutil.copytree(render.TEMPLATES, where)
    plant = (where / "plant.toml").read_text("utf-8").replace('paper = "A4"', f'paper = "{paper}"')
    (where / "plant.toml").write_text(plant.replace("WorkCell Demo Plant", "Acme & Sons"), "utf-8")
    return where


def test_letter_paper_and_the_plants_name(tmp_path: Path) -> None:
    tpl = render.templates(_copy(tmp_path, "Letter"))
    assert tpl.sha256 != render.templates().sha256
    out = render.render(build(6), tpl)
    path = tmp_path / "letter.pdf"
    path.write_bytes(out.pdf)
    reader = PdfReader(path)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    text = reader.pages[0].extract_text()
    assert "Acme & Sons" in text and "&amp;" not in text
    assert f"Page 1 of {out.pages}" in text


def test_signed_content_rows_keep_the_texts_numbers_and_paths() -> None:
    """A single record's content printed field by field: nested paths, numbers exactly as
    the content text writes them (no float rounding, no quotes), null as a dash."""
    from domain.records.render import content_rows

    text = '{"a": [1, 5.00, true, null, {"b": "x"}], "q": 0.1000000000000000055511151231257827}'
    assert content_rows(text) == [
        ("a[0]", "1"), ("a[1]", "5.00"), ("a[2]", "true"), ("a[3]", "—"), ("a[4].b", "x"),
        ("q", "0.1000000000000000055511151231257827"),
    ]  # fmt: skip


def test_a_single_records_attachment_name_is_a_safe_file_name() -> None:
    """Item numbers may hold "/" and revisions are ITEM:REV: the twin's name keeps neither."""
    import re

    from domain.records.render import attachment_name
    from domain.records.single import SingleRecord, Subject

    subject = Subject("bom_revision", "BOM revision", "AB/12:C", 1, "workcell.bom_revision",
                      1, "t", (), "{}", "0" * 64)  # fmt: skip
    record = SingleRecord("workcell-record/1", "0" * 64, None, subject, False, (), (), None)  # type: ignore[arg-type]
    name = attachment_name(record)
    assert name == "bom_revision-AB_12_C.json" and re.fullmatch(r"[A-Za-z0-9._-]+", name)
