-- Bench variant (bench/audit_overhead.py --variant): the design issue 11 item 8 measured at
-- 0.82/0.82 — the trigger only stages each change into an unindexed table, and the sealer
-- moves ended transactions' rows into audit.entry (hash and indexes) before it chains them.
-- The writer is today's audit.append_entry with one change (the INSERT's target, no hash),
-- so the actor, reason, version and secret rules are the same. NOT the committed design:
-- until the sealer runs, audit.entry does not show a change (the browser, rows versus trail,
-- a record's history, the EBR's audit excerpt would read audit.pending as well, e.g. through
-- a view), which is why it is measured first.
SET ROLE workcell_owner;
CREATE TABLE audit.pending (LIKE audit.entry INCLUDING DEFAULTS);
REVOKE ALL ON audit.pending FROM PUBLIC;

CREATE OR REPLACE FUNCTION pg_temp.stage_writer() RETURNS void LANGUAGE plpgsql AS $f$
DECLARE v_src text; v_new text;
BEGIN
    SELECT pg_get_functiondef('audit.append_entry(boolean,name,name,text,text[],anyelement,anyelement)'::regprocedure)
      INTO v_src;
    v_new := replace(v_src, 'INSERT INTO audit.entry', 'INSERT INTO audit.pending');
    v_new := replace(v_new, ', audit.entry_hash(x)', ', ''''');
    IF v_new = v_src OR position('audit.entry_hash(x)' IN v_new) > 0 THEN
        RAISE EXCEPTION 'append_entry is not the one this variant knows';
    END IF;
    EXECUTE v_new;
END $f$;
SELECT pg_temp.stage_writer();

-- Ended transactions only (below the seal horizon, as the chain): their rows are final.
CREATE FUNCTION audit.drain_pending() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE v_n bigint;
BEGIN
    WITH moved AS (DELETE FROM audit.pending p WHERE p.tx_id < audit.seal_horizon() RETURNING p.*)
    INSERT INTO audit.entry
    SELECT (x).id, (x).tx_id, (x).at, (x).actor, (x).actor_id, (x).station, (x).table_name,
           (x).record_key, (x).operation, (x).before, (x).after, (x).reason, audit.entry_hash(x)
      FROM (SELECT ROW(m.id, m.tx_id, m.at, m.actor, m.actor_id, m.station, m.table_name,
                       m.record_key, m.operation, m.before, m.after, m.reason, '')::audit.entry AS x
              FROM moved m ORDER BY m.tx_id, m.id) AS s;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END $$;
REVOKE ALL ON FUNCTION audit.drain_pending() FROM PUBLIC;

-- audit.seal() = drain under the sealer's lock, then the chaining seal as it is.
ALTER FUNCTION audit.seal() RENAME TO seal_chain;
CREATE FUNCTION audit.seal(
    OUT sealed bigint, OUT head_position bigint, OUT head_hash text, OUT low_water xid8,
    OUT seal_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
BEGIN
    IF pg_try_advisory_xact_lock(1464030021) THEN  -- taken again (and waited for) inside
        PERFORM audit.drain_pending();
    END IF;
    SELECT * INTO sealed, head_position, head_hash, low_water, seal_id FROM audit.seal_chain();
END $$;
REVOKE ALL ON FUNCTION audit.seal() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit.seal() TO workcell_app;
RESET ROLE;
