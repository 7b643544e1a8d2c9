-- Rows versus trail (migration 0011): every regulated row must equal the after-image of its
-- latest audit entry, and every record whose latest entry is not a DELETE must still exist.
-- An edit made with the audit trigger switched off (a superuser) shows up here, whatever the
-- trail itself says.
--
-- SECURITY DEFINER because verify may run as the auditor or a station, who cannot read the
-- secret columns (badge digests): the function digests them with the audit key (secrets.sql)
-- as the trigger does and compares inside, returning only the records that differ, their
-- kind and the first differing column — never a row's content or a secret.

-- The first column of the recorded after-image that the row's image contradicts, or NULL.
-- Only the columns the entry recorded are compared: a column added by a later migration is
-- covered from the row's next audited write, one dropped is no longer there to compare.
-- A secret recorded as "***" (written before migration 0011) cannot be compared.
CREATE FUNCTION audit.first_difference(p_image jsonb, p_after jsonb, p_secrets text[])
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_col text;
BEGIN
    IF p_image = p_after THEN
        RETURN NULL;
    END IF;
    FOR v_col IN SELECT k FROM jsonb_object_keys(p_after) AS k ORDER BY k LOOP
        CONTINUE WHEN NOT p_image ? v_col;
        CONTINUE WHEN v_col = ANY (p_secrets) AND p_after->>v_col = '***';
        IF p_image->v_col IS DISTINCT FROM p_after->v_col THEN
            RETURN v_col;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

-- The key and secret columns of a regulated table, as its audit trigger was given them.
CREATE FUNCTION audit.trigger_columns(p_table regclass, OUT key_columns text[], OUT secrets text[])
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT string_to_array(a[1], ','), coalesce(a[2:], '{}')
      FROM (SELECT array_remove(string_to_array(encode(t.tgargs, 'escape'), '\000'), '') AS a
              FROM pg_trigger t WHERE t.tgrelid = p_table AND t.tgname = 'audit_row') AS args
$$;

-- Records of one regulated table that disagree with the trail, first by entry id.
--   unrecorded  a row with no audit entry at all (inserted without the trigger)
--   deleted     no row, but the latest entry is no DELETE (deleted without the trigger)
--   reappeared  a row whose latest entry is a DELETE
--   differs     a column differs from the latest entry's after-image (edited without it)
-- p_full: compare the content of every row. Otherwise only rows whose entries are newer than
-- p_since_entry, or whose xmin is not the transaction of their latest entry, are compared
-- (a row written by its recorded transaction holds what that transaction recorded; any later
-- write gives the row a new xmin). Existence is always checked in full.
CREATE FUNCTION audit.rows_vs_trail(p_table text, p_full boolean, p_since_entry bigint,
                                    p_limit integer)
RETURNS TABLE (record_key text, kind text, entry_id bigint, column_name text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
SET workcell.system_actor = ''
AS $$
DECLARE
    v_rel     regclass;
    v_keys    text[];
    v_secrets text[];
    v_keyexpr text;
    v_image   text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit.regulated_table r WHERE r.table_name = p_table) THEN
        RAISE EXCEPTION '% is not a regulated table', p_table USING ERRCODE = 'WC040';
    END IF;
    v_rel := to_regclass(p_table);
    IF v_rel IS NULL THEN
        RETURN;  -- verify reports a missing regulated table already
    END IF;
    SELECT c.key_columns, c.secrets INTO v_keys, v_secrets FROM audit.trigger_columns(v_rel) c;
    IF v_keys IS NULL THEN
        RETURN;  -- no audit trigger: verify reports it already
    END IF;
    -- the record key exactly as the trigger builds it (each column's jsonb text)
    SELECT string_agg(format('coalesce(to_jsonb(t.%I) #>> ''{}'', '''')', k), ' || '','' || ')
      INTO v_keyexpr FROM unnest(v_keys) AS k;
    v_image := CASE WHEN cardinality(v_secrets) = 0 THEN 'to_jsonb(r.t)'
                    ELSE 'audit.digest_secrets(audit.digest_key(), to_jsonb(r.t), $5)' END;
    RETURN QUERY EXECUTE format($q$
        WITH r AS (
            SELECT %1$s AS k, t.xmin::text::bigint AS x, t FROM %2$s t),
        l AS (
            SELECT DISTINCT ON (e.record_key) e.record_key AS k, e.id, e.tx_id, e.operation, e.after
              FROM audit.entry e WHERE e.table_name = $1
             ORDER BY e.record_key, e.id DESC),
        bad AS (
            SELECT coalesce(r.k, l.k) AS k, l.id,
                   CASE WHEN l.k IS NULL THEN 'unrecorded' WHEN r.k IS NULL THEN 'deleted'
                        WHEN l.operation = 'DELETE' THEN 'reappeared' ELSE 'differs' END AS kind,
                   CASE WHEN r.k IS NOT NULL AND l.k IS NOT NULL AND l.operation <> 'DELETE'
                        THEN audit.first_difference(%3$s, l.after, $5) END AS col
              FROM r FULL JOIN l ON l.k = r.k
             WHERE CASE WHEN l.k IS NULL THEN true
                        WHEN r.k IS NULL THEN l.operation <> 'DELETE'
                        WHEN l.operation = 'DELETE' THEN true
                        WHEN NOT ($2 OR l.id > $3
                                  OR r.x <> l.tx_id::text::bigint %% 4294967296) THEN false
                        ELSE audit.first_difference(%3$s, l.after, $5) IS NOT NULL END)
        SELECT k, kind, id, col FROM bad ORDER BY id NULLS FIRST, k LIMIT $4
    $q$, v_keyexpr, v_rel, v_image)
    USING p_table, p_full, coalesce(p_since_entry, 0), p_limit, v_secrets;
END $$;

REVOKE ALL ON FUNCTION audit.first_difference(jsonb, jsonb, text[]),
    audit.trigger_columns(regclass),
    audit.rows_vs_trail(text, boolean, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit.rows_vs_trail(text, boolean, bigint, integer)
    TO workcell_app, workcell_auditor;

-- Rows that predate their table's audit trigger (seed rows written by the migration that
-- attached it) have no entry to compare with. A BASELINE entry records each one as it is
-- when the trail starts covering it, by the system actor, so from then on a row without an
-- entry is one written with the trigger off. Owner only (migrations, audit.attach).
-- (operation BASELINE: audit.entry has no CHECK on operation since write_path.sql.)

CREATE FUNCTION audit.record_baseline(p_table regclass) RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET timezone = 'UTC'
AS $$
DECLARE
    v_keys    text[];
    v_secrets text[];
    v_keyexpr text;
    v_count   bigint;
BEGIN
    SELECT c.key_columns, c.secrets INTO v_keys, v_secrets FROM audit.trigger_columns(p_table) c;
    IF v_keys IS NULL THEN
        RAISE EXCEPTION '% has no audit trigger', p_table USING ERRCODE = 'WC040';
    END IF;
    SELECT string_agg(format('coalesce(to_jsonb(t.%I) #>> ''{}'', '''')', k), ' || '','' || ')
      INTO v_keyexpr FROM unnest(v_keys) AS k;
    EXECUTE format($q$
        INSERT INTO audit.entry
        SELECT (x).id, (x).tx_id, (x).at, (x).actor, (x).actor_id, (x).station, (x).table_name,
               (x).record_key, (x).operation, (x).before, (x).after, (x).reason,
               audit.entry_hash(x)
          FROM (SELECT ROW(nextval('audit.entry_id_seq'), pg_current_xact_id(), clock_timestamp(),
                           u.username, u.id, session_user, $1, n.k, 'BASELINE', NULL,
                           CASE WHEN cardinality($2) = 0 THEN n.img
                                ELSE audit.digest_secrets(audit.digest_key(), n.img, $2) END,
                           'recorded when the audit trail began to cover this table', '')::audit.entry AS x
                  FROM (SELECT %1$s AS k, to_jsonb(t) AS img FROM %2$s t ORDER BY 1) AS n
                  JOIN workcell.users u ON u.username = 'system'
                 WHERE NOT EXISTS (SELECT 1 FROM audit.entry e
                                    WHERE e.table_name = $1 AND e.record_key = n.k)) AS s
    $q$, v_keyexpr, p_table)
    USING p_table::text, v_secrets;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END $$;
REVOKE ALL ON FUNCTION audit.record_baseline(regclass) FROM PUBLIC;

SELECT audit.record_baseline(table_name::regclass) FROM audit.regulated_table ORDER BY table_name;

-- A table attached from now on gets its baseline at once.
CREATE OR REPLACE FUNCTION audit.attach(
    p_table regclass,
    p_key text[] DEFAULT ARRAY['id'],
    p_masked text[] DEFAULT ARRAY[]::text[],
    p_allow_delete boolean DEFAULT false
) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_args text;
BEGIN
    SELECT string_agg(quote_literal(a), ', ')
      INTO v_args
      FROM unnest(ARRAY[array_to_string(p_key, ',')] || p_masked) AS a;
    EXECUTE format('CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION audit.record_change(%s)', p_table, v_args);
    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER audit_row', p_table);
    EXECUTE format('CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()', p_table);
    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER audit_no_truncate', p_table);
    IF NOT p_allow_delete THEN
        EXECUTE format('CREATE TRIGGER audit_no_delete BEFORE DELETE ON %s '
                       'FOR EACH ROW EXECUTE FUNCTION audit.refuse_change()', p_table);
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER audit_no_delete', p_table);
    END IF;
    INSERT INTO audit.regulated_table (table_name) VALUES (p_table::text)
        ON CONFLICT (table_name) DO NOTHING;
    PERFORM audit.record_baseline(p_table);
END $$;
