"""Every gate in the database: guarded transitions, server-only facts, least privilege.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

- One guard pattern (migrations/sql/guards/transition.sql): workcell.transition_rule holds
  every allowed status move per record type (permission, signatures in order, condition);
  workcell.transition_guard() enforces it on items, ECOs, BOM and routing revisions and
  kiosk drafts, and logs each move in workcell.status_transition (time, actor, station and
  transaction from the server). The old record guards lose their status lists
  (migrations/sql/guards/record_guards.sql) and check the permission to edit a draft.
- ECO history moves from workcell.eco_transition (kept, frozen) to status_transition.
- Stations get column-level INSERT/UPDATE grants that leave out every server-only fact
  (ids, created_at/created_by, numbers, versions on insert) and no DELETE: draft lines
  and affected items are removed through workcell.remove_draft_row(). Without a table-wide
  UPDATE or DELETE a station cannot LOCK a table in any mode stronger than ACCESS SHARE.

See docs/engineering.md ("Lifecycle gates") for how a new area adds its rules.
"""

from importlib import resources

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _sql(name: str) -> str:
    return resources.files("migrations").joinpath("sql", "guards", name).read_text("utf-8")


GUARDED = (
    ("workcell.item", "item"),
    ("workcell.eco", "eco"),
    ("workcell.bom_revision", "bom_revision"),
    ("workcell.routing_revision", "routing_revision"),
    ("workcell.kiosk_draft", "kiosk_draft"),
)

# The history so far, carried over before the log accepts rows only from the guard.
ECO_HISTORY = """
INSERT INTO workcell.status_transition
       (record_type, record_id, from_status, to_status, action, signature_id, comment,
        restarts, signature_cutoff, at, actor_id, station, tx_id)
SELECT 'eco', t.eco_id, t.from_status, t.to_status, t.action, t.signature_id, t.comment,
       t.action = 'reject', CASE WHEN t.action = 'reject' THEN coalesce(t.signature_id, 0) END,
       t.at, t.actor_id, 'migration 0009', '0'::xid8
  FROM workcell.eco_transition t ORDER BY t.id;
"""

# Station privileges, column by column: what a station may write, never a server fact. The
# first version is in the INSERT list because the ORM's optimistic lock writes it (= 1; the
# audit trigger then insists every update adds exactly one), and so are a new revision's
# effectivity and a new draft's closing time, which the ORM writes as NULL: the insert
# guards and CHECK constraints refuse anything else.
COLUMNS: dict[str, tuple[str, str]] = {
    "item": (
        "item_number, description, item_type, unit, tracking, shelf_life_days, gtin, version",
        "description, item_type, unit, tracking, shelf_life_days, gtin, status, version",
    ),
    "bom_revision": (
        "item_id, revision, description, effective, version",
        "description, status, effective, version",
    ),
    "routing_revision": (
        "item_id, revision, description, effective, version",
        "description, status, effective, version",
    ),
    "bom_line": (
        "bom_revision_id, position, component_id, quantity_per, unit, scrap_factor, optional,"
        " alternate_of, ref_designators, notes, version",
        "position, component_id, quantity_per, unit, scrap_factor, optional, alternate_of,"
        " ref_designators, notes, version",
    ),
    "routing_operation": (
        "routing_revision_id, op_number, work_centre, title, instructions, standard_minutes,"
        " version",
        "op_number, work_centre, title, instructions, standard_minutes, version",
    ),
    "routing_step": (
        "operation_id, step_number, title, instructions, critical, version",
        "step_number, title, instructions, critical, version",
    ),
    "routing_step_data": (
        "step_id, position, code, label, kind, unit, lower_limit, upper_limit, target,"
        " component_id, required, version",
        "position, code, label, kind, unit, lower_limit, upper_limit, target, component_id,"
        " required, version",
    ),
    "routing_step_signoff": (
        "step_id, position, meaning, role, version",
        "position, meaning, role, version",
    ),
    "eco": (
        "title, reason, description, effective_from, version",
        "title, reason, description, effective_from, impact, status, version",
    ),
    "eco_item": (
        "eco_id, item_id, bom_revision_id, routing_revision_id, change_note, version",
        "bom_revision_id, routing_revision_id, change_note, eco_open, version",
    ),
    "kiosk_draft": (
        "owner_id, station, screen, summary, payload, closed_at, version",
        "status, version",
    ),
    "status_transition": (
        "record_type, record_id, from_status, to_status, action, signature_id, comment,"
        " restarts, signature_cutoff",
        "",
    ),
}

FUNCTIONS = (
    "workcell.require_permission(text)",
    "workcell.record_label(text, jsonb)",
    "workcell.eco_approved_now(bigint)",
    "workcell.revision_follows_eco(text, jsonb, jsonb)",
    "workcell.draft_owner_acts(text, jsonb, jsonb)",
    "workcell.qualified_function(regprocedure)",
)


def _grants() -> None:
    for table, (insert, update) in COLUMNS.items():
        name = f"workcell.{table}"
        op.execute(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {name} FROM workcell_app")
        op.execute(f"GRANT INSERT ({insert}) ON {name} TO workcell_app")
        if update:
            op.execute(f"GRANT UPDATE ({update}) ON {name} TO workcell_app")
    op.execute("REVOKE INSERT ON workcell.eco_transition FROM workcell_app")
    op.execute(
        "GRANT SELECT ON workcell.transition_rule, workcell.status_transition"
        " TO workcell_app, workcell_auditor"
    )
    functions = ", ".join(FUNCTIONS)
    op.execute(f"REVOKE ALL ON FUNCTION {functions} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {functions} TO workcell_app, workcell_auditor")
    removers = (
        "workcell.remove_draft_row(text, bigint), workcell.clear_draft_revision(text, bigint)"
    )
    op.execute(
        f"REVOKE ALL ON FUNCTION {removers},"
        " workcell.attach_transition_guard(regclass, text) FROM PUBLIC"
    )
    op.execute(f"GRANT EXECUTE ON FUNCTION {removers} TO workcell_app")


def upgrade() -> None:
    op.execute(_sql("transition.sql"))
    op.execute(ECO_HISTORY)
    op.execute(_sql("record_guards.sql"))
    op.execute(
        "SELECT audit.attach('workcell.transition_rule',"
        " ARRAY['record_type', 'from_status', 'to_status'])"
    )
    op.execute("SELECT audit.attach('workcell.status_transition')")
    op.execute("SELECT audit.make_append_only('workcell.status_transition')")
    op.execute(
        "CREATE TRIGGER status_transition_by_guard BEFORE INSERT ON workcell.status_transition"
        " FOR EACH ROW EXECUTE FUNCTION workcell.status_transition_written_by_guard()"
    )
    op.execute(
        "ALTER TABLE workcell.status_transition ENABLE ALWAYS TRIGGER status_transition_by_guard"
    )
    for table, record_type in GUARDED:
        op.execute(f"SELECT workcell.attach_transition_guard('{table}', '{record_type}')")
    _grants()


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
