-- Bench variant (bench/audit_overhead.py --variant): the hash moved to the sealer. The
-- writer stores no hash; the sealer computes it from the entry when it chains it. Measured
-- and not taken (docs/BENCHMARKS.md): no measurable gain on the write path, and verify then
-- needs each entry's chained hash (a look-up per entry) to check it.
SET ROLE workcell_owner;
ALTER TABLE audit.entry ALTER COLUMN entry_hash DROP NOT NULL;
CREATE OR REPLACE FUNCTION audit.append_entry(p_owner boolean, p_schema name, p_table name, p_op text,
                                   p_args text[], p_old anyelement, p_new anyelement)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
DECLARE
    v_reason text := nullif(btrim(coalesce(current_setting('workcell.reason', true), '')), '');
    v_system text;
    v_token  text;
    v_actor  bigint;
    v_name   text;
    v_before jsonb;
    v_after  jsonb;
    v_row    jsonb;
    v_key    text := '';
    v_col    text;
    v_dkey   bytea;
    v_first  integer;
BEGIN
    IF pg_trigger_depth() < 1 THEN
        RAISE EXCEPTION 'Audit entries are written by the audit trigger only' USING ERRCODE = 'WC005';
    END IF;
    IF p_owner THEN
        v_system := current_setting('workcell.system_actor', true);
    END IF;
    IF v_system IS NOT NULL AND v_system <> '' THEN
        v_actor := workcell.system_actor_id(v_system);
        SELECT u.username INTO v_name FROM workcell.users u WHERE u.id = v_actor;
    ELSE
        v_token := current_setting('workcell.session', true);
        IF v_token IS NULL OR v_token = '' THEN
            RAISE EXCEPTION 'Nobody is signed in for this change'
                USING ERRCODE = 'WC001',
                      HINT = 'Sign in with badge and PIN; every transaction names its session.';
        END IF;
        SELECT s.user_id, u.username INTO v_actor, v_name
          FROM auth.session s
          JOIN workcell.users u ON u.id = s.user_id AND u.status = 'active'
          JOIN workcell.station st ON st.login_role = s.station AND st.enabled
         WHERE s.token_hash = sha256(convert_to(v_token, 'UTF8'))
           AND s.station = session_user
           AND s.ended_at IS NULL
           AND s.last_seen + make_interval(secs => s.idle_s) > now()
           AND (s.tx_only IS NULL OR s.tx_only = pg_current_xact_id_if_assigned());
        IF v_actor IS NULL THEN
            RAISE EXCEPTION 'This sign-in is no longer valid (signed out, timed out, ended by another sign-in, '
                            'not issued to this station, or the person or station is no longer active)'
                USING ERRCODE = 'WC002', HINT = 'Sign in again with badge and PIN.';
        END IF;
    END IF;
    IF p_op <> 'INSERT' AND v_reason IS NULL THEN
        RAISE EXCEPTION 'A reason is required to % a % record', lower(p_op), p_table
            USING ERRCODE = 'WC003',
                  HINT = 'set_config(''workcell.reason'', ''...'', true) before the change.';
    END IF;
    v_before := to_jsonb(p_old);
    v_after := to_jsonb(p_new);
    IF p_op = 'UPDATE' AND v_after ? 'version'
       AND (v_after->>'version')::bigint IS DISTINCT FROM (v_before->>'version')::bigint + 1 THEN
        RAISE EXCEPTION 'Update of %.% must advance its version from % to %',
            p_table, v_before->>'id', v_before->>'version', (v_before->>'version')::bigint + 1
            USING ERRCODE = 'WC004';
    END IF;
    v_row := coalesce(v_after, v_before);
    -- TG_ARGV arrives as it is, subscripts from 0 (key columns), 1.. (secret columns)
    v_first := coalesce(array_lower(p_args, 1), 0);
    IF p_args[v_first] IS NULL OR p_args[v_first] = 'id' THEN
        v_key := coalesce(v_row->>'id', '');
    ELSE
        FOREACH v_col IN ARRAY string_to_array(p_args[v_first], ',') LOOP
            v_key := v_key || CASE WHEN v_key = '' THEN '' ELSE ',' END || coalesce(v_row->>v_col, '');
        END LOOP;
    END IF;
    IF cardinality(p_args) > 1 THEN
        v_dkey := audit.digest_key();
        v_before := audit.digest_secrets(v_dkey, v_before, p_args[v_first + 1:]);
        v_after := audit.digest_secrets(v_dkey, v_after, p_args[v_first + 1:]);
    END IF;
    INSERT INTO audit.entry (id, tx_id, at, actor, actor_id, station, table_name, record_key,
                             operation, before, after, reason)
    VALUES (nextval('audit.entry_id_seq'), pg_current_xact_id(), clock_timestamp(), v_name,
            v_actor, session_user, p_schema || '.' || p_table, v_key, p_op, v_before, v_after,
            v_reason);
END $$;

CREATE OR REPLACE FUNCTION pg_temp.fix_seal_range() RETURNS void LANGUAGE plpgsql AS $f$
DECLARE v_src text;
BEGIN
    SELECT pg_get_functiondef('audit.seal_range(integer,bigint,xid8,xid8,bigint,text,bigint,xid8)'::regprocedure) INTO v_src;
    EXECUTE replace(v_src, 'e.entry_hash AS h', 'audit.entry_hash(e) AS h');
END $f$;
SELECT pg_temp.fix_seal_range();
