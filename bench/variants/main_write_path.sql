-- Bench variant (bench/audit_overhead.py --variant): the write path before issue 11 item 8 (main at 4cce1f1): trigger with SET clauses, nested actor functions, hash in the trigger, six btrees, CHECK on operation.
SET ROLE workcell_owner;
-- The write path (migration 0011). The row trigger is SECURITY INVOKER (it runs with the
-- rights of whoever made the change, so workcell.current_actor_id() can tell a station's own
-- write, token required, from system work inside an owner's SECURITY DEFINER function) and
-- hands the entry to audit.append_entry, which only a trigger can reach (pg_trigger_depth()
-- > 0: a station can own no table, schema or temporary object to hang a trigger of its own
-- on). Secret columns reach append_entry as they are and leave it as keyed digests
-- (secrets.sql): the trigger cannot digest them itself, the key is the owner's.
-- TG_ARGV[0] = key columns (comma separated); TG_ARGV[1..] = secret columns.
CREATE OR REPLACE FUNCTION audit.record_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
DECLARE
    v_reason text := nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '');
    v_before jsonb;
    v_after  jsonb;
    v_row    jsonb;
    v_key    text := '';
    v_col    text;
    v_actor  bigint;
BEGIN
    v_actor := workcell.current_actor_id();
    IF TG_OP IN ('UPDATE', 'DELETE') AND v_reason IS NULL THEN
        RAISE EXCEPTION 'A reason is required to % a % record', lower(TG_OP), TG_TABLE_NAME
            USING ERRCODE = 'WC003',
                  HINT = 'set_config(''workcell.reason'', ''...'', true) before the change.';
    END IF;
    IF TG_OP <> 'INSERT' THEN v_before := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN v_after := to_jsonb(NEW); END IF;
    IF TG_OP = 'UPDATE' AND v_after ? 'version'
       AND (v_after->>'version')::bigint IS DISTINCT FROM (v_before->>'version')::bigint + 1 THEN
        RAISE EXCEPTION 'Update of %.% must advance its version from % to %',
            TG_TABLE_NAME, v_before->>'id', v_before->>'version',
            (v_before->>'version')::bigint + 1
            USING ERRCODE = 'WC004';
    END IF;
    v_row := coalesce(v_after, v_before);
    FOREACH v_col IN ARRAY string_to_array(coalesce(TG_ARGV[0], 'id'), ',') LOOP
        v_key := v_key || CASE WHEN v_key = '' THEN '' ELSE ',' END || coalesce(v_row->>v_col, '');
    END LOOP;
    PERFORM audit.append_entry(v_actor, TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, v_key, TG_OP,
                               v_before, v_after, v_reason, TG_ARGV[1:]);
    RETURN NULL;
END $$;

CREATE FUNCTION audit.append_entry(p_actor_id bigint, p_table text, p_key text, p_operation text,
                                   p_before jsonb, p_after jsonb, p_reason text, p_secrets text[])
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
DECLARE
    e audit.entry;
    v_key bytea;
BEGIN
    IF pg_trigger_depth() < 1 THEN
        RAISE EXCEPTION 'Audit entries are written by the audit trigger only' USING ERRCODE = 'WC005';
    END IF;
    IF cardinality(p_secrets) > 0 THEN
        v_key := audit.digest_key();
        p_before := audit.digest_secrets(v_key, p_before, p_secrets);
        p_after := audit.digest_secrets(v_key, p_after, p_secrets);
    END IF;
    e.id := nextval('audit.entry_id_seq');
    e.tx_id := pg_current_xact_id();
    e.at := clock_timestamp();
    e.actor_id := p_actor_id;
    SELECT username INTO e.actor FROM workcell.users WHERE id = p_actor_id;
    e.station := session_user;
    e.table_name := p_table;
    e.record_key := p_key;
    e.operation := p_operation;
    e.before := p_before;
    e.after := p_after;
    e.reason := p_reason;
    e.entry_hash := audit.entry_hash(e);
    INSERT INTO audit.entry VALUES (e.*);
END $$;
REVOKE ALL ON FUNCTION audit.append_entry(bigint, text, text, text, jsonb, jsonb, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit.append_entry(bigint, text, text, text, jsonb, jsonb, text, text[]) TO workcell_app;


CREATE INDEX ix_entry_at ON audit.entry (at);
CREATE INDEX ix_entry_station ON audit.entry (station, id);
DROP INDEX audit.ix_entry_at_brin;
ALTER TABLE audit.entry ADD CONSTRAINT ck_entry_operation
    CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'BASELINE'));
