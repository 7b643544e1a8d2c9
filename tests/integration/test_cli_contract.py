"""The command line's contract for scripts: distinct exit codes per kind of failure, and
`--format json` with snake_case keys on every listing (kiosk/cli/; docs/admin.md)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.services import items
from kiosk import cli
from tests.conftest import TestDatabase, unique
from tests.identity_helpers import admin_for, enrol, new_pin
from tests.sessions import pin_of

Run = Callable[..., tuple[int, str, str]]
SNAKE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")


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


def _keys(out: str) -> set[str]:
    rows = json.loads(out)
    assert isinstance(rows, list)
    return {key for row in rows for key in row}


def test_every_listing_has_snake_case_json_keys(
    run: Run, database: TestDatabase, session_factory: sessionmaker[Session], make_uow
) -> None:
    """user list/roles/badges, station list, item list, eco list and audit show (entries,
    security events, access log) print JSON objects whose keys are snake_case."""
    admin = admin_for(database)
    pin = pin_of(session_factory, admin)
    number = unique("CLI").upper()
    with make_uow() as uow:  # the suite's administrator also writes test records
        items.create_item(uow, items.NewItem(number, "Contract item", "raw", "kg"))
        uow.commit()
    listings: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
        (("user", "list"), ()),
        (("user", "roles"), ()),
        (("user", "roles", admin), ()),
        (("user", "badges", admin), ()),
        (("station", "list"), ()),
        (("item", "list"), ()),
        (("eco", "list"), ()),
        (("audit", "show", "--limit", "5"), ()),
        (("audit", "show", "--security", "--as", admin, "--pin-stdin"), (pin,)),
        (("audit", "show", "--access", "--as", admin, "--pin-stdin"), (pin,)),
        (("user", "review", "--as", admin, "--pin-stdin"), (pin,)),
    ]
    for argv, stdin in listings:
        code, out, err = run(*argv, "--format", "json", stdin=stdin)
        assert code == 0, (argv, err)
        keys = _keys(out)
        assert all(SNAKE.fullmatch(k) for k in keys), (argv, keys)
    code, out, _ = run("item", "show", number, "--format", "json")
    assert code == 0 and json.loads(out)["item_number"] == number
    assert "printed_name" in _keys(run("user", "list", "--format", "json")[1])


def test_exit_codes_name_the_kind_of_failure(
    run: Run, database: TestDatabase, session_factory: sessionmaker[Session]
) -> None:
    """Not found 3 (item show, an unknown audit table), refused 4 (wrong PIN, missing
    permission), usage 2; each with one line saying why."""
    code, _, err = run("item", "show", "NO-SUCH-ITEM")
    assert code == cli.NOT_FOUND and "No item" in err
    code, out, err = run("audit", "show", "--table", "nosuch")
    assert code == cli.NOT_FOUND and out == ""
    assert "no table 'nosuch'" in err and "item" in err  # names the tables it has
    admin = admin_for(database)
    code, _, err = run("user", "add", unique("x"), "X Y", "--as", admin, "--pin-stdin",
                       stdin=(new_pin(),))  # fmt: skip
    assert code == cli.REFUSED and "Wrong PIN" in err
    operator = enrol(session_factory, admin, roles=("operator",))
    code, _, err = run("user", "disable", admin, "--reason", "test", "--as", operator.username,
                       "--pin-stdin", stdin=(operator.pin,))  # fmt: skip
    assert code == cli.REFUSED and "user.administer" in err
    assert run("audit", "show", "--limit", "x")[0] == cli.USAGE


def test_an_unreachable_database_exits_5(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """A configured server that does not answer: exit 5 and the banner's sentence."""
    monkeypatch.setenv("WORKCELL_DATABASE_URL", "postgresql://station_x@127.0.0.1:1/nowhere")
    code, _, err = run("user", "list")
    assert code == cli.DATABASE_UNAVAILABLE and "cannot be reached" in err


def test_the_database_used_is_named_with_verbose(run: Run, database: TestDatabase) -> None:
    """-v names the database a command works on (always at an interactive terminal)."""
    code, _, err = run("-v", "user", "list")
    assert code == 0 and f"/{database.name} as station_pytest" in err
