"""Pure engineering rules: units, line checks, labels, roll-up, comparison, CSV rows."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from domain.services.bom import BomLineView
from domain.services.compare import bom_rows, diff_rows, routing_rows
from domain.services.engineering_import import parse_bom_csv, parse_routing_csv, routing_csv
from domain.services.engineering_rules import (
    ComponentFacts,
    ExplodedLine,
    LineFacts,
    component_quantity,
    line_problems,
    next_label,
    parse_scrap,
    revision_problems,
    roll_up,
    unit_factor,
)
from domain.services.routing import DataSpec, OperationSpec, SignoffSpec, StepSpec, step_problems

PART = ComponentFacts("CP-1", "ea", "lot", "approved")
SERIAL = ComponentFacts("SN-1", "ea", "serial", "approved")
RESIN = ComponentFacts("RM-1", "kg", "lot", "approved")


def test_component_quantity_is_quantity_per_times_one_plus_scrap() -> None:
    """2 per with 5 % scrap issues 2.1."""
    assert component_quantity(D(2), D("0.05")) == D("2.10")


@pytest.mark.parametrize(
    ("src", "dst", "factor"),
    [("g", "kg", D("0.001")), ("kg", "g", D(1000)), ("mm", "m", D("0.001"))],
)
def test_unit_conversion_within_a_dimension(src: str, dst: str, factor: D) -> None:
    """Mass, volume and length convert by their factors."""
    assert unit_factor(src, dst) == factor


def test_unit_conversion_across_dimensions_is_refused() -> None:
    """Grams are not metres."""
    with pytest.raises(ValueError, match="cannot be converted"):
        unit_factor("g", "m")


@pytest.mark.parametrize(
    ("existing", "expected"),
    [([], "A"), (["A"], "B"), (["A", "B", "Z"], "AA"), (["AZ", "B"], "BA"), (["1", "2"], "3")],
)
def test_next_revision_label(existing: list[str], expected: str) -> None:
    """Labels count A..Z, AA..; numeric labels count up."""
    assert next_label(existing) == expected


def test_scrap_as_percent_or_fraction() -> None:
    """'2%' and '0.02' mean the same; blank is none."""
    assert parse_scrap("2%") == parse_scrap("0.02") == D("0.02") and parse_scrap("") == 0


def test_valid_line_has_no_problems() -> None:
    """A sensible line passes."""
    assert line_problems(LineFacts(10, D("12.5"), "g", D("0.04")), RESIN, "FG-1") == []


def test_line_problems_each_named() -> None:
    """Self-reference, zero quantity, wrong unit and bad scrap are all reported."""
    problems = line_problems(LineFacts(10, D(0), "m", D(1)), RESIN, "RM-1")
    assert len(problems) == 4


def test_serialised_component_needs_whole_quantity_in_each() -> None:
    """A serialised component cannot be used 1.5 times."""
    assert any(
        "serialised" in p for p in line_problems(LineFacts(1, D("1.5"), "ea", D(0)), SERIAL, "X")
    )


def test_reference_designators_one_per_piece() -> None:
    """Three designators for a quantity of two is refused; two is fine."""
    bad = LineFacts(1, D(2), "ea", D(0), ref_designators=("R1", "R2", "R3"))
    good = LineFacts(1, D(2), "ea", D(0), ref_designators=("R1", "R2"))
    assert line_problems(bad, PART, "X") and not line_problems(good, PART, "X")


def test_revision_rules_positions_alternates_designators() -> None:
    """Duplicate positions, dangling alternates and shared designators are found."""
    lines = [
        LineFacts(10, D(1), "ea", D(0), ref_designators=("R1",)),
        LineFacts(10, D(1), "ea", D(0), ref_designators=("R1",)),
        LineFacts(30, D(1), "ea", D(0), alternate_of=20),
    ]
    assert len(revision_problems(lines)) == 3


def _node(level: int, parent: str, comp: str, ext: str, counted: bool = True) -> ExplodedLine:
    return ExplodedLine(
        level, (level,), parent, "A", 10, comp, comp, D(1), "ea", D(0), D(ext), "ea", counted
    )


def test_roll_up_sums_paths_and_marks_subassemblies() -> None:
    """A leaf reached through two paths is summed; uncounted branches are left out."""
    lines = [
        _node(1, "FG", "SA", "2"),
        _node(2, "SA", "CP", "4"),
        _node(1, "FG", "CP", "1.5"),
        _node(1, "FG", "OPT", "9", counted=False),
    ]
    totals = {t.item_number: (t.quantity, t.made, t.occurrences) for t in roll_up(lines)}
    assert totals == {"SA": (D(2), True, 1), "CP": (D("5.5"), False, 2)}


def _line(pos: int, comp: str, qty: str, notes: str = "") -> BomLineView:
    return BomLineView(pos, comp, comp, D(qty), "ea", D(0), False, None, (), notes)


def test_bom_comparison_added_removed_changed() -> None:
    """Lines are matched by component: quantity change, one removed, one added."""
    left = [_line(10, "A", "1"), _line(20, "B", "2")]
    right = [_line(10, "A", "1.000"), _line(20, "C", "1"), _line(30, "A", "3", "second")]
    diffs = diff_rows(bom_rows(left), bom_rows(right))
    assert [(d.kind, d.key) for d in diffs] == [("removed", "B"), ("added", "C"), ("added", "A #2")]


def test_bom_comparison_reports_changed_fields() -> None:
    """A changed quantity shows field, before and after, trailing zeros ignored."""
    diffs = diff_rows(bom_rows([_line(10, "A", "1.5")]), bom_rows([_line(10, "A", "2.000000")]))
    assert [(c.field, c.before, c.after) for c in diffs[0].changes] == [("qty", "1.5", "2")]


def test_routing_comparison_flattens_ops_steps_data() -> None:
    """A tightened limit shows as a change on the data entry's key."""

    def routing(upper: str) -> list[OperationSpec]:
        data = (DataSpec("W", "Weight", "numeric", "g", D(1), D(upper)),)
        return [OperationSpec(10, "WC", "Op", steps=(StepSpec(1, "S", data=data),))]

    diffs = diff_rows(routing_rows(routing("5")), routing_rows(routing("4")))
    assert [(d.key, d.changes[0].field) for d in diffs] == [("op 10 / step 1 / W", "high")]


def test_routing_comparison_shows_the_equipment_class() -> None:
    """A step that now names the balance it is weighed on: a change of its equipment class."""

    def routing(cls: str | None) -> list[OperationSpec]:
        return [OperationSpec(10, "WC", "Op", steps=(StepSpec(1, "S", equipment_class=cls),))]

    diffs = diff_rows(routing_rows(routing(None)), routing_rows(routing("BALANCE")))
    assert [(d.key, c.field, c.before, c.after) for d in diffs for c in d.changes] == [
        ("op 10 / step 1", "equipment class", "", "BALANCE")
    ]


def test_routing_csv_round_trips_steps_data_and_equipment_class() -> None:
    """What the export writes the import reads back to the same routing: repeated
    operation/step columns, a step without data, limits, flags, sign-offs, equipment."""
    ops = [
        OperationSpec(10, "WEIGH-1", "Weigh, mix", "Gloves on.", D("12.5"), (
            StepSpec(1, "Weigh resin", "Tare, dispense", data=(
                DataSpec("RESIN", "Resin, g", "numeric", "g", D("4.9"), D("5.1"), D(5)),
                DataSpec("NOTE", "Remarks", "text", required=False),
            ), signoffs=(SignoffSpec("performed", "operator"), SignoffSpec("verified",
                         "supervisor")), equipment_class="BAL-1"),
            StepSpec(2, "Mix", "Stir 2 min", critical=True, signoffs=(
                SignoffSpec("performed", "operator"), SignoffSpec("reviewed", "qa")),
                equipment_class="MIXER"),
        )),
        OperationSpec(20, "PACK-1", "Pack", steps=(
            StepSpec(1, "Scan cap", data=(DataSpec("CAP", "Cap lot", "lot_scan",
                                                   component="CP-1"),)),
        )),
    ]  # fmt: skip
    text = routing_csv(ops)
    assert text.splitlines()[0].split(",")[9:11] == ["signatures", "equipment_class"]
    back, problems = parse_routing_csv(text)
    assert problems == []
    assert back == ops


def test_routing_csv_equipment_class_is_one_per_step() -> None:
    """A later row of a step may repeat its equipment class or leave it blank, not change it."""
    text = (
        "op,work_centre,op_title,step,step_title,equipment_class,data_code,data_kind\n"
        "10,WC,Op,1,Weigh,bal-1,A,text\n10,,,1,,,B,text\n10,,,1,,BAL-1,C,text\n"
    )
    ops, problems = parse_routing_csv(text)
    assert problems == [] and ops[0].steps[0].equipment_class == "BAL-1"
    _, problems = parse_routing_csv(text + "10,,,1,,TORQUE,D,text\n")
    assert problems == ["row 5: equipment_class of step 1 differs from its first row"]


def test_critical_step_needs_qa_review() -> None:
    """A critical step without a QA review sign-off is refused."""
    step = StepSpec(1, "Seal", critical=True, signoffs=(SignoffSpec("performed", "operator"),))
    assert any("QA review" in p for p in step_problems(step))


def test_bom_csv_rows_parse_and_errors_name_rows() -> None:
    """Good rows parse; a bad number names its row (header is row 1)."""
    lines, problems = parse_bom_csv('component,quantity,ref_designators\nA,2,"R1, R2"\nB,x,\n')
    assert [(n, x.component, x.ref_designators) for n, x in lines] == [(2, "A", ("R1", "R2"))]
    assert problems == ["row 3: quantity 'x' is not a number"]


def test_routing_csv_contradicting_operation_rows_are_refused() -> None:
    """A later row may not give an operation a different work centre."""
    text = "op,work_centre,op_title,step,step_title\n10,A,Op,1,S\n10,B,Op,2,T\n"
    _, problems = parse_routing_csv(text)
    assert problems == ["row 3: work_centre of operation 10 differs from its first row"]


def test_as_of_date_means_midnight_in_the_site_zone() -> None:
    """`--as-of 2026-12-01` at a Berlin site is 2026-11-30 23:00 UTC."""
    import datetime as dt

    from domain.services.effectivity import parse_instant

    at = parse_instant("2026-12-01", "Europe/Berlin")
    assert at.astimezone(dt.UTC) == dt.datetime(2026, 11, 30, 23, 0, tzinfo=dt.UTC)
    explicit = parse_instant("2026-12-01T08:30:00+00:00", "Europe/Berlin")
    assert explicit == dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.UTC)


def test_as_of_rejects_garbage() -> None:
    """A non-date is refused with a message saying what is expected."""
    from domain.errors import InvalidInput
    from domain.services.effectivity import parse_instant

    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        parse_instant("next tuesday", "UTC")
