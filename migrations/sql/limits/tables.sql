-- Limits a station cannot lift (issue 11 item 4). One policy row, changed only through
-- workcell.set_station_limits() (an administrator, fresh credentials, a reason; audited).
-- The statement/lock/idle time-outs are per-database role defaults of every station login
-- (`workcell db init-roles`, `workcell station add`); a station can override those with SET,
-- so these limits are enforced by workcell.end_stuck_station_transactions(), the watchdog
-- every sealer loop runs.
CREATE TABLE workcell.station_limits (
    id                    integer PRIMARY KEY CONSTRAINT ck_station_limits_one CHECK (id = 1),
    -- a transaction that writes or locks: it has a transaction id, an advisory lock, or a
    -- lock stronger than ACCESS SHARE (row locks need a transaction id)
    transaction_limit_s   integer NOT NULL DEFAULT 60 CONSTRAINT ck_station_limits_transaction CHECK (transaction_limit_s BETWEEN 1 AND 3600),
    -- any transaction left idle (waiting on the station, not the server)
    idle_limit_s          integer NOT NULL DEFAULT 60 CONSTRAINT ck_station_limits_idle CHECK (idle_limit_s BETWEEN 1 AND 3600),
    -- a read-only report (verify, EBR, recall): no transaction id, no lock above ACCESS SHARE
    report_limit_s        integer NOT NULL DEFAULT 900 CONSTRAINT ck_station_limits_report CHECK (report_limit_s BETWEEN 1 AND 86400),
    -- the sealer's lock held this long by someone else raises a 'sealing_blocked' event
    seal_alarm_s          integer NOT NULL DEFAULT 30 CONSTRAINT ck_station_limits_seal_alarm CHECK (seal_alarm_s BETWEEN 1 AND 3600),
    version               integer NOT NULL DEFAULT 1,
    CONSTRAINT ck_station_limits_report_longer CHECK (report_limit_s >= transaction_limit_s)
);
INSERT INTO workcell.station_limits (id) VALUES (1);
COMMENT ON TABLE workcell.station_limits IS
    'Watchdog limits for station transactions. One row; changed only by workcell.set_station_limits().';

-- Size caps of every text, text[] and jsonb column of schema workcell: one row per column,
-- each backed by a CHECK constraint named ck_<table>_<column>_len (caps.sql). Stations read
-- the rows so the application refuses an oversized value (naming the field and the limit)
-- before the database does. `validated` is false where rows older than the cap exceed it:
-- the constraint is then NOT VALID (new rows and updates are checked, old ones kept as
-- recorded; docs/admin.md#size-caps says how to clear them).
CREATE TABLE workcell.field_cap (
    table_name  text NOT NULL,
    column_name text NOT NULL,
    label       text NOT NULL,
    max_length  integer NOT NULL CONSTRAINT ck_field_cap_max CHECK (max_length > 0),
    -- characters for text (for text[] all elements joined), bytes of the JSON text for jsonb
    unit        text NOT NULL CONSTRAINT ck_field_cap_unit CHECK (unit IN ('characters', 'bytes')),
    constraint_name text NOT NULL,
    validated   boolean NOT NULL DEFAULT true,
    version     integer NOT NULL DEFAULT 1,
    CONSTRAINT pk_field_cap PRIMARY KEY (table_name, column_name),
    CONSTRAINT uq_field_cap_constraint UNIQUE (constraint_name)
);
COMMENT ON TABLE workcell.field_cap IS
    'Size cap of each free-text/JSON column (CHECK constraint constraint_name). Written by migrations.';

-- The watchdog's memory of station backends holding an advisory lock: such a lock can be
-- taken at session level and kept across any number of short transactions, so neither
-- xact_start nor state_change says how long it has been held. Operational state, not a
-- record (like the other tables of schema auth): what the watchdog does is recorded in
-- workcell.security_event.
CREATE TABLE auth.watchdog_sighting (
    pid           integer NOT NULL,
    backend_start timestamptz NOT NULL,
    first_seen    timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT pk_watchdog_sighting PRIMARY KEY (pid, backend_start)
);

DO $$
DECLARE
    v_def text;
BEGIN
    SELECT pg_get_constraintdef(oid) INTO v_def FROM pg_constraint
     WHERE conname = 'ck_security_event_kind' AND conrelid = 'workcell.security_event'::regclass;
    IF position('''station_transaction_ended''' IN v_def) > 0 THEN
        RETURN;
    END IF;
    EXECUTE 'ALTER TABLE workcell.security_event DROP CONSTRAINT ck_security_event_kind';
    EXECUTE 'ALTER TABLE workcell.security_event ADD CONSTRAINT ck_security_event_kind '
         || replace(v_def, '::text])', '::text, ''station_transaction_ended''::text, '
                    '''sealing_blocked''::text])');
END $$;

SELECT audit.attach('workcell.station_limits');
SELECT audit.attach('workcell.field_cap', ARRAY['table_name', 'column_name']);
GRANT SELECT ON workcell.station_limits, workcell.field_cap TO workcell_app, workcell_auditor;
REVOKE ALL ON auth.watchdog_sighting FROM PUBLIC;
