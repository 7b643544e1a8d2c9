-- The write path (migration 0011, issue 11 item 8). The row trigger is SECURITY INVOKER: it
-- runs with the rights of whoever made the change, so it can tell a station's own write
-- (session token required) from system work inside an owner's SECURITY DEFINER function
-- (current_user is the owner there). It does nothing else: it hands OLD, NEW and its
-- arguments to audit.append_entry, which only a trigger can reach (pg_trigger_depth() > 0:
-- a station can own no table, schema or temporary object to hang a trigger of its own on).
--
-- No SET clause on the trigger (a configuration switch per row, and it keeps PL/pgSQL from
-- caching as much): every name in its body is schema-qualified, operators included, so
-- the caller's search_path cannot change what it calls, and the images are built by
-- append_entry under its own pinned search_path and timezone. Stations cannot create
-- objects in any schema and have no TEMPORARY privilege, so there is nothing of theirs to
-- find on any path anyway (docs/audit.md#what-auditing-costs-on-the-write-path).
-- TG_ARGV[0] = key columns (comma separated); TG_ARGV[1..] = secret columns.
CREATE OR REPLACE FUNCTION audit.record_change() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM audit.append_entry(CURRENT_USER OPERATOR(pg_catalog.=) 'workcell_owner'::pg_catalog.name,
                               TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP, TG_ARGV, OLD, NEW);
    RETURN NULL;
END $$;

-- The writer: SECURITY DEFINER (stations have no privilege on audit.entry), reachable from a
-- trigger only. One call per row does all of it: the actor, the reason and version rules,
-- the images (secret columns as keyed digests, secrets.sql) and the INSERT.
--
-- The actor is resolved here, inline, by the same rules as workcell.current_actor_id() and
-- workcell.session_actor() (identity/actor.sql; the same errors): a system actor only when
-- the change runs as the owner (p_owner, computed by the invoker trigger) and the owner's
-- SECURITY DEFINER function set workcell.system_actor; otherwise the person behind this
-- transaction's session token, issued to this station, not ended or idle past its expiry,
-- person active, station enabled. One query gives the person's id and name (the nested
-- functions cost 13 % of the trigger). Nothing is cached where a station could write it.
--
-- The entry's hash stays here: moving it to the sealer gained nothing measurable on the
-- write path and cost verify a chain look-up per entry (docs/BENCHMARKS.md).
CREATE FUNCTION audit.append_entry(p_owner boolean, p_schema name, p_table name, p_op text,
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
    -- one statement: the row and its hash (audit.entry_hash is inlined)
    INSERT INTO audit.entry
    SELECT (x).id, (x).tx_id, (x).at, (x).actor, (x).actor_id, (x).station, (x).table_name,
           (x).record_key, (x).operation, (x).before, (x).after, (x).reason, audit.entry_hash(x)
      FROM (SELECT ROW(nextval('audit.entry_id_seq'), pg_current_xact_id(), clock_timestamp(),
                       v_name, v_actor, session_user, p_schema || '.' || p_table, v_key, p_op,
                       v_before, v_after, v_reason, '')::audit.entry AS x) AS s;
END $$;
REVOKE ALL ON FUNCTION audit.append_entry(boolean, name, name, text, text[], anyelement, anyelement) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit.append_entry(boolean, name, name, text, text[], anyelement, anyelement) TO workcell_app;
DROP FUNCTION audit.append_entry(bigint, text, text, text, jsonb, jsonb, text);

-- The indexes of audit.entry, by the queries that need them (docs/audit.md#reading): the
-- primary key (detail, keyset paging, the chain's join), (table_name, record_key, id) for a
-- record's history and rows versus trail, (actor, id) for "what did this person do",
-- (tx_id, id) for the sealer and a transaction's other entries. The time filter is served
-- by a BRIN index (entries are appended in time order, so page ranges are tight; its
-- upkeep on insert is next to nothing); the station filter walks the id order (a station
-- writes a share of every page; a station that wrote nothing for a long time is found with
-- a time range). Each btree cost about 2.5 % of the trigger.
DROP INDEX audit.ix_entry_at;
DROP INDEX audit.ix_entry_station;
CREATE INDEX ix_entry_at_brin ON audit.entry USING brin (at);
-- The operation comes from the trigger (TG_OP) or audit.record_baseline; a CHECK re-parsed
-- for every single-row INSERT cost 5 % of the trigger and guarded nothing a superuser could
-- not drop.
ALTER TABLE audit.entry DROP CONSTRAINT IF EXISTS ck_entry_operation;
