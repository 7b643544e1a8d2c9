"""`workcell bom|routing|eco` against the test database, as a script would drive them."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from kiosk.cli import main
from tests.conftest import TestDatabase
from tests.integration.engineering_helpers import (
    ENGINEER,
    PIN,
    engineer,  # noqa: F401
    make_item,
    make_signer,
)

pytestmark = [pytest.mark.pg18, pytest.mark.usefixtures("engineer")]


@pytest.fixture
def cli(database: TestDatabase, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("WORKCELL_DATABASE_URL", database.station)
    monkeypatch.setenv("WORKCELL_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("WORKCELL_STATION", "station_pytest")

    def run(*argv: str, stdin: str | None = None) -> int:
        """A command acting ``--as`` someone signs them in: their PIN comes on standard
        input (the test people's PIN unless ``stdin`` says otherwise)."""
        if "--as" in argv and "--pin-stdin" not in argv:
            argv = (*argv, "--pin-stdin")
        if stdin is None:
            stdin = PIN + "\n" if "--as" in argv else ""
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return main(list(argv))

    return run


def test_scripted_eco_from_csv_to_released_bom(
    cli, capsys, make_uow, database, session_factory, tmp_path
):
    """Import a BOM, carry it on an ECO, sign three times with --pin-stdin, show it exploded."""
    with make_uow(ENGINEER) as uow:
        parent, comp = make_item(uow, "SA", "subassembly"), make_item(uow, "RM", "raw", "kg")
        uow.commit()
    author = make_signer(database, session_factory, "erin", "engineer")
    reviewer = make_signer(database, session_factory, "eddie", "engineer")
    qa = make_signer(database, session_factory, "quinn", "qa")
    csv_file = tmp_path / "bom.csv"
    csv_file.write_text(f"component,quantity,unit,scrap\n{comp},250,g,10%\n")
    assert cli("bom", "import", parent, str(csv_file), "--as", author) == 0
    assert cli("eco", "create", "--title", "First", "--reason", "NPI", "--as", author) == 0
    number = re.findall(r"ECO-\d+", capsys.readouterr().out)[-1]
    assert cli("eco", "add-item", number, parent, "--bom", "A", "--as", author) == 0
    for action, who in (("submit", author), ("review", reviewer), ("approve", qa)):
        assert cli("eco", action, number, "--as", who, "--pin-stdin", stdin=PIN + "\n") == 0
    capsys.readouterr()
    assert cli("bom", "show", parent, "--explode", "--qty", "4") == 0
    out = capsys.readouterr().out
    assert "[released]" in out and "1.1" in out  # 4 x 0.25 kg x 1.1
    assert cli("eco", "show", number) == 0
    out = capsys.readouterr().out
    assert out.count("[valid]") == 3 and "Approved by" in out


def test_import_with_bad_rows_is_refused_and_names_rows(cli, capsys, make_uow, tmp_path):
    """A bad CSV is refused (exit status 4), lists each bad row, and creates no revision."""
    with make_uow(ENGINEER) as uow:
        parent = make_item(uow, "SA")
        uow.commit()
    bad = tmp_path / "bad.csv"
    bad.write_text("component,quantity\nNOPE,1\nNOPE2,x\n")
    assert cli("bom", "import", parent, str(bad), "--as", ENGINEER) == 4
    err = capsys.readouterr().err
    assert "row 2" in err and "row 3" in err
    assert cli("bom", "history", parent) == 0
    assert "A" not in capsys.readouterr().out.split()


def test_wrong_pin_on_stdin_is_refused(cli, capsys, make_uow, database, session_factory):
    """A wrong PIN leaves the ECO a draft and says so."""
    author = make_signer(database, session_factory, "erin", "engineer")
    with make_uow(ENGINEER) as uow:
        parent = make_item(uow, "SA")
        uow.commit()
    assert cli("eco", "create", "--title", "T", "--reason", "R", "--as", author) == 0
    number = re.findall(r"ECO-\d+", capsys.readouterr().out)[-1]
    assert cli("eco", "add-item", number, parent, "--new-bom", "--as", author) == 0
    assert cli("eco", "submit", number, "--as", author, "--pin-stdin", stdin="999111\n") == 4
    assert cli("eco", "show", number) == 0
    assert "[draft]" in capsys.readouterr().out


def test_routing_exported_as_csv_imports_back_with_its_equipment_class(
    cli, capsys, make_uow, database, session_factory, tmp_path
):
    """`routing show --format csv` writes the import's columns; that file imported into a
    new draft gives the same routing, the step's equipment class included."""
    from domain.services import equipment, routing
    from domain.services.equipment import EquipmentClass
    from tests.conftest import unique

    sup = make_signer(database, session_factory, "sup", "supervisor")
    balance = unique("BAL-").upper()
    with make_uow(sup) as uow:
        equipment.add_class(uow, EquipmentClass(balance, "Balance", 365, weighing=True))
        uow.commit()
    with make_uow(ENGINEER) as uow:
        part = make_item(uow, "CP")
        uow.commit()
    first = tmp_path / "routing.csv"
    first.write_text(
        "op,work_centre,op_title,step,step_title,equipment_class,data_code,data_label,data_kind,"
        f"data_unit\n10,WEIGH-1,Weigh,1,Weigh resin,{balance},W,Weight,numeric,g\n"
    )
    assert cli("routing", "import", part, str(first), "--label", "A", "--as", ENGINEER) == 0
    capsys.readouterr()
    assert cli("routing", "show", part, "--rev", "A", "--format", "csv") == 0
    exported = capsys.readouterr().out
    assert exported.splitlines()[0].startswith("op,work_centre,") and balance in exported
    again = tmp_path / "exported.csv"
    again.write_text(exported)
    assert cli("routing", "import", part, str(again), "--label", "B", "--as", ENGINEER) == 0
    with make_uow(ENGINEER) as uow:
        a, b = (routing.get_routing(uow, part, r).operations for r in ("A", "B"))
    assert a == b and a[0].steps[0].equipment_class == balance
    assert cli("routing", "show", part, "--rev", "B") == 0
    assert f"unit: {balance}" in capsys.readouterr().out
