"""The inspection a step names, for the step screen (migration 0030): the domain's view of it
as the screen's DTO, with what the step waits for said in the operator's words (the database
holds the step whatever is shown)."""

from __future__ import annotations

from domain.views import work_orders as v
from screens.work_orders import backend as s


def _waiting(i: v.StepInspectionView) -> str:
    if i.accepted:
        return ""
    if i.status == "open":
        return (
            f"Inspection {i.number}: {i.results} of {i.needed} results — the inspector enters"
            " them and signs it inspected; then QA's disposition."
        )
    if i.status == "completed":
        return f"Inspection {i.number} ({i.decision or '?'}) waits for QA's disposition."
    if i.status == "referred" and i.ncr_status == "open":
        return f"Inspection {i.number} went to {i.ncr_number}: the step waits for its disposition."
    if i.status == "referred":
        disposition = (i.ncr_disposition or "").replace("_", " ")
        return (
            f"{i.ncr_number} was dispositioned {disposition}: this step does not go on."
            " Complete the work order short; QA approves the deviation that opens."
        )
    return f"Inspection {i.number} is {i.status}."


def inspection_dto(step: v.StepView) -> s.StepInspection | None:
    if step.inspection_type is None:
        return None
    i = step.inspection
    if i is None:
        kind = step.inspection_type.replace("_", "-")
        return s.StepInspection(
            step.inspection_type,
            waiting=f"The {kind} inspection opens when the step starts (Start step, or its"
            " first entry).",
        )
    ncr = f"{i.ncr_number} ({(i.ncr_disposition or i.ncr_status or '').replace('_', ' ')})"
    return s.StepInspection(
        kind=i.inspection_type, number=i.number, status=i.status, decision=i.decision or "",
        results=i.results, needed=i.needed, ncr=ncr if i.ncr_number else "",
        accepted=i.accepted, waiting=_waiting(i),
        stops_work_order=step.stopped_at is not None and step.seq >= step.stopped_at,
    )  # fmt: skip
