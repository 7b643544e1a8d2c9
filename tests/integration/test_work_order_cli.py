"""`workcell wo ...` and `workcell qual ...` against the real database: exit codes as in
docs/admin.md, snake_case JSON keys, the lock shown."""

# ruff: noqa: E501  (argument lists read better unwrapped)

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kiosk import cli
from tests.conftest import TestDatabase
from tests.integration.engineering_helpers import PIN
from tests.integration.work_order_helpers import Line, build_line

Run = Callable[..., tuple[int, str, str]]
SNAKE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")


@pytest.fixture(scope="module")
def line(database: TestDatabase, session_factory: sessionmaker[Session]) -> Line:
    return build_line(database, session_factory)


@pytest.fixture
def run(
    database: TestDatabase,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Run:
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


def _snake(out: str) -> dict[str, object] | list[dict[str, object]]:
    data = json.loads(out)
    rows = data if isinstance(data, list) else [data]
    assert all(SNAKE.fullmatch(k) for row in rows for k in row), rows
    return data  # type: ignore[no-any-return]


def test_work_order_commands(run: Run, line: Line) -> None:
    due = (line.plant.today + dt.timedelta(days=5)).isoformat()
    code, out, err = run("wo", "create", line.item, "--quantity", "4", "--due", due, "--release",
                         "--as", line.planner, "--pin-stdin", stdin=(PIN,))  # fmt: skip
    assert code == 0, err
    number = out.split()[0]
    assert "[released]" in out and "lock" in out
    code, out, _ = run("wo", "show", number, "--format", "json")
    shown = _snake(out)
    assert isinstance(shown, dict) and shown["status"] == "released" and len(shown["steps"]) == 3  # type: ignore[arg-type]
    code, out, _ = run("wo", "list", "--status", "released", "--format", "json")
    assert code == 0 and any(r["number"] == number for r in _snake(out))  # type: ignore[union-attr, index]
    # an operator may not plan (refused: 4); an unknown work order (not found: 3)
    code, _, err = run("wo", "create", line.item, "--quantity", "1", "--due", due,
                       "--as", line.op1, "--pin-stdin", stdin=(PIN,))  # fmt: skip
    assert code == cli.REFUSED, err
    assert run("wo", "show", "WO-999999")[0] == cli.NOT_FOUND
    code, out, err = run("wo", "cancel", number, "--reason", "not needed", "--as", line.planner,
                         "--pin-stdin", stdin=(PIN,))  # fmt: skip
    assert code == 0 and "[cancelled]" in out, err


def test_qualification_commands(run: Run, line: Line) -> None:
    today = line.plant.today
    code, out, err = run(
        "qual", "grant", line.op2, "CLI-" + line.qualification[-6:], "--trained-on", today.isoformat(),
        "--expires-on", (today + dt.timedelta(days=10)).isoformat(),
        "--define", "CLI training", "SOP-CLI-1", "A", "--as", line.plant.qa, "--pin-stdin", stdin=(PIN,),
    )  # fmt: skip
    assert code == 0, err
    assert "attested by" in out
    code, out, _ = run("qual", "list", "--user", line.op2, "--format", "json")
    assert code == 0 and len(_snake(out)) >= 2
    code, out, _ = run("qual", "expiring", "--days", "30", "--format", "json")
    rows = _snake(out)
    assert isinstance(rows, list) and any(
        r["username"] == line.op2 and r["days_left"] == 10 for r in rows
    )
    # nobody records their own training
    code, _, err = run("qual", "grant", line.sup, line.qualification, "--trained-on", today.isoformat(),
                       "--as", line.sup, "--pin-stdin", stdin=(PIN,))  # fmt: skip
    assert code == cli.REFUSED, err
