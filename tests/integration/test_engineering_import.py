"""CSV import of BOMs and routings: all rows or nothing, each bad row reported."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from domain.services import bom, compare, engineering_import, equipment, routing
from domain.services.equipment import EquipmentClass
from tests.conftest import unique
from tests.integration.engineering_helpers import (
    ENGINEER,
    engineer,  # noqa: F401
    make_item,
    make_signer,
)

pytestmark = [pytest.mark.pg18, pytest.mark.usefixtures("engineer")]


def _revision_count(uow, item: str) -> int:
    return len(bom.bom_history(uow, item))


def test_good_bom_csv_imports_into_a_new_draft(make_uow) -> None:
    """A clean file becomes a draft revision with every line, scrap in % or as a fraction."""
    with make_uow(ENGINEER, reason="import") as uow:
        parent, a, b = make_item(uow, "P"), make_item(uow), make_item(uow, "RM", "raw", "kg")
        csv_text = (
            "Component,Quantity,Unit,Scrap,Ref Designators\n"
            f"{a},2,,5%,R1 R2\n"
            f"{b.lower()},250,g,0.1,\n"
        )
        view = engineering_import.import_bom(uow, parent, csv_text)
        uow.commit()
    assert view.summary.status == "draft"
    assert [(x.component, x.quantity_per, x.unit, x.scrap_factor) for x in view.lines] == [
        (a, Decimal(2), "ea", Decimal("0.05")),
        (b, Decimal(250), "g", Decimal("0.1")),
    ]
    assert view.lines[0].ref_designators == ("R1", "R2")


def test_bom_csv_with_bad_rows_imports_nothing_and_names_each_row(make_uow) -> None:
    """Three bad rows among good ones: three row-numbered problems, no revision created."""
    with make_uow(ENGINEER, reason="import") as uow:
        parent, a = make_item(uow, "P"), make_item(uow)
        uow.commit()
    csv_text = (
        "component,quantity,scrap,optional\n"
        f"{a},1,,\n"  # row 2 fine
        f"{a},abc,,\n"  # row 3 quantity
        "NOPE-404,1,,\n"  # row 4 unknown item
        f"{a},1,,maybe\n"  # row 5 flag
        f"{a},1,2,\n"  # row 6 scrap 200%
    )
    with make_uow(ENGINEER, reason="import") as uow:
        with pytest.raises(engineering_import.ImportRejected) as err:
            engineering_import.import_bom(uow, parent, csv_text)
        assert _revision_count(uow, parent) == 0
    problems = err.value.problems
    assert [p.split(":")[0].split(" (")[0] for p in problems] == [
        "row 3", "row 4", "row 5", "row 6"
    ]  # fmt: skip
    with make_uow(ENGINEER) as uow:
        assert _revision_count(uow, parent) == 0
        lines = uow.session.scalar(
            text(
                "SELECT count(*) FROM workcell.bom_line l JOIN workcell.bom_revision r "
                "ON r.id = l.bom_revision_id JOIN workcell.item i ON i.id = r.item_id "
                "WHERE i.item_number = :p"
            ),
            {"p": parent},
        )
    assert lines == 0


def test_bom_csv_unknown_column_is_reported(make_uow) -> None:
    """A misspelt header is named, not silently ignored."""
    with make_uow(ENGINEER) as uow:
        parent = make_item(uow, "P")
        with pytest.raises(engineering_import.ImportRejected, match="unknown columns qty"):
            engineering_import.import_bom(uow, parent, "component,qty\nX,1\n")


ROUTING_CSV = (
    "op,work_centre,op_title,minutes,step,step_title,critical,signatures,"
    "data_code,data_label,data_kind,data_unit,lower,upper,target,component\n"
    "10,MOLD-1,Mould body,12.5,1,Load resin,,,LOT,Resin lot,lot_scan,,,,,{resin}\n"
    "10,,,,2,Check weight,,performed:operator;verified:supervisor,"
    "WEIGHT,Shot weight,numeric,g,11.8,12.4,12.1,\n"
    "20,ASSY-2,Assemble,4,1,Leak test,y,performed:operator;reviewed:qa,"
    "LEAK,Leak test,pass_fail,,,,,\n"
    "20,,,,1,,,,NOTE,Remarks,text,,,,,\n"
)


def test_routing_csv_imports_operations_steps_data_and_signoffs(make_uow) -> None:
    """The flat routing file becomes operations → steps → data entries and sign-offs."""
    with make_uow(ENGINEER, reason="import") as uow:
        part, resin = make_item(uow, "CP"), make_item(uow, "RM", "raw", "kg")
        uow.commit()
    with make_uow(ENGINEER, reason="import") as uow:
        engineering_import.import_bom(uow, part, f"component,quantity,unit\n{resin},12,g\n")
        view = engineering_import.import_routing(uow, part, ROUTING_CSV.format(resin=resin))
        uow.commit()
    with make_uow(ENGINEER) as uow:
        again = routing.get_routing(uow, part, view.summary.revision)
    assert again == view
    op10, op20 = view.operations
    assert (op10.work_centre, op10.standard_minutes, len(op10.steps)) == (
        "MOLD-1",
        Decimal("12.5"),
        2,
    )
    weight = op10.steps[1].data[0]
    assert (weight.lower_limit, weight.upper_limit, weight.target) == (
        Decimal("11.8"), Decimal("12.4"), Decimal("12.1")
    )  # fmt: skip
    assert [g.meaning for g in op10.steps[1].signoffs] == ["performed", "verified"]
    assert op10.steps[0].data[0].component == resin
    assert op20.steps[0].critical and [d.code for d in op20.steps[0].data] == ["LEAK", "NOTE"]


def test_routing_csv_problems_are_all_reported(make_uow) -> None:
    """Bad limits, a critical step without QA review and an unknown kind: all listed, none saved."""
    bad = (
        "op,work_centre,op_title,step,step_title,critical,data_code,data_label,data_kind,"
        "data_unit,lower,upper\n"
        "10,WC,Op,1,Step,y,W,Weight,numeric,g,5,1\n"
        "10,WC,Op,2,Step two,,X,Thing,colour,,,\n"
        "10,WC,Op,x,Step three,,,,,,,\n"
    )
    with make_uow(ENGINEER) as uow:
        part = make_item(uow, "CP")
        uow.commit()
    with make_uow(ENGINEER, reason="import") as uow:
        with pytest.raises(engineering_import.ImportRejected) as err:
            engineering_import.import_routing(uow, part, bad)
        assert routing.routing_history(uow, part) == []
    joined = "\n".join(err.value.problems)
    assert "row 4: step 'x' is not a whole number" in joined
    with make_uow(ENGINEER, reason="import") as uow:
        fixed = bad.replace("10,WC,Op,x,Step three,,,,,,,\n", "")
        with pytest.raises(engineering_import.ImportRejected) as err2:
            engineering_import.import_routing(uow, part, fixed)
    joined = "\n".join(err2.value.problems)
    assert "lower limit is above upper limit" in joined
    assert "QA review" in joined and "kind 'colour'" in joined


def test_lot_scan_of_a_component_not_on_the_bom_is_refused(make_uow) -> None:
    """A lot scan must name a component of the item's BOM."""
    with make_uow(ENGINEER, reason="import") as uow:
        part, stranger = make_item(uow, "CP"), make_item(uow, "XX")
        csv_text = (
            "op,work_centre,op_title,step,step_title,data_code,data_label,data_kind,component\n"
            f"10,WC,Op,1,Scan,LOT,Lot,lot_scan,{stranger}\n"
        )
        with pytest.raises(engineering_import.ImportRejected, match="not on any"):
            engineering_import.import_routing(uow, part, csv_text)


def test_item_csv_all_or_nothing_with_row_errors(make_uow, new_user, database) -> None:
    """Items import: a bad type, a duplicate and a bad GTIN are each reported; nothing created."""
    from domain.services import items
    from tests.integration.engineering_helpers import grant_roles

    user = new_user("itm")
    grant_roles(database, user.username, "engineer")
    a, b = (
        f"IMP-{user.username[-6:].upper()}-1",
        f"IMP-{user.username[-6:].upper()}-2",
    )
    bad = (
        "item_number,description,type,unit,gtin\n"
        f"{a},Bracket,component,ea,\n"
        f"{b},Screw,gizmo,ea,\n"
        f"{a},Again,component,ea,\n"
        f"{b}X,Label,packaging,ea,12345\n"
    )
    with make_uow(user.username) as uow, pytest.raises(engineering_import.ImportRejected) as err:
        engineering_import.import_items(uow, bad)
    rows = [p.split(":")[0] for p in err.value.problems]
    assert rows == ["row 2", "row 3", "row 4", "row 5"]
    good = f"item_number,description,type,unit,tracking\n{a},Bracket,component,ea,serial\n"
    with make_uow(user.username) as uow:
        created = engineering_import.import_items(uow, good)
        uow.commit()
    assert [(i.item_number, i.tracking, i.status) for i in created] == [(a, "serial", "draft")]
    with make_uow(user.username) as uow:
        assert items.get_item(uow, a).description == "Bracket"


def test_routing_equipment_class_round_trips_through_csv_and_shows_in_compare(
    make_uow, database, session_factory
) -> None:
    """The class a step needs is read from the CSV, written back by the export, and an
    export edited to name another class imports as a revision that compares as that
    change; an unknown class imports nothing."""
    sup = make_signer(database, session_factory, "sup", "supervisor")
    bal, driver = unique("BAL-").upper(), unique("TQ-").upper()
    with make_uow(sup) as uow:
        equipment.add_class(uow, EquipmentClass(bal, "Balance", 365, weighing=True))
        equipment.add_class(uow, EquipmentClass(driver, "Torque driver", 180))
        uow.commit()
    with make_uow(ENGINEER, reason="import") as uow:
        part = make_item(uow, "CP")
        uow.commit()
    csv_text = (
        "op,work_centre,op_title,step,step_title,equipment_class,data_code,data_label,"
        "data_kind,data_unit,lower,upper\n"
        f"10,WEIGH-1,Weigh,1,Weigh resin,{bal.lower()},W,Weight,numeric,g,4.9,5.1\n"
        "10,,,2,Torque cap,,T,Torque,numeric,N·m,1.8,2.2\n"
    )
    with make_uow(ENGINEER, reason="import") as uow:
        a = engineering_import.import_routing(uow, part, csv_text, label="A")
        uow.commit()
    assert [s.equipment_class for s in a.operations[0].steps] == [bal, None]
    exported = engineering_import.routing_csv(a.operations)
    assert f",{bal}," in exported.splitlines()[1]
    edited = exported.replace("performed:operator,,T,", f"performed:operator,{driver},T,")
    assert edited != exported
    with make_uow(ENGINEER, reason="import") as uow:
        same = engineering_import.import_routing(uow, part, exported, label="B")
        changed = engineering_import.import_routing(uow, part, edited, label="C")
        uow.commit()
    assert same.operations == a.operations
    assert [s.equipment_class for s in changed.operations[0].steps] == [bal, driver]
    with make_uow(ENGINEER) as uow:
        diff = compare.compare_routings(uow, part, "A", "C")
        assert compare.compare_routings(uow, part, "A", "B").differences == ()
    assert [(d.key, c.field, c.before, c.after) for d in diff.differences for c in d.changes] == [
        ("op 10 / step 2", "equipment class", "", driver)
    ]
    refused = pytest.raises(engineering_import.ImportRejected, match="no equipment class")
    with make_uow(ENGINEER, reason="import") as uow, refused:
        engineering_import.import_routing(uow, part, csv_text.replace(bal.lower(), "NOSUCH"))
    with make_uow(ENGINEER) as uow:  # the refused import's transaction was never committed
        assert len(routing.routing_history(uow, part)) == 3
