"""Regulated core: users (actors), items, the audit schema and its row trigger.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Error codes raised by the database (translated once in domain/errors.py):
  WC001 no acting user set          WC002 acting user unknown or not active
  WC003 reason for change missing   WC004 stale or unversioned update
  WC005 append-only / no delete     WC006 immutable field changed
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMAS = """
CREATE SCHEMA IF NOT EXISTS audit;
REVOKE ALL ON SCHEMA audit FROM PUBLIC;
REVOKE ALL ON SCHEMA workcell FROM PUBLIC;
GRANT USAGE ON SCHEMA workcell TO workcell_app, workcell_auditor;
GRANT USAGE ON SCHEMA audit TO workcell_app, workcell_auditor;
"""

USERS = """
CREATE TABLE workcell.users (
    id           bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_users PRIMARY KEY,
    username     text NOT NULL
                 CONSTRAINT ck_users_username CHECK (username ~ '^[a-z][a-z0-9._-]{1,62}$'),
    printed_name text NOT NULL CONSTRAINT ck_users_printed_name CHECK (btrim(printed_name) <> ''),
    kind         text NOT NULL DEFAULT 'person'
                 CONSTRAINT ck_users_kind CHECK (kind IN ('person', 'system')),
    status       text NOT NULL DEFAULT 'active'
                 CONSTRAINT ck_users_status CHECK (status IN ('active', 'locked', 'disabled')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    version      integer NOT NULL DEFAULT 1,
    -- usernames are stored lower case, so this is case-insensitive; rows are never
    -- deleted, so a username is never reused (Part 11 §11.100(a), §11.300(a)).
    CONSTRAINT uq_users_username UNIQUE (username)
);
COMMENT ON TABLE workcell.users IS 'People and system actors. Never deleted; username immutable.';

-- System actors exist before the audit trigger is attached, so the trail can name them.
INSERT INTO workcell.users (username, printed_name, kind) VALUES
    ('bootstrap', 'Bootstrap (first administrator set-up)', 'system'),
    ('system', 'WorkCell system (automatic transitions)', 'system');
"""

ACTOR = """
CREATE FUNCTION workcell.current_actor_id() RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_actor text := nullif(btrim(coalesce(current_setting('workcell.actor', true), '')), '');
    v_id bigint;
    v_kind text;
BEGIN
    IF v_actor IS NULL THEN
        RAISE EXCEPTION 'No acting user is set for this change'
            USING ERRCODE = 'WC001',
                  HINT = 'Every transaction must name its actor: set_config(''workcell.actor'', username, true).';
    END IF;
    SELECT id, kind INTO v_id, v_kind FROM workcell.users
     WHERE username = lower(v_actor) AND status = 'active';
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'Acting user "%" is not an active user', v_actor USING ERRCODE = 'WC002';
    END IF;
    -- The bootstrap actor may only create the first people; after that it is refused.
    IF v_kind = 'system' AND lower(v_actor) = 'bootstrap'
       -- (people inserted by this very transaction do not count: xmin is its xid)
       AND EXISTS (SELECT 1 FROM workcell.users WHERE kind = 'person'
                   AND xmin::text::bigint <> pg_current_xact_id()::text::bigint % 4294967296) THEN
        RAISE EXCEPTION 'The bootstrap actor is closed once a person exists; act as an administrator'
            USING ERRCODE = 'WC002';
    END IF;
    RETURN v_id;
END $$;
"""

AUDIT_TABLES = """
CREATE SEQUENCE audit.entry_id_seq AS bigint;

CREATE TABLE audit.entry (
    id          bigint      NOT NULL CONSTRAINT pk_entry PRIMARY KEY,
    tx_id       xid8        NOT NULL,
    at          timestamptz NOT NULL,
    actor       text        NOT NULL,
    actor_id    bigint      NOT NULL,
    station     text        NOT NULL,
    table_name  text        NOT NULL,
    record_key  text        NOT NULL,
    operation   text        NOT NULL CONSTRAINT ck_entry_operation
                                     CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
    before      jsonb,
    after       jsonb,
    reason      text,
    entry_hash  text        NOT NULL
);
CREATE INDEX ix_entry_record ON audit.entry (table_name, record_key, id);
CREATE INDEX ix_entry_at ON audit.entry (at);
CREATE INDEX ix_entry_actor ON audit.entry (actor, id);
CREATE INDEX ix_entry_station ON audit.entry (station, id);
CREATE INDEX ix_entry_tx ON audit.entry (tx_id);

-- Which tables must carry the audit trigger; `workcell audit verify` checks each one.
CREATE TABLE audit.regulated_table (
    table_name  text PRIMARY KEY,
    attached_at timestamptz NOT NULL DEFAULT now()
);
"""

AUDIT_FUNCTIONS = r"""
-- The canonical rendering of an entry: a JSON array whose text form does not depend on
-- the session (time pinned to UTC and rendered explicitly; jsonb text is deterministic).
-- Recipe, shipped with every export: docs/audit.md#canonical-string.
CREATE FUNCTION audit.canonical(e audit.entry) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_array(
        e.id, e.tx_id::text,
        to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        e.actor, e.actor_id, e.station, e.table_name, e.record_key, e.operation,
        e.before, e.after, e.reason)::text
$$;

CREATE FUNCTION audit.entry_hash(e audit.entry) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT encode(sha256(convert_to(audit.canonical(e), 'UTF8')), 'hex') $$;

CREATE FUNCTION audit.refuse_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION '% on %.% is refused: this record is append-only',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'WC005';
END $$;

-- The one generic row trigger. TG_ARGV[0] = key columns (comma separated);
-- TG_ARGV[1..] = secret columns, masked in before/after.
CREATE FUNCTION audit.record_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
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
    i        integer;
    e        audit.entry;
BEGIN
    e.actor_id := workcell.current_actor_id();
    e.actor := lower(btrim(current_setting('workcell.actor', true)));
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
    FOR i IN 1 .. coalesce(array_length(TG_ARGV, 1), 1) - 1 LOOP
        v_col := TG_ARGV[i];
        IF v_before ? v_col AND v_before->v_col <> 'null'::jsonb THEN
            v_before := jsonb_set(v_before, ARRAY[v_col], '"***"');
        END IF;
        IF v_after ? v_col AND v_after->v_col <> 'null'::jsonb THEN
            v_after := jsonb_set(v_after, ARRAY[v_col], '"***"');
        END IF;
    END LOOP;
    v_row := coalesce(v_after, v_before);
    FOREACH v_col IN ARRAY string_to_array(coalesce(TG_ARGV[0], 'id'), ',') LOOP
        v_key := v_key || CASE WHEN v_key = '' THEN '' ELSE ',' END || coalesce(v_row->>v_col, '');
    END LOOP;

    e.id := nextval('audit.entry_id_seq');
    e.tx_id := pg_current_xact_id();
    e.at := clock_timestamp();
    e.station := session_user;
    e.table_name := TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME;
    e.record_key := v_key;
    e.operation := TG_OP;
    e.before := v_before;
    e.after := v_after;
    e.reason := v_reason;
    e.entry_hash := audit.entry_hash(e);
    INSERT INTO audit.entry VALUES (e.*);
    RETURN NULL;
END $$;

-- Attach the audit trigger (ENABLE ALWAYS, so session_replication_role cannot skip it),
-- a TRUNCATE refusal and, unless deletes are part of the record's life, a DELETE refusal.
CREATE FUNCTION audit.attach(
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
END $$;

-- Make a table append-only for everyone, owner included.
CREATE FUNCTION audit.make_append_only(p_table regclass) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE format('CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION audit.refuse_change()', p_table);
    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER append_only', p_table);
    EXECUTE format('CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()', p_table);
    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER append_only_truncate', p_table);
END $$;

-- Refuse changes to columns that identify a record for life (e.g. usernames).
CREATE FUNCTION audit.refuse_immutable_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_col text;
BEGIN
    FOREACH v_col IN ARRAY TG_ARGV LOOP
        IF to_jsonb(NEW)->v_col IS DISTINCT FROM to_jsonb(OLD)->v_col THEN
            RAISE EXCEPTION '%.% cannot be changed once created', TG_TABLE_NAME, v_col
                USING ERRCODE = 'WC006';
        END IF;
    END LOOP;
    RETURN NEW;
END $$;

REVOKE ALL ON FUNCTION audit.attach(regclass, text[], text[], boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit.make_append_only(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION audit.record_change() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit.canonical(audit.entry), audit.entry_hash(audit.entry)
    TO workcell_app, workcell_auditor;
"""

GTIN = """
CREATE FUNCTION workcell.gtin_is_valid(g text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT g ~ '^[0-9]{14}$' AND
        (10 - (SELECT sum(substr(g, i, 1)::int * CASE WHEN i % 2 = 1 THEN 3 ELSE 1 END)
                 FROM generate_series(1, 13) AS i) % 10) % 10 = substr(g, 14, 1)::int
$$;
"""

ITEMS = """
CREATE TABLE workcell.item (
    id               bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_item PRIMARY KEY,
    item_number      text NOT NULL
                     CONSTRAINT ck_item_number CHECK (item_number ~ '^[A-Z0-9][A-Z0-9._/-]{0,39}$'),
    description      text NOT NULL CONSTRAINT ck_item_description CHECK (btrim(description) <> ''),
    item_type        text NOT NULL CONSTRAINT ck_item_type CHECK (item_type IN
                     ('raw', 'component', 'subassembly', 'finished', 'packaging', 'consumable')),
    unit             text NOT NULL CONSTRAINT ck_item_unit CHECK (unit IN
                     ('ea', 'kg', 'g', 'mg', 'L', 'mL', 'm', 'mm')),
    tracking         text NOT NULL DEFAULT 'lot'
                     CONSTRAINT ck_item_tracking CHECK (tracking IN ('none', 'lot', 'serial')),
    shelf_life_days  integer CONSTRAINT ck_item_shelf_life CHECK (shelf_life_days > 0),
    gtin             text CONSTRAINT ck_item_gtin CHECK (gtin IS NULL OR workcell.gtin_is_valid(gtin)),
    status           text NOT NULL DEFAULT 'draft'
                     CONSTRAINT ck_item_status CHECK (status IN ('draft', 'approved', 'obsolete')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       bigint NOT NULL DEFAULT workcell.current_actor_id()
                     CONSTRAINT fk_item_created_by REFERENCES workcell.users (id),
    version          integer NOT NULL DEFAULT 1,
    CONSTRAINT uq_item_item_number UNIQUE (item_number),
    CONSTRAINT uq_item_gtin UNIQUE (gtin)
);
"""

ATTACH = """
SELECT audit.attach('workcell.users');
CREATE TRIGGER users_immutable BEFORE UPDATE ON workcell.users
    FOR EACH ROW EXECUTE FUNCTION audit.refuse_immutable_change('username', 'kind', 'created_at');
ALTER TABLE workcell.users ENABLE ALWAYS TRIGGER users_immutable;

SELECT audit.attach('workcell.item');
CREATE TRIGGER item_immutable BEFORE UPDATE ON workcell.item
    FOR EACH ROW EXECUTE FUNCTION audit.refuse_immutable_change('item_number', 'created_by', 'created_at');
ALTER TABLE workcell.item ENABLE ALWAYS TRIGGER item_immutable;

SELECT audit.make_append_only('audit.entry');
"""

GRANTS = """
GRANT SELECT, INSERT, UPDATE ON workcell.users TO workcell_app;
GRANT SELECT, INSERT, UPDATE ON workcell.item TO workcell_app;
GRANT SELECT ON workcell.users, workcell.item TO workcell_auditor;
GRANT SELECT ON audit.entry, audit.regulated_table TO workcell_app, workcell_auditor;
GRANT EXECUTE ON FUNCTION workcell.current_actor_id(), workcell.gtin_is_valid(text)
    TO workcell_app, workcell_auditor;
"""


def upgrade() -> None:
    for block in (
        SCHEMAS,
        USERS,
        ACTOR,
        AUDIT_TABLES,
        AUDIT_FUNCTIONS,
        GTIN,
        ITEMS,
        ATTACH,
        GRANTS,
    ):
        op.execute(block)


def downgrade() -> None:
    raise RuntimeError("regulated data is never dropped by a downgrade; restore a backup instead")
