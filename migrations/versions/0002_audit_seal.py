"""Tamper evidence: the audit chain, seals, and the sealing function.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Entries (audit.entry) are never updated. A sealer chains entries of *completed*
transactions into audit.chain (append-only), one run at a time under an advisory lock,
and records each run in audit.seal (append-only) with its low-water transaction id:
every entry whose tx_id is below it is sealed, so neither the sealer nor verify has to
anti-join the whole entry table to find new work. See docs/audit.md.

Error codes added here:
  WC007 sealing refused (wrong isolation level)
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# pg_advisory_xact_lock key of the sealer ("WCSE" = 1464030021, written literally in
# audit.seal() below; pg_advisory_xact_lock keys are per database).
SEAL_LOCK_KEY = 0x5743_5345
assert SEAL_LOCK_KEY == 1464030021

TABLES = """
CREATE TABLE audit.seal (
    id             bigint      NOT NULL CONSTRAINT pk_seal PRIMARY KEY,
    sealed_at      timestamptz NOT NULL,
    sealed_by      text        NOT NULL,
    first_position bigint      NOT NULL,
    last_position  bigint      NOT NULL,
    entry_count    bigint      NOT NULL,
    head_hash      text        NOT NULL,
    -- every entry with tx_id below this is in the chain (all such transactions had ended)
    low_water      xid8        NOT NULL,
    CONSTRAINT ck_seal_range CHECK (last_position - first_position + 1 = entry_count)
);

-- No foreign key to audit.entry on purpose: a row pointing at a deleted entry is
-- evidence that verify must report, not something a constraint may prevent silently.
CREATE TABLE audit.chain (
    position    bigint NOT NULL CONSTRAINT pk_chain PRIMARY KEY,
    entry_id    bigint NOT NULL CONSTRAINT uq_chain_entry UNIQUE,
    entry_hash  text   NOT NULL,
    prev_hash   text   NOT NULL,
    chain_hash  text   NOT NULL,
    seal_id     bigint NOT NULL
);

COMMENT ON TABLE audit.chain IS
    'Hash chain over audit.entry in seal order. Append-only; written only by audit.seal().';
COMMENT ON TABLE audit.seal IS
    'One row per sealing run that chained entries. Append-only; written only by audit.seal().';

SELECT audit.make_append_only('audit.chain');
SELECT audit.make_append_only('audit.seal');
"""

FUNCTIONS = r"""
-- Same canonical string and hash as 0001, made inlinable: a SET clause (0001 pinned
-- search_path) stops the planner from inlining a SQL function, and the per-call GUC
-- save/restore plus SQL-function executor start cost ~40 us per entry (trigger, sealer
-- and verify all pay it). Every function and operator is schema-qualified instead, and
-- the volatility is STABLE because to_char(timestamp, text) is STABLE. And it is built
-- with json_build_array, which prints exactly what jsonb_build_array(...)::text prints
-- (same element separator, jsonb arguments rendered by jsonb's own output, same string
-- escaping) without first building a jsonb value and then printing it: ~30 % cheaper.
-- Output unchanged (checked on every entry of a 300,000-entry trail and on edge cases:
-- escapes, control characters, non-ASCII, numeric scale); test_audit_seal.py checks the
-- recipe.
CREATE OR REPLACE FUNCTION audit.canonical(e audit.entry) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.json_build_array(
        e.id, e.tx_id::pg_catalog.text,
        pg_catalog.to_char(pg_catalog.timezone('UTC', e.at), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        e.actor, e.actor_id, e.station, e.table_name, e.record_key, e.operation,
        e.before, e.after, e.reason)::pg_catalog.text
$$;

CREATE OR REPLACE FUNCTION audit.entry_hash(e audit.entry) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(
        audit.canonical(e), 'UTF8')), 'hex')
$$;
-- One link of the chain. Inlinable: no SET clause (every function and operator is
-- schema-qualified instead), not STRICT, and STABLE because convert_to() is.
-- The recipe is in docs/audit.md#chain and in every export.
CREATE FUNCTION audit.link_hash(p_prev text, p_position bigint, p_entry_hash text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(
        p_prev OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) p_position::pg_catalog.text
        OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) p_entry_hash, 'UTF8')), 'hex')
$$;

-- Running fold used as a window aggregate: chain hash at each row, seeded by the old head.
-- No SET clause (a per-call configuration switch doubled the cost of sealing); every
-- function and operator is schema-qualified instead.
CREATE FUNCTION audit.chain_step(p_state text, p_seed text, p_position bigint, p_entry_hash text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
BEGIN
    RETURN pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(
        coalesce(p_state, p_seed) OPERATOR(pg_catalog.||) ':'
        OPERATOR(pg_catalog.||) p_position::pg_catalog.text
        OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) p_entry_hash, 'UTF8')), 'hex');
END $$;

CREATE AGGREGATE audit.chain_fold(text, bigint, text) (
    SFUNC = audit.chain_step,
    STYPE = text
);

-- The transaction horizon of THIS database: every transaction with a smaller id has ended.
-- pg_snapshot_xmin(pg_current_snapshot()) is cluster-wide, so a long transaction in another
-- database would hold sealing back; only backends (and prepared transactions) of this
-- database can write audit entries here. Called in its own statement, so the snapshot is
-- taken before pg_stat_activity is read: a transaction that ends in between has ended
-- before the next statement's snapshot, which then sees its entries.
CREATE FUNCTION audit.seal_horizon() RETURNS xid8
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_xmax   bigint;
    v_oldest bigint;
BEGIN
    -- backend status is cached per transaction; a stale copy could miss a newer writer
    PERFORM pg_stat_clear_snapshot();
    v_xmax := pg_snapshot_xmax(pg_current_snapshot())::text::bigint;
    -- backend_xid is a 32-bit xid: widen it by its distance below xmax (a running
    -- transaction is never 2^31 transactions old; one at or above xmax started later).
    SELECT v_xmax - max(age) INTO v_oldest FROM (
        SELECT ((v_xmax - xid::text::bigint) % 4294967296 + 4294967296) % 4294967296 AS age
          FROM (SELECT backend_xid AS xid FROM pg_stat_activity
                 WHERE datid = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND backend_xid IS NOT NULL
                UNION ALL
                SELECT transaction FROM pg_prepared_xacts
                 WHERE database = current_database()) AS running
    ) AS ages
     WHERE age BETWEEN 1 AND 2147483648 AND age <= v_xmax;
    RETURN least(v_xmax, coalesce(v_oldest, v_xmax))::text::xid8;
END $$;

-- Seal: chain every entry of an ended transaction that is not yet chained. One sealer at a
-- time (advisory lock); positions are taken AFTER the lock. Granted to stations, which need
-- no privilege on the audit tables to run it.
CREATE FUNCTION audit.seal(
    OUT sealed bigint, OUT head_position bigint, OUT head_hash text, OUT low_water xid8,
    OUT seal_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_last    audit.seal;
    v_horizon xid8;
    v_low     xid8;
    v_pos     bigint;
    v_head    text;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'Sealing must run in a READ COMMITTED transaction'
            USING ERRCODE = 'WC007';
    END IF;
    PERFORM pg_advisory_xact_lock(1464030021);  -- 0x57435345 "WCSE"
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

REVOKE ALL ON FUNCTION audit.seal() FROM PUBLIC;
REVOKE ALL ON FUNCTION audit.seal_horizon() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit.seal() TO workcell_app;
GRANT EXECUTE ON FUNCTION audit.link_hash(text, bigint, text) TO workcell_app, workcell_auditor;
"""

INDEXES = """
-- Sealed/unsealed lookups by the sealer and verify, and transaction detail in the browser.
CREATE INDEX ix_entry_tx_id ON audit.entry (tx_id, id);
DROP INDEX audit.ix_entry_tx;
"""

GRANTS = """
GRANT SELECT ON audit.chain, audit.seal TO workcell_app, workcell_auditor;
"""


def upgrade() -> None:
    for block in (TABLES, FUNCTIONS, INDEXES, GRANTS):
        op.execute(block)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
