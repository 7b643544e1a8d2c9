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
