-- Epochs (migration 0011). A restore from pg_dump into a fresh cluster, or a dump-based
-- upgrade to a new PostgreSQL, keeps the installation and its history, but transaction ids
-- start again from a few hundred: below the sealer's low-water mark, so audit.seal() would
-- never seal again. The sealer therefore opens a new epoch when the horizon is below the last
-- seal's low-water mark, and the chain orders by (epoch, tx_id, id).
--
-- What tells the epochs apart is the entry id: audit.entry_id_seq is restored with the data,
-- so every entry written after the restore has a larger id than every entry of the dump
-- (after_entry_id). The entries still waiting to be sealed when the dump was taken all have
-- tx_id >= the old low-water mark, and every transaction of the new cluster so far has a
-- smaller one, so the old epoch is closed by chaining exactly those first.
--
-- Detection by transaction ids, not by pg_control_system()'s system identifier: the ids
-- going back is what breaks sealing, and it is seen by the sealer itself; a restore into a
-- cluster whose ids are already past the mark keeps sealing correctly without an epoch. The
-- system identifier and database oid are recorded with each epoch as evidence of where it
-- was opened.
CREATE TABLE audit.epoch (
    epoch             integer     NOT NULL CONSTRAINT pk_epoch PRIMARY KEY,
    opened_at         timestamptz NOT NULL,
    opened_by         text        NOT NULL,
    -- every entry with a larger id belongs to this epoch or a later one
    after_entry_id    bigint      NOT NULL,
    -- the first chain position this epoch could use
    start_position    bigint      NOT NULL,
    prev_low_water    xid8        NOT NULL,
    horizon           xid8        NOT NULL,
    system_identifier text,
    database_oid      oid,
    reason            text        NOT NULL
);
COMMENT ON TABLE audit.epoch IS
    'Epochs of the chain (a restore into a new cluster opens one). Append-only; written by audit.seal().';
INSERT INTO audit.epoch VALUES (
    1, now(), current_user, 0, 1, '0', '0',
    (SELECT system_identifier::text FROM pg_control_system()),
    (SELECT oid FROM pg_database WHERE datname = current_database()),
    'the installation''s first epoch');
SELECT audit.make_append_only('audit.epoch');
GRANT SELECT ON audit.epoch TO workcell_app, workcell_auditor;

ALTER TABLE audit.chain ADD COLUMN epoch integer NOT NULL DEFAULT 1;
ALTER TABLE audit.seal ADD COLUMN epoch integer NOT NULL DEFAULT 1;

-- The previous hash the first chain row of a new epoch links to: the epoch and its boundary
-- are hashed into the chain, so an epoch cannot be added, removed or moved unnoticed.
-- Recipe (docs/audit.md#epochs, and every export): SHA-256 of
-- "<previous chain hash>:epoch:<epoch>:<after_entry_id>".
CREATE FUNCTION audit.epoch_link(p_prev text, p_epoch integer, p_after_entry_id bigint)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(
        p_prev OPERATOR(pg_catalog.||) ':epoch:' OPERATOR(pg_catalog.||) p_epoch::pg_catalog.text
        OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) p_after_entry_id::pg_catalog.text,
        'UTF8')), 'hex')
$$;
GRANT EXECUTE ON FUNCTION audit.epoch_link(text, integer, bigint) TO workcell_app, workcell_auditor;

-- One sealing step: chain the given entries (tx_id in [p_low, p_horizon), id > p_after) in
-- (tx_id, id) order after position p_pos / head p_head, and record the run. Returns the
-- number chained (0: nothing recorded).
CREATE FUNCTION audit.seal_range(p_epoch integer, p_after bigint, p_low xid8, p_horizon xid8,
                                 p_pos bigint, p_head text, p_seal_id bigint, p_low_water xid8)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_sealed bigint;
    v_head   text;
BEGIN
    -- Deterministic order: by transaction, then entry id (every window orders by the same
    -- key as the index, so nothing is sorted). The chain takes the hash the trigger stored:
    -- recomputing it here would bless an entry edited (hash and all) before sealing just the
    -- same, and verify compares stored, recomputed and chained.
    INSERT INTO audit.chain (position, entry_id, entry_hash, prev_hash, chain_hash, seal_id, epoch)
    SELECT pos, id, h, coalesce(lag(ch) OVER (ORDER BY tx_id, id), p_head), ch, p_seal_id, p_epoch
      FROM (SELECT tx_id, id, h, pos,
                   audit.chain_fold(p_head, pos, h)
                       OVER (ORDER BY tx_id, id ROWS UNBOUNDED PRECEDING) AS ch
              FROM (SELECT e.tx_id, e.id, e.entry_hash AS h,
                           p_pos + row_number() OVER (ORDER BY e.tx_id, e.id) AS pos
                      FROM audit.entry e
                     WHERE e.tx_id >= p_low AND e.tx_id < p_horizon
                       AND e.id > p_after) AS numbered) AS folded;
    GET DIAGNOSTICS v_sealed = ROW_COUNT;
    IF v_sealed > 0 THEN
        SELECT c.chain_hash INTO v_head FROM audit.chain c WHERE c.position = p_pos + v_sealed;
        INSERT INTO audit.seal (id, sealed_at, sealed_by, first_position, last_position,
                                entry_count, head_hash, low_water, epoch)
        VALUES (p_seal_id, clock_timestamp(), session_user, p_pos + 1, p_pos + v_sealed,
                v_sealed, v_head, p_low_water, p_epoch);
    END IF;
    RETURN v_sealed;
END $$;
REVOKE ALL ON FUNCTION audit.seal_range(integer, bigint, xid8, xid8, bigint, text, bigint, xid8)
    FROM PUBLIC;

-- Seal: chain every entry of an ended transaction that is not yet chained. One sealer at a
-- time (advisory lock, tried, never waited for); positions are taken AFTER the lock. Granted to stations, which need
-- no privilege on the audit tables to run it. Opens a new epoch when transaction ids went
-- back below the last low-water mark (above).
CREATE OR REPLACE FUNCTION audit.seal(
    OUT sealed bigint, OUT head_position bigint, OUT head_hash text, OUT low_water xid8,
    OUT seal_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET workcell.system_actor = ''
AS $$
DECLARE
    v_last    audit.seal;
    v_epoch   audit.epoch;
    v_horizon xid8;
    v_low     xid8;
    v_pos     bigint;
    v_head    text;
    v_id      bigint;
    v_n       bigint;
    v_pid     integer;
    v_station text;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'Sealing must run in a READ COMMITTED transaction'
            USING ERRCODE = 'WC007';
    END IF;
    -- Try, never wait (migration 0010): a station holding this lock in an open transaction
    -- would otherwise stop every sealer. The caller is told who holds it; the watchdog ends
    -- the holder.
    IF NOT pg_try_advisory_xact_lock(1464030021) THEN  -- 0x57435345 "WCSE"
        SELECT h.pid, h.station INTO v_pid, v_station FROM auth.seal_lock_holder() h;
        RAISE EXCEPTION 'Sealing blocked: the sealer''s lock is held by %',
            CASE WHEN v_pid IS NULL THEN 'another session'
                 ELSE format('%s (pid %s)', coalesce(v_station, 'an unknown login'), v_pid) END
            USING ERRCODE = 'WC050',
                  HINT = 'The station watchdog ends a holder past its time limit; sealing resumes then.';
    END IF;
    SELECT * INTO v_last FROM audit.seal ORDER BY id DESC LIMIT 1;
    SELECT * INTO v_epoch FROM audit.epoch ORDER BY epoch DESC LIMIT 1;
    v_pos := coalesce(v_last.last_position, 0);
    v_head := coalesce(v_last.head_hash, repeat('0', 64));
    v_id := coalesce(v_last.id, 0);
    v_horizon := audit.seal_horizon();
    sealed := 0;
    v_n := 0;

    IF v_last.epoch = v_epoch.epoch AND v_horizon < v_last.low_water THEN
        -- Transaction ids went back: close this epoch with the entries that were waiting when
        -- the dump was taken (all ended), then open the next one after them.
        v_n := audit.seal_range(v_epoch.epoch, v_epoch.after_entry_id, v_last.low_water,
                                '18446744073709551615'::xid8, v_pos, v_head, v_id + 1,
                                v_last.low_water);
        IF v_n > 0 THEN
            v_id := v_id + 1;
            v_pos := v_pos + v_n;
            SELECT c.chain_hash INTO v_head FROM audit.chain c WHERE c.position = v_pos;
            sealed := v_n;
        END IF;
        INSERT INTO audit.epoch VALUES (
            v_epoch.epoch + 1, clock_timestamp(), session_user,
            coalesce((SELECT max(c.entry_id) FROM audit.chain c), 0), v_pos + 1,
            v_last.low_water, v_horizon,
            (SELECT system_identifier::text FROM pg_control_system()),
            (SELECT oid FROM pg_database WHERE datname = current_database()),
            'transaction ids went back below the low-water mark (restore or dump-based upgrade)')
        RETURNING * INTO v_epoch;
    END IF;

    IF v_last.epoch IS DISTINCT FROM v_epoch.epoch OR v_n > 0 THEN
        v_low := '0';  -- the first run of an epoch (or a fresh installation)
    ELSE
        v_low := v_last.low_water;
    END IF;
    v_horizon := greatest(v_horizon, v_low);
    -- the first chain row of an epoch after the first links through the epoch
    IF v_epoch.epoch > 1 AND NOT EXISTS (SELECT 1 FROM audit.chain c
                                           WHERE c.position = v_pos AND c.epoch = v_epoch.epoch) THEN
        v_head := audit.epoch_link(v_head, v_epoch.epoch, v_epoch.after_entry_id);
    END IF;
    v_n := audit.seal_range(v_epoch.epoch, v_epoch.after_entry_id, v_low, v_horizon, v_pos,
                            v_head, v_id + 1, v_horizon);
    sealed := sealed + v_n;
    IF v_n > 0 THEN
        v_id := v_id + 1;
        v_pos := v_pos + v_n;
        low_water := v_horizon;
    ELSE
        low_water := coalesce(v_last.low_water, '0');
    END IF;
    head_position := v_pos;
    SELECT c.chain_hash INTO head_hash FROM audit.chain c WHERE c.position = v_pos;
    head_hash := coalesce(head_hash, repeat('0', 64));
    seal_id := CASE WHEN v_id = 0 THEN NULL ELSE v_id END;
END $$;
