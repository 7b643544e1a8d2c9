"""Quality records (issue 16): the Z1.4 reference tables (controlled data, checksummed),
inspection templates released by signature, switching states per item and supplier,
receiving inspections opened by the receipt with append-only results and a database
decision, QA dispositions that move the lot, NCRs with a risk matrix deciding the approvals,
NCR holds over the forward trace, 8-D CAPAs signed discipline by discipline.

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-02

SQL in migrations/sql/quality/. The reference data is read from domain/quality/data (the
files the application's engine reads) by path, not by import, after the SHA-256 manifest
is checked against the digests pinned below: changed data needs a new migration. See
docs/quality.md.

Error codes added here (translated in domain/errors.py):
  WC115 sampling reference data refused (checksum, missing version)
  WC116 sampling plan not available / manual plan refused (QA enters and approves it)
  WC117 inspection template content fixed (not a draft)
  WC119 inspection result refused (inspection not open, sample outside the plan, duplicate)
  WC121 inspection facts fixed
  WC123 NCR refused (facts fixed, lots, NCR hold without an open NCR)
  WC126 switching move refused
  WC128 risk matrix refused (not on the matrix, fixed)
  WC130 CAPA refused (owners and dates, section fixed)
"""

import csv
import hashlib
import json
from pathlib import Path

from alembic import op

from migrations.area import (
    Area,
    add_caps,
    attach_triggers_and_guards,
    grant,
    row_trigger,
    run_files,
    sql_file,
)

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None

FILES = (
    "tables.sql", "plans.sql", "switching.sql", "inspections.sql", "templates.sql", "ncr.sql",
    "capa.sql", "lot_gates.sql",
)  # fmt: skip

# The reference data this migration loads, pinned: a changed file stops the migration.
DATA_VERSION = "z14-shared-2026-12-02"
DATA_FILES = {
    "aql-z14.csv": "2ab5a6c81529b44fc9c54fd38050d6f4ec7e4b27c1568571ff76852315900eae",
    "aql-z14-tightened-reduced.csv": "d681bf741c7e1fb4b28376e7d7a6781bc59d979e86c6417a95c440bb208d50fc",
    "README.md": "e84d8d505e44d8e091b34a86d7bd71d2487ceb78f0ed0ba741d97f4217e6111d",
    "aql-switching-rules.md": "489103f4d5942695c8865e5ca9ca492afd8c65185d846f984b28d8eaf97a75ec",
}

TABLES = (
    "z14_reference", "z14_code_letter", "z14_sample_size", "z14_cell", "quality_policy",
    "inspection_template", "inspection_template_class", "inspection_characteristic",
    "switching_state", "switching_event", "inspection", "inspection_plan", "inspection_result",
    "inspection_result_invalidation", "risk_matrix", "risk_matrix_cell", "risk_matrix_approval",
    "ncr", "ncr_lot", "capa", "capa_section",
)  # fmt: skip
KEYS = {
    "z14_reference": "ARRAY['version']",
    "z14_code_letter": "ARRAY['data_version', 'level', 'lot_min']",
    "z14_sample_size": "ARRAY['data_version', 'severity', 'letter']",
    "z14_cell": "ARRAY['data_version', 'severity', 'letter', 'aql']",
    "inspection_result_invalidation": "ARRAY['result_id']",
    "risk_matrix_cell": "ARRAY['matrix_id', 'severity', 'occurrence']",
    "risk_matrix_approval": "ARRAY['matrix_id', 'risk_class', 'disposition']",
    "ncr_lot": "ARRAY['ncr_id', 'lot_id']",
}
APPEND_ONLY = (
    "z14_reference", "z14_code_letter", "z14_sample_size", "z14_cell", "switching_event",
    "inspection_result", "inspection_result_invalidation", "ncr_lot",
)  # fmt: skip
GUARDED = (
    ("inspection_template", "inspection_template"), ("inspection", "inspection"),
    ("switching_state", "switching_state"), ("ncr", "ncr"), ("risk_matrix", "risk_matrix"),
    ("capa", "capa"), ("capa_section", "capa_section"),
)  # fmt: skip

PARTS = "BEFORE INSERT OR UPDATE OR DELETE"
TRIGGERS = (
    ("inspection_template", "BEFORE UPDATE", "inspection_template_guard()"),
    ("inspection_template_class", PARTS, "inspection_template_part_guard()"),
    ("inspection_characteristic", PARTS, "inspection_template_part_guard()"),
    ("inspection", "BEFORE UPDATE", "inspection_guard()"),
    ("ncr", "BEFORE UPDATE", "ncr_guard()"),
    ("risk_matrix", "BEFORE UPDATE", "risk_matrix_guard()"),
    ("risk_matrix_cell", PARTS, "risk_matrix_guard()"),
    ("risk_matrix_approval", PARTS, "risk_matrix_guard()"),
    ("hold", "BEFORE INSERT", "hold_names_its_ncr()"),
    ("capa_section", "BEFORE UPDATE", "capa_section_guard()"),
)
# AFTER triggers fire in name order: these follow the transition guard ("<table>_transition").
AFTER_TRIGGERS = (
    ("lot", "lot_received_inspection", "AFTER INSERT", "NEW.origin = 'received'",
     "lot_received_inspection()"),
    ("inspection", "inspection_transition_lot", "AFTER UPDATE OF status",
     "NEW.status IN ('released', 'rejected') AND OLD.status = 'completed'", "inspection_moves_lot()"),
    ("inspection", "inspection_transition_switch", "AFTER UPDATE OF status",
     "NEW.status = 'completed' AND OLD.status = 'open'", "inspection_completed_switch()"),
)  # fmt: skip

COLUMNS: dict[str, tuple[str, str]] = {
    "inspection_template": (
        "item_id, inspection_type, revision, title, sampling, inspection_level, fixed_count, version",
        "title, sampling, inspection_level, fixed_count, status, version",
    ),
    "inspection_template_class": (
        "template_id, defect_class, aql, accept_number, version", "aql, accept_number, version",
    ),
    "inspection_characteristic": (
        "template_id, seq, name, kind, defect_class, unit, nominal, lower_limit, upper_limit,"
        " instruction, version",
        "seq, name, kind, defect_class, unit, nominal, lower_limit, upper_limit, instruction,"
        " version",
    ),
    "inspection": ("", "status, version"),
    "ncr": ("", "disposition, disposition_note, status, version"),
    "risk_matrix": ("revision, title, version", "title, status, version"),
    "risk_matrix_cell": ("matrix_id, severity, occurrence, risk_class, version", "risk_class, version"),
    "risk_matrix_approval": (
        "matrix_id, risk_class, disposition, approvals, version", "approvals, version",
    ),
    "capa": ("", "status, version"),
    "capa_section": ("", "content, due_date, status, version"),
}  # fmt: skip
# No DELETE anywhere (no table-wide write for stations): a draft's wrong characteristic is
# edited, or the draft discarded and written again.

STATION_FUNCTIONS = (
    "workcell.create_inspection(bigint, text)",
    "workcell.set_manual_plan(bigint, text, integer, integer, integer, text)",
    "workcell.record_inspection_result(bigint, integer, bigint, numeric, boolean, text, text)",
    "workcell.invalidate_inspection_result(bigint, text)",
    "workcell.switching_move(bigint, bigint, text, text)",
    "workcell.raise_ncr(text, bigint, bigint[], text, text, integer, integer)",
    "workcell.raise_capa(bigint, text, bigint[], date[])",
)
READ_FUNCTIONS = (
    "workcell.z14_letter(text, integer, text)",
    "workcell.z14_tighter_aql(text, numeric)",
    "workcell.inspection_nonconforming(bigint, text, integer)",
    "workcell.switching_next(text, integer, text, integer, text, boolean, integer)",
    "workcell.switching_increment(bigint)",
    "workcell.risk_class_of(integer, integer)",
    "workcell.ncr_missing_approvals(bigint)",
    "workcell.inspection_template_complete(text, jsonb, jsonb)",
    "workcell.inspection_template_may_release(text, jsonb, jsonb)",
    "workcell.inspection_template_may_supersede(text, jsonb, jsonb)",
    "workcell.inspection_may_complete(text, jsonb, jsonb)",
    "workcell.inspection_may_release(text, jsonb, jsonb)",
    "workcell.inspection_may_refer(text, jsonb, jsonb)",
    "workcell.switching_may_reduce(text, jsonb, jsonb)",
    "workcell.ncr_may_disposition(text, jsonb, jsonb)",
    "workcell.ncr_may_close(text, jsonb, jsonb)",
    "workcell.risk_matrix_may_release(text, jsonb, jsonb)",
    "workcell.risk_matrix_may_supersede(text, jsonb, jsonb)",
    "workcell.inspection_template_content(bigint)",
    "workcell.inspection_template_summary(bigint)",
    "workcell.inspection_content(bigint)",
    "workcell.inspection_summary(bigint)",
    "workcell.ncr_content(bigint)",
    "workcell.ncr_summary(bigint)",
    "workcell.risk_matrix_content(bigint)",
    "workcell.capa_title(integer)",
    "workcell.capa_section_may_complete(text, jsonb, jsonb)",
    "workcell.capa_may_close(text, jsonb, jsonb)",
    "workcell.capa_section_content(bigint)",
    "workcell.capa_content(bigint)",
)
INTERNAL_FUNCTIONS = (
    "workcell.inspection_make_plans(bigint)",
    "workcell.inspection_sync_sample_size(bigint)",
    "workcell.open_inspection(bigint, text)",
    "workcell.lot_received_inspection()",
    "workcell.switching_state_for(bigint, bigint)",
    "workcell.switching_apply(workcell.switching_state, workcell.switching_step, bigint)",
    "workcell.inspection_completed_switch()",
    "workcell.ncr_hold_lot(workcell.ncr, bigint, text)",
    "workcell.inspection_template_guard()",
    "workcell.inspection_template_part_guard()",
    "workcell.inspection_guard()",
    "workcell.inspection_moves_lot()",
    "workcell.ncr_guard()",
    "workcell.risk_matrix_guard()",
    "workcell.hold_names_its_ncr()",
    "workcell.capa_section_guard()",
)

CAPS = (
    ("capa", "number", "CAPA number", 40),
    ("capa", "status", "CAPA status", 20),
    ("capa", "title", "CAPA title", 200),
    ("capa_section", "content", "CAPA section content", 8000),
    ("capa_section", "status", "CAPA section status", 20),
    ("inspection", "data_version", "Inspection data version", 40),
    ("inspection", "decision", "Inspection decision", 20),
    ("inspection", "decision_note", "Inspection decision note", 1000),
    ("inspection", "inspection_type", "Inspection type", 20),
    ("inspection", "number", "Inspection number", 40),
    ("inspection", "severity", "Inspection severity", 20),
    ("inspection", "status", "Inspection status", 20),
    ("inspection_characteristic", "defect_class", "Characteristic defect class", 20),
    ("inspection_characteristic", "instruction", "Characteristic instruction", 2000),
    ("inspection_characteristic", "kind", "Characteristic kind", 20),
    ("inspection_characteristic", "name", "Characteristic name", 200),
    ("inspection_characteristic", "unit", "Characteristic unit", 20),
    ("inspection_plan", "code_letter", "Plan code letter", 2),
    ("inspection_plan", "defect_class", "Plan defect class", 20),
    ("inspection_plan", "note", "Plan note", 500),
    ("inspection_plan", "plan_letter", "Plan letter used", 2),
    ("inspection_plan", "source", "Plan source", 20),
    ("inspection_plan", "table_cell", "Plan table cell", 10),
    ("inspection_result", "note", "Result note", 500),
    ("inspection_result", "station", "Result station", 63),
    ("inspection_result_invalidation", "reason", "Invalidation reason", 500),
    ("inspection_template", "inspection_level", "Template inspection level", 4),
    ("inspection_template", "inspection_type", "Template inspection type", 20),
    ("inspection_template", "sampling", "Template sampling", 10),
    ("inspection_template", "status", "Template status", 20),
    ("inspection_template", "title", "Template title", 200),
    ("inspection_template_class", "defect_class", "Template defect class", 20),
    ("ncr", "description", "NCR description", 4000),
    ("ncr", "disposition", "NCR disposition", 30),
    ("ncr", "disposition_note", "NCR disposition note", 2000),
    ("ncr", "number", "NCR number", 40),
    ("ncr", "origin", "NCR origin", 20),
    ("ncr", "risk_class", "NCR risk class", 20),
    ("ncr", "status", "NCR status", 20),
    ("ncr", "title", "NCR title", 200),
    ("ncr_lot", "via", "NCR lot via", 20),
    ("quality_policy", "data_version", "Quality policy data version", 40),
    ("risk_matrix", "status", "Risk matrix status", 20),
    ("risk_matrix", "title", "Risk matrix title", 200),
    ("risk_matrix_approval", "approvals", "Risk matrix approvals", 200),
    ("risk_matrix_approval", "disposition", "Risk matrix disposition", 30),
    ("risk_matrix_approval", "risk_class", "Risk matrix approval class", 20),
    ("risk_matrix_cell", "risk_class", "Risk matrix class", 20),
    ("switching_event", "from_status", "Switching from", 20),
    ("switching_event", "rule", "Switching rule", 300),
    ("switching_event", "to_status", "Switching to", 20),
    ("switching_state", "last_rule", "Switching last rule", 300),
    ("switching_state", "recent", "Switching recent lots", 10),
    ("switching_state", "status", "Switching status", 20),
    ("z14_cell", "letter", "Z1.4 letter", 2),
    ("z14_cell", "plan_letter", "Z1.4 plan letter", 2),
    ("z14_cell", "severity", "Z1.4 severity", 20),
    ("z14_cell", "table_cell", "Z1.4 table cell", 10),
    ("z14_cell", "data_version", "Z1.4 data version", 40),
    ("z14_code_letter", "data_version", "Z1.4 data version", 40),
    ("z14_code_letter", "letter", "Z1.4 letter", 2),
    ("z14_code_letter", "level", "Z1.4 level", 4),
    ("z14_reference", "manifest", "Z1.4 manifest", 8000),
    ("z14_reference", "name", "Z1.4 name", 200),
    ("z14_reference", "source", "Z1.4 source", 2000),
    ("z14_reference", "version", "Z1.4 version", 40),
    ("z14_sample_size", "data_version", "Z1.4 data version", 40),
    ("z14_sample_size", "letter", "Z1.4 letter", 2),
    ("z14_sample_size", "severity", "Z1.4 severity", 20),
)


def _data_dir() -> Path:
    # domain/quality/data beside this package, found by path: migrations import no
    # application module.
    return Path(__file__).resolve().parents[2] / "domain" / "quality" / "data"


def _literal(value: str | None) -> str:
    return "NULL" if value in (None, "") else "'" + str(value).replace("'", "''") + "'"


def _load_reference() -> None:
    folder = _data_dir()
    manifest = json.loads((folder / "MANIFEST.json").read_text("utf-8"))
    if manifest["version"] != DATA_VERSION or manifest["files"] != DATA_FILES:
        raise RuntimeError("the sampling reference manifest is not the one this migration loads")
    for name, digest in DATA_FILES.items():
        if hashlib.sha256((folder / name).read_bytes()).hexdigest() != digest:
            raise RuntimeError(f"sampling reference file {name} does not match its checksum")
    v = _literal(DATA_VERSION)
    op.execute(
        "INSERT INTO workcell.z14_reference (version, name, source, manifest) VALUES "
        f"({v}, {_literal(manifest['name'])}, {_literal(manifest['source'])},"
        f" {_literal(json.dumps(manifest, sort_keys=True))}::jsonb)"
    )
    letters, sizes, cells = [], [], []
    kinds = {"": "normal", "_tightened": "tightened", "_reduced": "reduced"}
    for name in ("aql-z14.csv", "aql-z14-tightened-reduced.csv"):
        with (folder / name).open(newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                table = r["table"]
                if table == "code_letter":
                    letters.append(
                        f"({v}, {r['lot_min']}, {r['lot_max'] or 'NULL'},"
                        f" {_literal(r['inspection_level'])}, {_literal(r['code_letter'])})"
                    )
                elif table.startswith("sample_size"):
                    kind = kinds[table.removeprefix("sample_size")]
                    sizes.append(
                        f"({v}, '{kind}', {_literal(r['code_letter'])}, {r['sample_size']})"
                    )
                else:
                    kind = table.removeprefix("single_")
                    cells.append(
                        f"({v}, '{kind}', {_literal(r['code_letter'])}, {r['aql']},"
                        f" {_literal(r['table_cell'])}, {_literal(r['plan_code_letter'])},"
                        f" {r['sample_size']}, {r['ac']}, {r['re']})"
                    )
    op.execute(
        "INSERT INTO workcell.z14_code_letter (data_version, lot_min, lot_max, level, letter)"
        f" VALUES {', '.join(letters)}"
    )
    op.execute(
        "INSERT INTO workcell.z14_sample_size (data_version, severity, letter, sample_size)"
        f" VALUES {', '.join(sizes)}"
    )
    op.execute(
        "INSERT INTO workcell.z14_cell (data_version, severity, letter, aql, table_cell,"
        f" plan_letter, sample_size, ac, re) VALUES {', '.join(cells)}"
    )
    op.execute(f"INSERT INTO workcell.quality_policy (id, data_version) VALUES (1, {v})")


AREA = Area(
    sql_dir="quality",
    files=FILES,
    tables=TABLES,
    keys=KEYS,
    append_only=APPEND_ONLY,
    columns=COLUMNS,
    station_functions=STATION_FUNCTIONS,
    read_functions=READ_FUNCTIONS,
    internal_functions=INTERNAL_FUNCTIONS,
    triggers=TRIGGERS,
    guarded=GUARDED,
)


def upgrade() -> None:
    run_files(AREA)
    _load_reference()
    op.execute(sql_file("quality", "rules.sql"))
    attach_triggers_and_guards(AREA)
    for table, name, when, condition, call in AFTER_TRIGGERS:
        row_trigger(table, when, call, name=name, condition=condition)
    grant(AREA)
    add_caps([cap for cap in CAPS if cap[1] != "manifest"])
    add_caps([cap for cap in CAPS if cap[1] == "manifest"], unit="bytes")


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
