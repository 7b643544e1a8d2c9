-- Size caps on every text, text[] and jsonb column of schema workcell (issue 11 item 4):
-- a station that may write a field may not write a megabyte into it (each write is also an
-- audit entry, kept for ever). Titles 200, names 200, descriptions/reasons/comments 2,000,
-- work instructions 20,000, a parked draft 64 KiB; codes and identifiers at their format's
-- size. Labels are what the application shows when it refuses an oversized value.
CREATE TEMP TABLE wanted_cap (table_name text, column_name text, label text, max_length integer, unit text) ON COMMIT DROP;
INSERT INTO wanted_cap VALUES
    ('workcell.access_log', 'station', 'Access log station', 63, 'characters'),
    ('workcell.access_log', 'method', 'Access log method', 40, 'characters'),
    ('workcell.access_log', 'purpose', 'Access log purpose', 40, 'characters'),
    ('workcell.access_log', 'outcome', 'Access log outcome', 20, 'characters'),
    ('workcell.access_log', 'detail', 'Access log detail', 2000, 'characters'),
    ('workcell.badge', 'badge_hash', 'Badge digest', 128, 'characters'),
    ('workcell.badge', 'revoke_reason', 'Badge revocation reason', 2000, 'characters'),
    ('workcell.bom_line', 'unit', 'BOM line unit', 20, 'characters'),
    ('workcell.bom_line', 'ref_designators', 'Reference designators', 20000, 'characters'),
    ('workcell.bom_line', 'notes', 'BOM line notes', 2000, 'characters'),
    ('workcell.bom_revision', 'revision', 'BOM revision label', 20, 'characters'),
    ('workcell.bom_revision', 'description', 'BOM revision description', 2000, 'characters'),
    ('workcell.bom_revision', 'status', 'BOM revision status', 20, 'characters'),
    ('workcell.eco', 'number', 'ECO number', 40, 'characters'),
    ('workcell.eco', 'title', 'ECO title', 200, 'characters'),
    ('workcell.eco', 'reason', 'ECO reason', 2000, 'characters'),
    ('workcell.eco', 'description', 'ECO description', 2000, 'characters'),
    ('workcell.eco', 'impact', 'ECO impact assessment', 65536, 'bytes'),
    ('workcell.eco', 'status', 'ECO status', 20, 'characters'),
    ('workcell.eco_item', 'change_note', 'ECO item change note', 2000, 'characters'),
    ('workcell.eco_transition', 'from_status', 'ECO transition from-status', 20, 'characters'),
    ('workcell.eco_transition', 'to_status', 'ECO transition to-status', 20, 'characters'),
    ('workcell.eco_transition', 'action', 'ECO transition action', 20, 'characters'),
    ('workcell.eco_transition', 'comment', 'ECO transition comment', 2000, 'characters'),
    ('workcell.field_cap', 'table_name', 'Field cap table', 127, 'characters'),
    ('workcell.field_cap', 'column_name', 'Field cap column', 63, 'characters'),
    ('workcell.field_cap', 'label', 'Field cap label', 200, 'characters'),
    ('workcell.field_cap', 'unit', 'Field cap unit', 20, 'characters'),
    ('workcell.field_cap', 'constraint_name', 'Field cap constraint', 63, 'characters'),
    ('workcell.identity_policy', 'signature_policy_version', 'Signature policy version', 40, 'characters'),
    ('workcell.identity_verification', 'method', 'Identity verification method', 200, 'characters'),
    ('workcell.item', 'item_number', 'Item number', 40, 'characters'),
    ('workcell.item', 'description', 'Item description', 500, 'characters'),
    ('workcell.item', 'item_type', 'Item type', 20, 'characters'),
    ('workcell.item', 'unit', 'Item unit', 20, 'characters'),
    ('workcell.item', 'tracking', 'Item tracking', 20, 'characters'),
    ('workcell.item', 'gtin', 'GTIN', 20, 'characters'),
    ('workcell.item', 'status', 'Item status', 20, 'characters'),
    ('workcell.kiosk_draft', 'station', 'Draft station', 63, 'characters'),
    ('workcell.kiosk_draft', 'screen', 'Draft screen', 100, 'characters'),
    ('workcell.kiosk_draft', 'summary', 'Draft summary', 200, 'characters'),
    ('workcell.kiosk_draft', 'payload', 'Draft', 65536, 'bytes'),
    ('workcell.kiosk_draft', 'status', 'Draft status', 20, 'characters'),
    ('workcell.permission', 'name', 'Permission name', 100, 'characters'),
    ('workcell.permission', 'kind', 'Permission kind', 20, 'characters'),
    ('workcell.permission', 'description', 'Permission description', 2000, 'characters'),
    ('workcell.policy_acknowledgement', 'policy_version', 'Acknowledged policy version', 40, 'characters'),
    ('workcell.policy_acknowledgement', 'station', 'Acknowledgement station', 63, 'characters'),
    ('workcell.role', 'name', 'Role name', 40, 'characters'),
    ('workcell.role', 'description', 'Role description', 2000, 'characters'),
    ('workcell.role_permission', 'role', 'Role', 40, 'characters'),
    ('workcell.role_permission', 'permission', 'Permission', 100, 'characters'),
    ('workcell.routing_operation', 'work_centre', 'Work centre', 40, 'characters'),
    ('workcell.routing_operation', 'title', 'Operation title', 200, 'characters'),
    ('workcell.routing_operation', 'instructions', 'Operation instructions', 20000, 'characters'),
    ('workcell.routing_revision', 'revision', 'Routing revision label', 20, 'characters'),
    ('workcell.routing_revision', 'description', 'Routing revision description', 2000, 'characters'),
    ('workcell.routing_revision', 'status', 'Routing revision status', 20, 'characters'),
    ('workcell.routing_step', 'title', 'Step title', 200, 'characters'),
    ('workcell.routing_step', 'instructions', 'Step instructions', 20000, 'characters'),
    ('workcell.routing_step_data', 'code', 'Data point code', 40, 'characters'),
    ('workcell.routing_step_data', 'label', 'Data point label', 200, 'characters'),
    ('workcell.routing_step_data', 'kind', 'Data point kind', 20, 'characters'),
    ('workcell.routing_step_data', 'unit', 'Data point unit', 20, 'characters'),
    ('workcell.routing_step_signoff', 'meaning', 'Sign-off meaning', 20, 'characters'),
    ('workcell.routing_step_signoff', 'role', 'Sign-off role', 40, 'characters'),
    ('workcell.security_event', 'kind', 'Security event kind', 40, 'characters'),
    ('workcell.security_event', 'station', 'Security event station', 63, 'characters'),
    ('workcell.security_event', 'method', 'Security event method', 40, 'characters'),
    ('workcell.security_event', 'detail', 'Security event detail', 2000, 'characters'),
    ('workcell.signable_type', 'record_type', 'Signable record type', 40, 'characters'),
    ('workcell.signable_type', 'author_column', 'Author column', 63, 'characters'),
    ('workcell.signature', 'record_type', 'Signed record type', 40, 'characters'),
    ('workcell.signature', 'record_table', 'Signed record table', 127, 'characters'),
    ('workcell.signature', 'content_hash', 'Content hash', 128, 'characters'),
    ('workcell.signature', 'meaning', 'Signature meaning', 20, 'characters'),
    ('workcell.signature', 'printed_name', 'Signer''s printed name', 200, 'characters'),
    ('workcell.signature', 'method', 'Signature method', 40, 'characters'),
    ('workcell.signature', 'station', 'Signature station', 63, 'characters'),
    ('workcell.signature', 'comment', 'Signature comment', 2000, 'characters'),
    ('workcell.signature', 'binding_hash', 'Signature binding hash', 128, 'characters'),
    ('workcell.signing_rule', 'record_type', 'Signing rule record type', 40, 'characters'),
    ('workcell.signing_rule', 'meaning', 'Signing rule meaning', 20, 'characters'),
    ('workcell.signing_rule', 'permission', 'Signing rule permission', 100, 'characters'),
    ('workcell.signing_rule', 'requires', 'Signing rule prerequisites', 1000, 'characters'),
    ('workcell.signing_rule', 'distinct_from', 'Signing rule distinct signers', 1000, 'characters'),
    ('workcell.station', 'name', 'Station name', 63, 'characters'),
    ('workcell.station', 'login_role', 'Station login', 63, 'characters'),
    ('workcell.status_transition', 'record_type', 'Transition record type', 41, 'characters'),
    ('workcell.status_transition', 'from_status', 'Transition from-status', 20, 'characters'),
    ('workcell.status_transition', 'to_status', 'Transition to-status', 20, 'characters'),
    ('workcell.status_transition', 'action', 'Transition action', 31, 'characters'),
    ('workcell.status_transition', 'comment', 'Transition comment', 2000, 'characters'),
    ('workcell.status_transition', 'station', 'Transition station', 63, 'characters'),
    ('workcell.transition_rule', 'record_type', 'Rule record type', 41, 'characters'),
    ('workcell.transition_rule', 'from_status', 'Rule from-status', 20, 'characters'),
    ('workcell.transition_rule', 'to_status', 'Rule to-status', 20, 'characters'),
    ('workcell.transition_rule', 'action', 'Rule action', 31, 'characters'),
    ('workcell.transition_rule', 'permission', 'Rule permission', 80, 'characters'),
    ('workcell.transition_rule', 'signatures', 'Rule signatures', 400, 'characters'),
    ('workcell.transition_rule', 'description', 'Rule description', 500, 'characters'),
    ('workcell.station', 'site', 'Station site', 40, 'characters'),
    ('workcell.station', 'zone', 'Station zone', 40, 'characters'),
    ('workcell.station', 'methods', 'Station sign-in methods', 100, 'characters'),
    ('workcell.user_role', 'role', 'Role', 40, 'characters'),
    ('workcell.users', 'username', 'Username', 63, 'characters'),
    ('workcell.users', 'printed_name', 'Printed name', 200, 'characters'),
    ('workcell.users', 'kind', 'User kind', 20, 'characters'),
    ('workcell.users', 'status', 'User status', 20, 'characters');

-- Each cap becomes a CHECK constraint ck_<table>_<column>_len (workcell.add_field_cap, which a
-- later migration calls for its own columns). Added NOT VALID (no scan, no
-- refusal of the migration), then VALIDATEd unless rows written before the cap exceed it:
-- those rows are records and stay as they were (a migration never rewrites history); the
-- constraint then stays NOT VALID, still checking every new row and update, and the cap
-- row says validated = false (reported by the migration and in docs/admin.md#size-caps).
-- Columns a later migration adds before this one runs are listed by the test that every
-- text/jsonb column has a cap (tests/integration/test_field_caps.py).
CREATE FUNCTION workcell.add_field_cap(p_table text, p_column text, p_label text,
                                       p_max integer, p_unit text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_type text;
    v_name text;
    v_expr text;
    v_over bigint;
BEGIN
    SELECT a.atttypid::regtype::text INTO v_type FROM pg_attribute a
     WHERE a.attrelid = to_regclass(p_table) AND a.attname = p_column
       AND a.attnum > 0 AND NOT a.attisdropped;
    IF v_type IS NULL THEN
        RAISE EXCEPTION 'No column %.% to cap', p_table, p_column USING ERRCODE = '42703';
    END IF;
    v_name := left(format('ck_%s_%s', split_part(p_table, '.', 2), p_column), 59) || '_len';
    v_expr := CASE v_type
        WHEN 'jsonb' THEN format('octet_length(%I::text) <= %s', p_column, p_max)
        WHEN 'text[]' THEN format('char_length(array_to_string(%I, '','')) <= %s', p_column, p_max)
        ELSE format('char_length(%I) <= %s', p_column, p_max) END;
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (%s) NOT VALID', p_table, v_name, v_expr);
    EXECUTE format('SELECT count(*) FROM %s WHERE NOT (%s)', p_table, v_expr) INTO v_over;
    IF v_over = 0 THEN
        EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', p_table, v_name);
    ELSE
        RAISE WARNING '% rows of % exceed the cap of % % on %: constraint % left NOT VALID',
            v_over, p_table, p_max, p_unit, p_column, v_name;
    END IF;
    INSERT INTO workcell.field_cap (table_name, column_name, label, max_length, unit,
                                    constraint_name, validated)
    VALUES (p_table, p_column, p_label, p_max, p_unit, v_name, v_over = 0);
END $$;
REVOKE ALL ON FUNCTION workcell.add_field_cap(text, text, text, integer, text) FROM PUBLIC;

SELECT workcell.add_field_cap(table_name, column_name, label, max_length, unit)
  FROM wanted_cap w
 WHERE EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = to_regclass(w.table_name)
                  AND a.attname = w.column_name AND a.attnum > 0 AND NOT a.attisdropped)
 ORDER BY table_name, column_name;
DROP TABLE wanted_cap;
