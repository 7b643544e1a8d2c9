"""The routing CSV's inspection column (migration 0030): the inspection a step names, read
with the step's first row; a value other than in_process or final is refused with its row."""

from __future__ import annotations

from domain.services.engineering_import import parse_routing_csv

HEAD = "op,work_centre,op_title,step,step_title,data_code,data_label,data_kind,inspection\n"


def test_a_step_names_its_inspection() -> None:
    text = HEAD + (
        "10,ASSY-1,Assemble,1,Build,OK,Built,pass_fail,\n"
        "10,,,2,Check,LEAK,Leak test,pass_fail,in-process\n"
        "10,,,2,,SEAL,Seal,pass_fail,\n"
        "20,PACK-1,Pack,1,Pack,,,,final\n"
    )
    ops, problems = parse_routing_csv(text)
    assert problems == []
    steps = [(o.op_number, s.step_number, s.inspection, len(s.data)) for o in ops for s in o.steps]
    assert steps == [(10, 1, None, 1), (10, 2, "in_process", 2), (20, 1, "final", 0)]


def test_an_unknown_inspection_is_refused_with_its_row() -> None:
    _, problems = parse_routing_csv(HEAD + "10,ASSY-1,Assemble,1,Build,,,,receiving\n")
    assert problems == ["row 2: inspection is in_process or final, not 'receiving'"]
