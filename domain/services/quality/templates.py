"""Inspection templates: versioned per item and inspection type, authored and submitted by
a quality engineer (signed "authored"), released by QA (signed "approved", not the author);
releasing a revision supersedes the one released before.

API:
  create_template(uow, NewTemplate) -> TemplateView           (quality.template; a draft)
  get_template(uow, item_number, inspection_type, revision=None) -> TemplateView
  submit_template(uow, template_id, signing) -> TemplateView  (draft -> in_review)
  release_template(uow, template_id, signing) -> TemplateView (in_review -> released)

The database refuses content changes after the draft (WC117), a submission without
characteristics or a plan for each defect class (WC024), the author's approval (WC012).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.quality import z14
from domain.services.access import require_permission
from domain.services.eco import Signing
from domain.services.materials.db import item_id, one, run, scalar
from domain.services.quality.signing import sign_records
from domain.uow import UnitOfWork

TYPES = ("receiving", "in_process", "final", "first_article", "periodic")
CLASSES = ("critical", "major", "minor")
KINDS = ("attribute", "variable", "visual")
SAMPLING = ("z14", "full", "fixed")


@dataclass(frozen=True)
class Characteristic:
    name: str
    kind: str  # attribute | variable | visual
    defect_class: str  # critical | major | minor
    unit: str | None = None
    nominal: Decimal | None = None
    lower_limit: Decimal | None = None
    upper_limit: Decimal | None = None
    instruction: str = ""
    id: int | None = None
    seq: int | None = None


@dataclass(frozen=True)
class NewTemplate:
    item_number: str
    inspection_type: str
    title: str
    sampling: str  # z14 | full | fixed
    characteristics: tuple[Characteristic, ...]
    level: str | None = None  # z14
    aql: dict[str, Decimal] = field(default_factory=dict)  # z14: defect class -> AQL
    fixed_count: int | None = None  # fixed
    accept: dict[str, int] = field(default_factory=dict)  # full/fixed: class -> Ac


@dataclass(frozen=True)
class TemplateView:
    id: int
    item_number: str
    inspection_type: str
    revision: int
    title: str
    sampling: str
    level: str | None
    fixed_count: int | None
    status: str
    version: int
    created_by: str
    classes: dict[str, tuple[Decimal | None, int | None]]  # class -> (AQL, Ac)
    characteristics: tuple[Characteristic, ...]
    data_version: str

    def describe_sampling(self) -> str:
        if self.sampling == "z14":
            aqls = ", ".join(f"{c} AQL {a}" for c, (a, _) in sorted(self.classes.items()))
            return f"Z1.4 level {self.level}; {aqls} (data {self.data_version})"
        if self.sampling == "fixed":
            return f"{self.fixed_count} units per lot"
        return "every unit"


def _validate(t: NewTemplate) -> None:
    if t.inspection_type not in TYPES:
        raise InvalidInput(f"Inspection type: one of {', '.join(TYPES)}.")
    if t.sampling not in SAMPLING:
        raise InvalidInput(f"Sampling: one of {', '.join(SAMPLING)}.")
    if not t.title.strip():
        raise InvalidInput("Give the template a title.")
    if not t.characteristics:
        raise InvalidInput("A template lists at least one characteristic.")
    for c in t.characteristics:
        if c.kind not in KINDS or c.defect_class not in CLASSES:
            raise InvalidInput(f"{c.name}: kind {'/'.join(KINDS)}, class {'/'.join(CLASSES)}.")
        if c.kind == "variable" and (
            not c.unit or (c.lower_limit is None and c.upper_limit is None)
        ):
            raise InvalidInput(f"{c.name} is measured: give its unit and at least one limit.")
    used = {c.defect_class for c in t.characteristics}
    if t.sampling == "z14":
        if t.level is None:
            raise InvalidInput("Z1.4 sampling needs an inspection level.")
        z14.parse_level(t.level)
        missing = sorted(used - set(t.aql))
        if missing:
            raise InvalidInput(f"Give an AQL for: {', '.join(missing)}.")
        for value in t.aql.values():
            z14.parse_aql(value)
    if t.sampling == "fixed" and not (t.fixed_count and t.fixed_count > 0):
        raise InvalidInput("A fixed plan names how many units are inspected.")


def create_template(uow: UnitOfWork, t: NewTemplate) -> TemplateView:
    """A new draft revision (the next number for the item and type)."""
    require_permission(uow, "quality.template")
    _validate(t)
    item = item_id(uow, t.item_number)
    revision = 1 + int(
        scalar(
            uow,
            "SELECT coalesce(max(revision), 0) FROM workcell.inspection_template"
            " WHERE item_id = :i AND inspection_type = :t",
            {"i": item, "t": t.inspection_type},
        )
    )
    uow.set_reason(f"inspection template {t.item_number} {t.inspection_type} rev {revision}")
    level = z14.parse_level(t.level) if t.sampling == "z14" and t.level else None
    tid = int(
        scalar(
            uow,
            "INSERT INTO workcell.inspection_template (item_id, inspection_type, revision, title,"
            " sampling, inspection_level, fixed_count, version) VALUES (:i, :t, :r, :title, :s,"
            " :level, :n, 1) RETURNING id",
            {
                "i": item,
                "t": t.inspection_type,
                "r": revision,
                "title": t.title.strip(),
                "s": t.sampling,
                "level": level,
                "n": t.fixed_count if t.sampling == "fixed" else None,
            },
        )
    )
    for cls in sorted({c.defect_class for c in t.characteristics}):
        aql = z14.parse_aql(t.aql[cls]) if t.sampling == "z14" else None
        run(
            uow,
            "INSERT INTO workcell.inspection_template_class (template_id, defect_class, aql,"
            " accept_number, version) VALUES (:t, :c, :aql, :ac, 1)",
            {"t": tid, "c": cls, "aql": aql,
             "ac": None if t.sampling == "z14" else t.accept.get(cls, 0)},
        )  # fmt: skip
    for seq, c in enumerate(t.characteristics, start=1):
        run(
            uow,
            "INSERT INTO workcell.inspection_characteristic (template_id, seq, name, kind,"
            " defect_class, unit, nominal, lower_limit, upper_limit, instruction, version)"
            " VALUES (:t, :seq, :name, :kind, :cls, :unit, :nom, :lo, :hi, :ins, 1)",
            {"t": tid, "seq": seq, "name": c.name.strip(), "kind": c.kind,
             "cls": c.defect_class, "unit": c.unit if c.kind == "variable" else None,
             "nom": c.nominal, "lo": c.lower_limit, "hi": c.upper_limit,
             "ins": c.instruction.strip()},
        )  # fmt: skip
    return template_view(uow, tid)


_TEMPLATE = """
SELECT t.id, i.item_number, t.inspection_type, t.revision, t.title, t.sampling,
       t.inspection_level AS level, t.fixed_count, t.status, t.version, u.username AS created_by
  FROM workcell.inspection_template t JOIN workcell.item i ON i.id = t.item_id
  JOIN workcell.users u ON u.id = t.created_by WHERE t.id = :id
"""


def template_view(uow: UnitOfWork, template_id: int) -> TemplateView:
    row = one(uow, _TEMPLATE, {"id": template_id})
    if row is None:
        raise NotFound(f"There is no inspection template {template_id}.")
    classes = {
        r.defect_class: (r.aql, r.accept_number)
        for r in run(
            uow,
            "SELECT defect_class, aql, accept_number FROM workcell.inspection_template_class"
            " WHERE template_id = :id",
            {"id": template_id},
        )
    }
    chars = tuple(
        Characteristic(
            r.name,
            r.kind,
            r.defect_class,
            r.unit,
            r.nominal,
            r.lower_limit,
            r.upper_limit,
            r.instruction,
            int(r.id),
            int(r.seq),
        )
        for r in run(
            uow,
            "SELECT id, seq, name, kind, defect_class, unit, nominal, lower_limit, upper_limit,"
            " instruction FROM workcell.inspection_characteristic WHERE template_id = :id"
            " ORDER BY seq",
            {"id": template_id},
        )
    )
    version = scalar(uow, "SELECT data_version FROM workcell.quality_policy WHERE id = 1")
    return TemplateView(
        **dict(row._mapping), classes=classes, characteristics=chars, data_version=str(version)
    )


def get_template(
    uow: UnitOfWork, item_number: str, inspection_type: str, revision: int | None = None
) -> TemplateView:
    """A revision, or the released one (else the newest) when none is named."""
    found = scalar(
        uow,
        "SELECT t.id FROM workcell.inspection_template t JOIN workcell.item i ON i.id = t.item_id"
        " WHERE i.item_number = :n AND t.inspection_type = :t"
        " AND (CAST(:r AS integer) IS NULL OR t.revision = :r)"
        " ORDER BY (t.status = 'released') DESC, t.revision DESC LIMIT 1",
        {"n": item_number.strip().upper(), "t": inspection_type, "r": revision},
    )
    if found is None:
        raise NotFound(f"There is no {inspection_type} inspection template for {item_number}.")
    return template_view(uow, int(found))


def _move(uow: UnitOfWork, t: TemplateView, to: str) -> None:
    rows = run(
        uow,
        "UPDATE workcell.inspection_template SET status = :to, version = version + 1"
        " WHERE id = :id AND version = :v RETURNING id",
        {"to": to, "id": t.id, "v": t.version},
    )
    if not rows:
        raise RuleViolation(f"Template {t.id} changed meanwhile: reload it and sign again.")


def submit_template(uow: UnitOfWork, template_id: int, signing: Signing) -> TemplateView:
    t = template_view(uow, template_id)
    if t.status != "draft":
        raise RuleViolation(
            f"Template revision {t.revision} is {t.status}: only a draft is submitted."
        )
    sign_records(uow, [("inspection_template", t.id, t.version)], "authored", signing)
    _move(uow, t, "in_review")
    return template_view(uow, t.id)


def release_template(uow: UnitOfWork, template_id: int, signing: Signing) -> TemplateView:
    """QA approval: the released revision before it is superseded in the same transaction."""
    t = template_view(uow, template_id)
    if t.status != "in_review":
        raise RuleViolation(f"Template revision {t.revision} is {t.status}: submit it first.")
    if t.created_by == signing.creds.username:
        raise RuleViolation(
            f"{t.created_by} wrote this template: someone else approves it.",
            title="Segregation of duties",
        )
    sign_records(uow, [("inspection_template", t.id, t.version)], "approved", signing)
    for old in run(
        uow,
        "SELECT id FROM workcell.inspection_template WHERE item_id = (SELECT item_id FROM"
        " workcell.inspection_template WHERE id = :id) AND inspection_type = :t"
        " AND status = 'released'",
        {"id": t.id, "t": t.inspection_type},
    ):
        _move(uow, template_view(uow, int(old.id)), "superseded")
    _move(uow, t, "released")
    return template_view(uow, t.id)
