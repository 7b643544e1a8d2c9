"""The `workcell` command line without a database: lazy parser, exit codes, JSON keys,
logging, and no silently created database."""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.errors import DatabaseUnavailable, InvalidInput, NotFound, PermissionDenied
from kiosk import cli
from kiosk.cli.common import json_key, print_rows


@pytest.fixture
def no_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No URL configured and an empty data directory (no embedded database in it)."""
    for var in ("WORKCELL_DATABASE_URL", "WORKCELL_ADMIN_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WORKCELL_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("WORKCELL_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.captureWarnings(False)


def test_the_command_table_matches_what_each_module_registers() -> None:
    """`workcell --help` lists commands from COMMANDS without importing their modules, so
    each module must register exactly those commands with the same one-line help."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    for module in cli.COMMAND_MODULES:
        __import__(f"kiosk.cli.{module}", fromlist=["register"]).register(sub)
    registered = {a.dest: a.help for a in sub._choices_actions}
    assert registered == {name: text for name, (_, text) in cli.COMMANDS.items()}


def test_help_imports_no_command_module_nor_the_database_layers() -> None:
    """`workcell --help` (run on every mistyped command) stays cheap: no SQLAlchemy,
    alembic, Textual or command module is imported."""
    code = (
        "import sys, contextlib, io\n"
        "from kiosk.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['--help'])\n"
        "heavy = ('sqlalchemy', 'alembic', 'textual', 'psycopg', 'kiosk.cli.', 'domain.')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown command or action, or a missing argument, is a usage error (2)."""
    assert cli.main(["nosuch"]) == cli.USAGE
    assert cli.main(["user", "nosuch"]) == cli.USAGE
    assert cli.main(["item", "show"]) == cli.USAGE
    assert "usage:" in capsys.readouterr().err


def test_help_exits_0_and_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    """`workcell --help` succeeds, names every command and documents the exit codes."""
    assert cli.main(["--help"]) == cli.OK
    out = capsys.readouterr().out
    assert all(name in out for name in cli.COMMANDS)
    assert "3 not found" in out and "5 database unavailable" in out


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (NotFound("no such item"), cli.NOT_FOUND),
        (PermissionDenied("not yours"), cli.REFUSED),
        (InvalidInput("bad date"), cli.REFUSED),
        (DatabaseUnavailable("gone"), cli.DATABASE_UNAVAILABLE),
        (RuntimeError("bug"), cli.INTERNAL_ERROR),
    ],
)
def test_each_kind_of_failure_has_its_exit_code(
    error: Exception, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not found 3, refused 4, database unavailable 5, anything unexpected 70; each
    prints one line on stderr, never a traceback."""

    def fail(args: argparse.Namespace) -> int:
        raise error

    assert cli.run(argparse.Namespace(func=fail, command="test")) == code
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_no_command_silently_creates_a_database(
    no_database: Path, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    """Without a configured URL or an embedded database, `user list` refuses (5), says
    which database it looked for and how to get one, and creates nothing."""
    assert cli.main(["user", "list"]) == cli.DATABASE_UNAVAILABLE
    err = capsys.readouterr().err
    assert "No database" in err and str(no_database / "pg") in err
    assert "workcell db upgrade" in err
    assert not (no_database / "pg").exists()


def test_json_keys_are_snake_case(capsys: pytest.CaptureFixture[str]) -> None:
    """Listing headers become snake_case keys; duplicate or empty keys are refused."""
    assert json_key("printed name") == "printed_name"
    assert json_key("BOM rev") == "bom_rev"
    print_rows([("ann", "Ann A")], ("username", "printed name"), "json")
    assert '"printed_name": "Ann A"' in capsys.readouterr().out
    with pytest.raises(ValueError):
        print_rows([(1, 2)], ("status", "status"), "json")
    with pytest.raises(ValueError):
        print_rows([(1, 2)], ("a", ""), "json")


def test_log_records_reach_stderr_only_with_verbose(
    no_database: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    restore_logging: None,
) -> None:
    """Without -v a command prints no log records; with -v it does; both go to the log
    file in the data directory. The station app never logs to its terminal, even with -v."""

    def command_that_warns(args: argparse.Namespace) -> int:
        logging.getLogger("kiosk.test").warning("warning from %s", args.command)
        return 0

    monkeypatch.setattr(cli, "run", command_that_warns)
    assert cli.main(["user", "list"]) == 0
    assert "warning from user" not in capsys.readouterr().err
    assert cli.main(["-v", "station", "show"]) == 0
    assert "warning from station" in capsys.readouterr().err
    assert cli.main(["-v", "kiosk"]) == 0
    assert "warning from kiosk" not in capsys.readouterr().err
    logged = (no_database / "workcell.log").read_text(encoding="utf-8")
    assert all(f"warning from {c}" in logged for c in ("user", "station", "kiosk"))
