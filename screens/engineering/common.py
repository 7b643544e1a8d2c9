"""Text shared by the engineering screens: effectivity, manifestations, BOM/routing bodies."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from domain.views.engineering import BomView, RevisionSummary, RoutingView, text_of
from screens.backend import SignatureLine
from screens.station import fmt_time

STATUS = {
    "draft": "DRAFT",
    "in_review": "IN REVIEW",
    "reviewed": "REVIEWED",
    "released": "RELEASED",
    "superseded": "SUPERSEDED",
    "obsolete": "OBSOLETE",
    "approved": "APPROVED",
    "cancelled": "CANCELLED",
}


def effective(s: RevisionSummary, tz: ZoneInfo) -> str:
    if s.effective_from is None:
        return "not released"
    end = fmt_time(s.effective_to, tz) if s.effective_to else "open"
    return f"{fmt_time(s.effective_from, tz)} → {end}"


def manifestations(sigs: tuple[SignatureLine, ...], tz: ZoneInfo) -> str:
    """Printed name, meaning, date/time with zone — and whether the binding still holds."""
    if not sigs:
        return "No signatures yet."
    lines = []
    for s in sigs:
        state = "valid" if s.valid else "NOT VALID (record changed or signature copied)"
        note = f" — “{s.comment}”" if s.comment else ""
        lines.append(
            f"{s.meaning.capitalize()} by {s.printed_name} on "
            f"{fmt_time(s.signed_at, tz, seconds=True)} [{state}]{note}"
        )
    return "\n".join(lines)


def header(s: RevisionSummary, tz: ZoneInfo) -> str:
    return (
        f"{s.title}  [{STATUS.get(s.status, s.status)}]  {s.description}".rstrip()
        + f"\nEffective: {effective(s, tz)}"
        + f"\nCreated {fmt_time(s.created_at, tz)} by {s.created_by} · version {s.version}"
        + f"\nContent SHA-256 {s.content_hash[:16]}…"
    )


def bom_body(view: BomView) -> str:
    if not view.lines:
        return "(no lines)"
    out = []
    for x in view.lines:
        flag = (
            "  optional" if x.optional else (f"  alt of {x.alternate_of}" if x.alternate_of else "")
        )
        scrap = f"  +{text_of(x.scrap_factor * 100)}% scrap" if x.scrap_factor else ""
        refs = f"  [{' '.join(x.ref_designators)}]" if x.ref_designators else ""
        out.append(
            f"{x.position:>4}  {x.component:<12} {text_of(x.quantity_per):>8} {x.unit:<3}"
            f"{scrap}{flag}{refs}\n      ↳ {x.description}"
        )
    return "\n".join(out)


def routing_body(view: RoutingView) -> str:
    out = []
    for o in view.operations:
        out.append(
            f"Op {o.op_number}  {o.title}  @{o.work_centre}  {text_of(o.standard_minutes)} min"
        )
        for s in o.steps:
            crit = "  [CRITICAL]" if s.critical else ""
            out.append(f"  {s.step_number}. {s.title}{crit}")
            signs = ", ".join(f"{g.meaning} by {g.role}" for g in s.signoffs)
            out.append(f"     signs: {signs}")
            for d in s.data:
                limits = ""
                if d.kind == "numeric":
                    lo, hi = text_of(d.lower_limit) or "…", text_of(d.upper_limit) or "…"
                    limits = f" {lo}–{hi} {d.unit}"
                elif d.kind == "lot_scan":
                    limits = f" of {d.component}"
                out.append(f"     • {d.label} ({d.kind.replace('_', '/')}{limits})")
    return "\n".join(out) or "(no operations)"
