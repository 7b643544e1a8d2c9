"""`workcell validate` (issue 17 item 7, docs/validation.md): on a healthy installation every
IQ and OQ check passes and the report is a PDF with its results attached; on a deliberately
broken one (a dropped trigger, a grant too many, a redefined guard) each break is reported as
failed with its clause."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pypdf
import pytest
from sqlalchemy.engine import make_url

from kiosk import validation
from tests.conftest import TestDatabase, server_url, unique
from tests.integration.audit_fixtures import Cli, fresh_database, make_cli
from tests.sessions import as_system

pytestmark = pytest.mark.requirement("11.10(a)")


def production_policy(db: TestDatabase) -> None:
    """Undo the suite's cheap argon2id: the IQ checks the recommended cost."""
    with db.connect("admin") as conn:
        as_system(conn, reason="validation test: production verifier cost")
        conn.execute(
            "UPDATE workcell.identity_policy SET argon2_memory_kib = 19456, argon2_time_cost = 2,"
            " version = version + 1 WHERE id = 1"
        )
        conn.commit()


@pytest.fixture
def plant(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Cli]:
    with fresh_database("wcval") as db:
        production_policy(db)
        cli = make_cli(monkeypatch, tmp_path, db)
        code, out = cli.run("audit", "seal")  # the trail sealed and anchored
        assert code == 0, out
        yield cli


def lines_of(out: str) -> dict[str, str]:
    return {line.split(" ", 1)[0]: line for line in out.splitlines() if line[:3] in ("IQ-", "OQ-")}


def test_a_healthy_installation_passes_iq_and_oq_with_a_signable_report(
    plant: Cli, tmp_path: Path
) -> None:
    """All 15 IQ and 10 OQ checks pass; the PDF carries the verdict, both stages, the trace
    matrix, the approval block and the results as an attached JSON."""
    report = tmp_path / "validation.pdf"
    code, out = plant.run("validate", "--report", str(report))
    assert code == 0, out
    checks = lines_of(out)
    assert len([c for c in checks if c.startswith("IQ-")]) == 15
    assert len([c for c in checks if c.startswith("OQ-")]) == 10
    assert all(" PASS " in line for line in checks.values()), out
    assert "PASSED: 25 of 25 checks passed" in out
    reader = pypdf.PdfReader(io.BytesIO(report.read_bytes()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Result: PASSED" in text
    for heading in ("Installation qualification", "Operational qualification",
                    "trace matrix", "Approved by (validation lead)"):  # fmt: skip
        assert heading in text
    attached = reader.attachments["validation.json"][0]
    results = json.loads(attached)
    assert results["passed"] is True and results["counts"]["total"] == 25
    assert {c["id"] for c in results["checks"]} >= {"IQ-06", "OQ-09"}
    traced = {t["clause"]: t["tests"] for t in results["trace"]}
    assert traced["11.10(e)"], "the audit trail clause is traced to tests"


def test_a_broken_installation_fails_each_break_with_its_clause(plant: Cli, tmp_path: Path) -> None:
    with plant.db.connect("admin") as conn:
        conn.execute("DROP TRIGGER item_approval_guard ON workcell.item")
        conn.execute("GRANT DELETE ON workcell.item TO workcell_app")
        body = conn.execute(
            "SELECT pg_get_functiondef('workcell.badge_guard()'::regprocedure)"
        ).fetchone()
        assert body is not None
        conn.execute(body[0].replace("BEGIN", "BEGIN\n    -- quietly redefined", 1))
        conn.commit()
    report = tmp_path / "broken.pdf"
    code, out = plant.run("validate", "--iq-only", "--report", str(report))
    assert code == 1, out
    checks = lines_of(out)
    failed = {k for k, v in checks.items() if " FAIL " in v}
    assert failed == {"IQ-06", "IQ-08", "IQ-10"}, out
    assert "not on the allow-list: table workcell.item: DELETE" in checks["IQ-06"]
    assert "11.10(d), 11.10(g)" in checks["IQ-06"]
    assert "trigger workcell.item:item_approval_guard is missing" in checks["IQ-08"]
    assert "11.10(e), 11.10(f)" in checks["IQ-08"]
    assert "function workcell.badge_guard()" in checks["IQ-10"]
    assert "11.10(d), 11.10(f), 11.10(g)" in checks["IQ-10"]
    assert "FAILED: 12 of 15 checks passed (OQ not run)" in out
    reader = pypdf.PdfReader(io.BytesIO(report.read_bytes()))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Result: FAILED" in text and "(operational qualification not run)" in text
    results = json.loads(reader.attachments["validation.json"][0])
    verdicts = {c["id"]: (c["passed"], c["clauses"]) for c in results["checks"]}
    assert verdicts["IQ-06"] == (False, ["11.10(d)", "11.10(g)"])
    assert verdicts["IQ-08"] == (False, ["11.10(e)", "11.10(f)"])
    assert verdicts["IQ-10"] == (False, ["11.10(d)", "11.10(f)", "11.10(g)"])


def test_the_report_is_never_written_over_an_existing_file(plant: Cli, tmp_path: Path) -> None:
    """A signed report already there is kept; the command refuses before running."""
    report = tmp_path / "kept.pdf"
    report.write_bytes(b"signed copy")
    code, out = plant.run("validate", "--iq-only", "--report", str(report))
    assert code == 4 and "never overwrites" in out, out
    assert report.read_bytes() == b"signed copy"


def test_without_a_superuser_the_oq_fails_saying_why() -> None:
    """An admin URL that may not create the scratch database gives one failed OQ check with
    the reason, never a pass and never a crash."""
    base, _ = server_url()
    plain = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    login = unique("wcoq_probe_")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {login} LOGIN")
    try:
        checks = validation.oq(
            make_url(base).set(username=login).render_as_string(hide_password=False)
        )
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"DROP ROLE {login}")
    assert [(c.id, c.passed) for c in checks] == [("OQ-00", False)]
    assert "permission denied to create database" in checks[0].actual
