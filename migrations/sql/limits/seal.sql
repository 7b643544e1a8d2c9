-- audit.seal() of migration 0002 with one change: the advisory lock is tried, not waited
-- for (issue 11 item 4). The rest is unchanged; see 0002_audit_seal.py for the reasoning.
-- Seal: chain every entry of an ended transaction that is not yet chained. One sealer at a
-- time (advisory lock); positions are taken AFTER the lock. Granted to stations, which need
-- no privilege on the audit tables to run it.
CREATE OR REPLACE FUNCTION audit.seal(
    OUT sealed bigint, OUT head_position bigint, OUT head_hash text, OUT low_water xid8,
    OUT seal_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_last    audit.seal;
    v_horizon xid8;
    v_low     xid8;
    v_pos     bigint;
    v_head    text;
    v_pid     integer;
    v_station text;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'Sealing must run in a READ COMMITTED transaction'
            USING ERRCODE = 'WC007';
    END IF;
    -- Try, never wait: a station holding this lock in an open transaction would otherwise
    -- stop every sealer. The caller is told who holds it; the watchdog ends the holder.
    IF NOT pg_try_advisory_xact_lock(1464030021) THEN  -- 0x57435345 "WCSE"
        SELECT h.pid, h.station INTO v_pid, v_station FROM auth.seal_lock_holder() h;
        RAISE EXCEPTION 'Sealing blocked: the sealer''s lock is held by %',
            CASE WHEN v_pid IS NULL THEN 'another session'
                 ELSE format('%s (pid %s)', coalesce(v_station, 'an unknown login'), v_pid) END
            USING ERRCODE = 'WC050',
                  HINT = 'The station watchdog ends a holder past its time limit; sealing resumes then.';
    END IF;
    SELECT * INTO v_last FROM audit.seal ORDER BY id DESC LIMIT 1;
    v_low := coalesce(v_last.low_water, '0'::xid8);
    v_pos := coalesce(v_last.last_position, 0);
    v_head := coalesce(v_last.head_hash, repeat('0', 64));
    v_horizon := greatest(audit.seal_horizon(), v_low);
    seal_id := coalesce(v_last.id, 0) + 1;

    -- Deterministic order: by transaction, then entry id (every window orders by the same
    -- key as the index, so nothing is sorted). The chain takes the hash the
    -- trigger stored: recomputing it here would bless an entry edited (hash and all)
    -- before sealing just the same, and verify compares stored, recomputed and chained.
    INSERT INTO audit.chain (position, entry_id, entry_hash, prev_hash, chain_hash, seal_id)
    SELECT pos, id, h, coalesce(lag(ch) OVER (ORDER BY tx_id, id), v_head), ch, seal_id
      FROM (SELECT tx_id, id, h, pos,
                   audit.chain_fold(v_head, pos, h)
                       OVER (ORDER BY tx_id, id ROWS UNBOUNDED PRECEDING) AS ch
              FROM (SELECT e.tx_id, e.id, e.entry_hash AS h,
                           v_pos + row_number() OVER (ORDER BY e.tx_id, e.id) AS pos
                      FROM audit.entry e
                     WHERE e.tx_id >= v_low AND e.tx_id < v_horizon) AS numbered) AS folded;
    GET DIAGNOSTICS sealed = ROW_COUNT;

    IF sealed = 0 THEN
        head_position := v_pos; head_hash := v_head; low_water := v_low;
        seal_id := v_last.id;
        RETURN;
    END IF;
    head_position := v_pos + sealed;
    SELECT c.chain_hash INTO head_hash FROM audit.chain c WHERE c.position = head_position;
    low_water := v_horizon;
    INSERT INTO audit.seal (id, sealed_at, sealed_by, first_position, last_position,
                            entry_count, head_hash, low_water)
    VALUES (seal_id, clock_timestamp(), session_user, v_pos + 1, head_position, sealed,
            head_hash, low_water);
END $$;

