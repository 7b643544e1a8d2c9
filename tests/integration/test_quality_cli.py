"""`workcell quality ...` for scripts: the AQL look-up without a database, snake_case JSON
on every show, the exit codes of docs/admin.md (3 not found, 4 refused), a signed step
(completing an inspection) acting as a person with --pin-stdin, and a risk matrix revision
proposed and released."""

# ruff: noqa: E501  (command lines read better unwrapped)

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.services.materials.db import run as run_sql
from domain.services.quality import inspections, matrix
from domain.views.quality import RISK_SCALE, MatrixView
from kiosk import cli
from tests.conftest import TestDatabase
from tests.integration.engineering_helpers import PIN, make_signer
from tests.integration.materials_helpers import build_plant
from tests.integration.test_quality import SNAKE_OK, Quality, _fill, _release_template

pytestmark = pytest.mark.pg18
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(database: TestDatabase, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> Run:  # fmt: skip
    monkeypatch.setenv("WORKCELL_DATABASE_URL", database.station)
    monkeypatch.setenv("WORKCELL_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("WORKCELL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WORKCELL_STATION", "pytest_cli")

    def invoke(*argv: str, stdin: tuple[str, ...] = ()) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{s}\n" for s in stdin)))
        code = cli.main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


@pytest.fixture(scope="module")
def q(database: TestDatabase, session_factory: sessionmaker[Session]) -> Quality:
    plant = build_plant(database, session_factory)
    people = [make_signer(database, session_factory, p, r)
              for p, r in (("qe", "engineer"), ("insp", "operator"), ("eng", "engineer"), ("qa2", "qa"))]  # fmt: skip
    quality = Quality(plant, *people)
    _release_template(quality, "cap")
    return quality


def _snake(value: object) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            assert SNAKE_OK.fullmatch(key), key
            _snake(inner)
    elif isinstance(value, list):
        for inner in value:
            _snake(inner)


def test_the_aql_look_up_needs_no_database(run: Run) -> None:
    code, out, _ = run("quality", "aql", "--lot-size", "100", "--aql", "0.40", "--format", "json")
    plan = json.loads(out)
    assert code == 0 and (plan["plan_letter"], plan["sample_size"], plan["ac"]) == ("G", 32, 0)
    _snake(plan)
    code, _, err = run(
        "quality", "aql", "--lot-size", "200", "--aql", "1.0", "--severity", "tightened"
    )
    assert code == cli.REFUSED and "QA enters and approves" in err
    code, _, err = run("quality", "aql", "--lot-size", "200", "--aql", "1.2")
    assert code == cli.REFUSED and "not a column" in err


def test_shows_print_snake_case_json_and_unknown_records_exit_3(run: Run, q: Quality) -> None:
    lot = q.plant.receive("cap", "500")
    with q.plant.uow(q.plant.qa) as uow:
        (number,) = inspections.inspections_of_lot(uow, lot)
    code, out, _ = run("quality", "inspection", "show", number, "--format", "json")
    view = json.loads(out)
    assert code == 0 and view["number"] == number and view["plans"][0]["sample_size"] == 50
    _snake(view)
    code, out, _ = run(
        "quality",
        "template",
        "show",
        q.plant.items["cap"],
        "--type",
        "receiving",
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out)["status"] == "released"
    code, out, _ = run(
        "quality",
        "switching",
        q.plant.items["cap"],
        "--supplier",
        q.plant.supplier,
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out)["status"] == "normal"
    assert run("quality", "ncr", "show", "NCR-NONE")[0] == cli.NOT_FOUND
    assert run("quality", "inspection", "show", "QI-NONE")[0] == cli.NOT_FOUND


def test_an_inspector_completes_and_may_not_release_at_the_command_line(
    run: Run, q: Quality
) -> None:
    lot = q.plant.receive("cap", "500")
    with q.plant.uow(q.plant.qa) as uow:
        (number,) = inspections.inspections_of_lot(uow, lot)
    _fill(q, number)
    code, out, err = run(
        "quality",
        "inspection",
        "complete",
        number,
        "--as",
        q.inspector,
        "--pin-stdin",
        stdin=(PIN,),
    )
    assert code == 0, err
    assert "decision accept" in out
    code, _, err = run(
        "quality", "inspection", "release", number, "--as", q.inspector, "--pin-stdin", stdin=(PIN,)
    )
    assert code == cli.REFUSED
    code, out, err = run(
        "quality", "inspection", "release", number, "--as", q.plant.qa, "--pin-stdin", stdin=(PIN,)
    )
    assert code == 0, err
    assert "released" in out


def test_qa_enters_and_signs_a_manual_plan_at_the_command_line(run: Run, q: Quality) -> None:
    """Resin by weight has no table cell: the plan entered with --pin-stdin is signed
    "plan_approved"; the inspector may not."""
    _release_template(q, "resin", "Resin receiving (CLI)")  # no other test here takes resin
    lot = q.plant.receive("resin", "25.5")
    with q.plant.uow(q.plant.qa) as uow:
        (number,) = inspections.inspections_of_lot(uow, lot)
    plan = ("quality", "inspection", "plan", number, "--class", "major", "--n", "3", "--ac", "0",
            "--re", "1", "--note", "three grab samples")  # fmt: skip
    code, _, err = run(*plan, "--as", q.inspector, "--pin-stdin", stdin=(PIN,))
    assert code == cli.REFUSED, err
    code, out, err = run(*plan, "--as", q.plant.qa, "--pin-stdin", stdin=(PIN,))
    assert code == 0, err
    assert "signed as approved" in out
    minor = ("quality", "inspection", "plan", number, "--class", "minor", "--n", "2", "--ac",
             "0", "--re", "1", "--note", "two grab samples")  # fmt: skip
    assert run(*minor, "--as", q.plant.qa, "--pin-stdin", stdin=(PIN,))[0] == 0
    with q.plant.uow(q.plant.qa) as uow:
        view = inspections.get_inspection(uow, number)
        signed = run_sql(
            uow, "SELECT count(*) FROM workcell.signature WHERE record_type = 'inspection'"
            " AND record_id = :i AND meaning = 'plan_approved'", {"i": view.id},
        )[0][0]  # fmt: skip
    assert view.sample_size == 3 and {p.source for p in view.plans} == {"manual"}
    assert signed == 2


def _grid(out: str) -> dict[tuple[int, int], str]:
    """The cells as `matrix show` prints them: a row per severity, 5 on top."""
    rows = {line.split()[0]: line.split()[-5:] for line in out.splitlines() if line[:1].isdigit()}
    return {(s, o): rows[str(s)][o - 1] for s in RISK_SCALE for o in RISK_SCALE}


def _approvals(data: dict[str, Any]) -> dict[tuple[str, str], tuple[str, ...]]:
    return {(a["risk_class"], a["disposition"]): tuple(a["approvals"]) for a in data["approvals"]}


def _cells(data: dict[str, Any]) -> dict[tuple[int, int], str]:
    return {(c["severity"], c["occurrence"]): c["risk_class"] for c in data["cells"]}


def _matrix(q: Quality, revision: int | None = None) -> MatrixView:
    with q.plant.uow(q.plant.qa) as uow:
        return matrix.get_matrix(uow, revision)


def test_the_risk_matrix_is_shown_proposed_and_released_at_the_command_line(
    run: Run, q: Quality
) -> None:
    """The released matrix shown as the database holds it (text at 80 columns, JSON); one
    cell changed in a draft by QA (not in force), refused to an engineer and to its author,
    released by another QA person; a missing revision exits 3. The cells are restored
    afterwards (the database is shared: other tests class NCRs on it)."""
    before = _matrix(q)
    code, out, err = run("quality", "matrix", "show")
    assert code == 0, err
    assert f"revision {before.revision}  [released]" in out and _grid(out) == before.cells
    assert max(map(len, out.splitlines())) <= 80
    needs = ", ".join(
        a.removesuffix("_approved") for a in before.approvals[("critical", "use_as_is")]
    )
    assert f"critical    use_as_is           {needs}\n" in out
    code, out, _ = run("quality", "matrix", "show", "--format", "json")
    shown = json.loads(out)
    _snake(shown)
    assert (shown["revision"], shown["status"]) == (before.revision, "released")
    assert _cells(shown) == before.cells and _approvals(shown) == before.approvals
    changed = "critical" if before.cells[(3, 3)] != "critical" else "minor"
    assert run("quality", "matrix", "propose", "--title", "off the grid", "--cell", "6,1=minor",
               "--as", q.plant.qa, "--pin-stdin", stdin=(PIN,))[0] == 2  # fmt: skip
    code, out, err = run("quality", "matrix", "propose", "--title", "S3 x O3 re-classed",
                         "--cell", f"3,3={changed}", "--as", q.plant.qa, "--pin-stdin",
                         stdin=(PIN,))  # fmt: skip
    try:
        assert code == 0, err
        draft = _matrix(q, before.revision + 1)
        assert f"revision {draft.revision}: draft (new, from revision {before.revision})" in out
        code, out, _ = run("quality", "matrix", "show", "--revision", str(draft.revision),
                           "--format", "json")  # fmt: skip
        proposed = json.loads(out)
        assert (proposed["status"], proposed["released"]) == ("draft", None)
        assert _cells(proposed) == {**before.cells, (3, 3): changed}
        assert _approvals(proposed) == before.approvals  # copied from the released revision
        assert _matrix(q).revision == before.revision  # not in force yet
        # the draft's approvals: major use-as-is also needs management; QA always among them
        propose = ("quality", "matrix", "propose", "--title", "S3 x O3 re-classed", "--as",
                   q.plant.qa, "--pin-stdin")  # fmt: skip
        code, out, err = run(*propose, "--approval", "major,use_as_is=engineering", stdin=(PIN,))
        assert code == cli.REFUSED and "QA's is always one of them" in err, err
        assert _matrix(q, draft.revision).version == draft.version  # nothing changed
        code, out, err = run(*propose, "--approval", "major,use_as_is=qa,engineering,management",
                             stdin=(PIN,))  # fmt: skip
        assert code == 0, err
        assert "major use as is: needs" in out and "management_approved" in out
        needed = ("qa_approved", "engineering_approved", "management_approved")
        assert _matrix(q, draft.revision).approvals[("major", "use_as_is")] == needed
        draft = _matrix(q, draft.revision)
        release = ("quality", "matrix", "release", str(draft.revision), "--pin-stdin")
        for who, why in ((q.engineer, "quality.configure"), (q.plant.qa, "someone else approves")):
            code, _, err = run(*release, "--as", who, stdin=(PIN,))
            assert code == cli.REFUSED and why in err, err
            assert _matrix(q, draft.revision).version == draft.version  # nothing changed
        code, out, err = run(*release, "--as", q.qa2, stdin=(PIN,))
        assert code == 0, err
        assert f"revision {draft.revision}: released" in out
        code, out, _ = run("quality", "matrix", "show")
        assert f"revision {draft.revision}  [released]" in out and f"({q.qa2})" in out
        assert _grid(out) == {**before.cells, (3, 3): changed}
        code, out, _ = run("quality", "matrix", "list")
        listed = {line.split()[0]: line for line in out.splitlines()[2:]}
        words = listed[str(draft.revision)].split()
        assert code == 0 and words[1:6] == ["S3", "x", "O3", "re-classed", "released"]
        code, out, _ = run("quality", "matrix", "list", "--format", "json")
        rows = {r["revision"]: r for r in json.loads(out)}
        assert rows[draft.revision]["status"] == "released"
        assert rows[before.revision]["status"] == "superseded"
        assert rows[draft.revision]["effective"].endswith("→ open")
        assert rows[before.revision]["effective"].endswith(
            f"→ {rows[draft.revision]['effective'][:-7]}"
        )
    finally:  # the cells every other test classes its NCRs on
        with q.plant.uow(q.qa2) as uow:
            back = matrix.propose_matrix(
                uow, "Restored", dict(before.cells), dict(before.approvals)
            )
            uow.commit()
        other = q.plant.qa if back.created_by != q.plant.qa else q.qa2  # never its author
        with q.plant.uow(other) as uow:
            matrix.release_matrix(uow, back.revision, q.plant.signing(other))
            uow.commit()
    assert _matrix(q).cells == before.cells and _matrix(q).approvals == before.approvals
    assert run("quality", "matrix", "show", "--revision", "9999")[0] == cli.NOT_FOUND
